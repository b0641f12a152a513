// Lane layout of packed RGB24 in AVX-512 registers, shared by image_kernels.h, geometry_kernels.h and frame_kernels.h.
#ifndef STEERLENS_RGB_LANES_H
#define STEERLENS_RGB_LANES_H
#include <stdint.h>

/// Pixel and channel of each lane when 16 pixels of RGB (48 bytes) are three vectors of 16 values.
static const int32_t steerlens_rgb_lane_pixel[48] = {
    0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7,
    8, 8, 8, 9, 9, 9, 10, 10, 10, 11, 11, 11, 12, 12, 12, 13, 13, 13, 14, 14, 14, 15, 15, 15};
static const int32_t steerlens_rgb_lane_channel[48] = {
    0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2,
    0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2};

#endif
