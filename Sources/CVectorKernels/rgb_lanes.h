// Lane layout of packed RGB24 in AVX-512 registers, and lookups in small tables held in registers,
// shared by image_kernels.h, geometry_kernels.h and frame_kernels.h.
#ifndef STEERLENS_RGB_LANES_H
#define STEERLENS_RGB_LANES_H
#include <immintrin.h>
#include <stdint.h>

/// Pixel and channel of each lane when 16 pixels of RGB (48 bytes) are three vectors of 16 values.
static const int32_t steerlens_rgb_lane_pixel[48] = {
    0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7,
    8, 8, 8, 9, 9, 9, 10, 10, 10, 11, 11, 11, 12, 12, 12, 13, 13, 13, 14, 14, 14, 15, 15, 15};
static const int32_t steerlens_rgb_lane_channel[48] = {
    0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2,
    0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2};

/// `table[index]` per lane for a 64-float table held in four registers (`index` 0…63): permutex2var
/// reads an index's low 5 bits (32 floats from a register pair), and bit 5 picks the pair.
__attribute__((target("avx512f"), always_inline)) static inline __m512 steerlens_lookup64_ps(const __m512 *table, __m512i index) {
    return _mm512_mask_blend_ps(_mm512_test_epi32_mask(index, _mm512_set1_epi32(32)), _mm512_permutex2var_ps(table[0], index, table[1]),
                                _mm512_permutex2var_ps(table[2], index, table[3]));
}

#endif
