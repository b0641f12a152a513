// Direct convolution in AVX-512 for the first layers of image networks (few input channels), where
// im2col + sgemm spends more time copying than multiplying: a 5×5 RGB window is only 75 columns deep,
// and OpenBLAS packs the column matrix a second time before its kernel reads it.
//
// Unlike the element-wise kernels, these sums use fused multiply-adds on purpose: each output value is
// one chain of FMAs from zero over the window in kernel order (ky, kx, c), the order and the operation
// of an sgemm micro-kernel over im2col's columns, so results are the GEMM path's when OpenBLAS does not
// split the depth (it does not at these depths on this machine; tests hold the kernel to its own exact
// reference and to the GEMM path within rounding).
#ifndef STEERLENS_CONVOLUTION_KERNELS_H
#define STEERLENS_CONVOLUTION_KERNELS_H
#include <immintrin.h>
#include "vector_kernels.h"

/// The lane masks of the `vectors` 16-float vectors that hold `filters` values (the last may be partial).
static inline void steerlens_filter_masks(long filters, int vectors, __mmask16 *masks) {
    for (int v = 0; v < vectors; v++) {
        const long remaining = filters - 16L * v;
        masks[v] = remaining >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << remaining) - 1);
    }
}

/// `PIXELS` output pixels of one output row, left to right, `VECTORS` vectors of filters each:
/// `out[p][f] = Σ window(p)[t] · kernel[t][f]` over the window's taps `t = (ky·KW + kx)·C + c`, one FMA chain
/// per value. `window` is the first pixel's window corner in the image (`[H, W, C]`, row stride
/// `inputRowStride` floats); the next pixel's starts `pixelStride` floats further (stride · C).
/// With `HALF_LAST` the last vector holds at most 8 filters and runs at 256 bits: on AMD Zen 4 a 512-bit
/// FMA takes both FMA pipes and a 256-bit one only one, so PilotNet's 24 filters cost 1.5 instead of 2
/// pipe-cycles a tap (the same per-lane FMAs, so the same results).
/// PIXELS, VECTORS and HALF_LAST are compile-time constants at every call, so the accumulators stay in registers.
__attribute__((target("avx512f,avx512vl,fma"), always_inline))
static inline void steerlens_conv_block(const float *window, long inputRowStride, long pixelStride, long kernelHeight, long rowTaps,
                                        const float *kernel, long filters, const __mmask16 *masks, float *out,
                                        const int PIXELS, const int VECTORS, const int HALF_LAST) {
    __m512 acc[PIXELS][VECTORS];
#pragma clang loop unroll(full)
    for (int p = 0; p < PIXELS; p++)
#pragma clang loop unroll(full)
        for (int v = 0; v < VECTORS; v++) acc[p][v] = _mm512_setzero_ps();
    const float *weights = kernel;
    for (long ky = 0; ky < kernelHeight; ky++) {
        const float *row = window + ky * inputRowStride;
        for (long j = 0; j < rowTaps; j++, weights += filters) {
            __m512 w[VECTORS];
#pragma clang loop unroll(full)
            for (int v = 0; v < VECTORS; v++) w[v] = _mm512_maskz_loadu_ps(masks[v], weights + 16 * v);
#pragma clang loop unroll(full)
            for (int p = 0; p < PIXELS; p++) {
                const __m512 x = _mm512_set1_ps(row[p * pixelStride + j]);
#pragma clang loop unroll(full)
                for (int v = 0; v < VECTORS; v++) {
                    if (HALF_LAST && v == VECTORS - 1)
                        acc[p][v] = _mm512_castps256_ps512(_mm256_fmadd_ps(_mm512_castps512_ps256(x), _mm512_castps512_ps256(w[v]),
                                                                           _mm512_castps512_ps256(acc[p][v])));
                    else
                        acc[p][v] = _mm512_fmadd_ps(x, w[v], acc[p][v]);
                }
            }
        }
    }
#pragma clang loop unroll(full)
    for (int p = 0; p < PIXELS; p++)
#pragma clang loop unroll(full)
        for (int v = 0; v < VECTORS; v++) _mm512_mask_storeu_ps(out + p * filters + 16 * v, masks[v], acc[p][v]);
}

/// Every output row of `batch` images with `VECTORS` vectors of filters: blocks of PIXELS pixels, then
/// the row's last pixels one at a time.
__attribute__((target("avx512f,avx512vl,fma"), always_inline))
static inline void steerlens_conv_rows(const float *x, float *out, long batch, steerlens_axis rows, steerlens_axis cols,
                                       long channels, const float *kernel, long filters, const int PIXELS, const int VECTORS,
                                       const int HALF_LAST) {
    __mmask16 masks[4];
    steerlens_filter_masks(filters, VECTORS, masks);
    const long inputRowStride = cols.input * channels, pixelStride = cols.stride * channels, rowTaps = cols.kernel * channels;
    for (long n = 0; n < batch; n++) {
        const float *image = x + n * rows.input * inputRowStride;
        for (long oh = 0; oh < rows.output; oh++) {
            const float *windowRow = image + oh * rows.stride * inputRowStride;
            float *target = out + ((n * rows.output + oh) * cols.output) * filters;
            long ow = 0;
            for (; ow + PIXELS <= cols.output; ow += PIXELS)
                steerlens_conv_block(windowRow + ow * pixelStride, inputRowStride, pixelStride, rows.kernel, rowTaps, kernel, filters,
                                     masks, target + ow * filters, PIXELS, VECTORS, HALF_LAST);
            for (; ow < cols.output; ow++)
                steerlens_conv_block(windowRow + ow * pixelStride, inputRowStride, pixelStride, rows.kernel, rowTaps, kernel, filters,
                                     masks, target + ow * filters, 1, VECTORS, HALF_LAST);
        }
    }
}

/// `Conv2D`'s forward sums without padding (Convolution.swift), straight from the images:
/// `out[n][oh][ow][f] = Σ_{ky,kx,c} x[n][oh·sy + ky][ow·sx + kx][c] · kernel[ky][kx][c][f]`, each value one
/// FMA chain from 0 in that order. `x` is `[batch, H, W, C]`, `kernel` `[KH, KW, C, F]`, `out`
/// `[batch, OH, OW, F]`, written whole (no bias, no activation). Requires 1 ≤ F ≤ 64, no padding
/// (`padBefore == 0` and every window inside the image). Blocks of 24, 12, 8 or 6 pixels for 1, 2, 3
/// or 4 vectors of filters: at most 24 accumulators of the 32 registers.
__attribute__((target("avx512f,avx512vl,fma")))
static inline void steerlens_conv2d_direct_avx512(const float *x, float *out, long batch, steerlens_axis rows, steerlens_axis cols,
                                                  long channels, const float *kernel, long filters) {
#define STEERLENS_CONV_ROWS(PIXELS, VECTORS) (halfLast ? steerlens_conv_rows(x, out, batch, rows, cols, channels, kernel, filters, PIXELS, VECTORS, 1) \
                                                       : steerlens_conv_rows(x, out, batch, rows, cols, channels, kernel, filters, PIXELS, VECTORS, 0))
    const int halfLast = (filters - 1) % 16 < 8;  // the last vector holds 1…8 filters
    switch ((filters + 15) / 16) {
    case 1: STEERLENS_CONV_ROWS(24, 1); break;
    case 2: STEERLENS_CONV_ROWS(12, 2); break;
    case 3: STEERLENS_CONV_ROWS(8, 3); break;
    case 4: STEERLENS_CONV_ROWS(6, 4); break;
    default: break;
    }
#undef STEERLENS_CONV_ROWS
}

// MARK: The input gradient of a direct convolution

/// The column gradients of `PIXELS` output pixels at one kernel row: `acc[p]` lane `t` is
/// `Σ_f dz[p][f] · weights[f·taps + t]` for the row's `rowTaps` taps (lanes past them 0), one FMA chain from 0
/// over f, as `sgemm` forms `dZ · Wᵀ`. `weights` points at `transposed[0][ky·KW·C]`.
__attribute__((target("avx512f"), always_inline))
static inline void steerlens_conv_column_gradients(const float *dz, long filters, const float *weights, long taps, __mmask16 tapMask,
                                                   __m512 *acc, const int PIXELS) {
#pragma clang loop unroll(full)
    for (int p = 0; p < PIXELS; p++) acc[p] = _mm512_setzero_ps();
    for (long f = 0; f < filters; f++) {
        const __m512 w = _mm512_maskz_loadu_ps(tapMask, weights + f * taps);
#pragma clang loop unroll(full)
        for (int p = 0; p < PIXELS; p++) acc[p] = _mm512_fmadd_ps(_mm512_set1_ps(dz[p * filters + f]), w, acc[p]);
    }
}

/// `PIXELS` output pixels at one kernel row, any geometry: their column gradients added onto their
/// windows' row at `target` (pixel `p` at `p · pixelStride`) pixel after pixel, col2im's order: each a
/// read-modify-write of the image row, which waits for the previous pixel's store where windows overlap.
__attribute__((target("avx512f"), always_inline))
static inline void steerlens_conv_gradient_pixels(const float *dz, long filters, const float *weights, long taps, __mmask16 tapMask,
                                                  float *target, long pixelStride, const int PIXELS) {
    __m512 acc[PIXELS];
    steerlens_conv_column_gradients(dz, filters, weights, taps, tapMask, acc, PIXELS);
#pragma clang loop unroll(full)
    for (int p = 0; p < PIXELS; p++) {
        float *pixel = target + p * pixelStride;
        _mm512_mask_storeu_ps(pixel, tapMask, _mm512_add_ps(_mm512_maskz_loadu_ps(tapMask, pixel), acc[p]));
    }
}

/// `PIXELS` output pixels at one kernel row whose windows overlap on the image row, with the pixel stride
/// `STRIDE` (floats) and the row's `TAPS` known at compile time: the image segment under them is held in
/// registers and each pixel's column gradients are shifted into place and added with a mask, pixel after
/// pixel (col2im's order, lanes outside the window untouched), so overlapping windows do not wait for
/// each other's stores.
__attribute__((target("avx512f"), always_inline))
static inline void steerlens_conv_gradient_segment(const float *dz, long filters, const float *weights, long taps, float *target,
                                                   const int PIXELS, const int STRIDE, const int TAPS) {
    const __mmask16 tapMask = (__mmask16)((1u << TAPS) - 1);
    __m512 acc[PIXELS];
    steerlens_conv_column_gradients(dz, filters, weights, taps, tapMask, acc, PIXELS);
    const int length = (PIXELS - 1) * STRIDE + TAPS, vectors = (length + 15) / 16;
    __m512 segment[vectors];
#pragma clang loop unroll(full)
    for (int j = 0; j < vectors; j++) {
        const int lanes = length - 16 * j >= 16 ? 16 : length - 16 * j;
        segment[j] = _mm512_maskz_loadu_ps((__mmask16)((1u << lanes) - 1), target + 16 * j);
    }
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
#pragma clang loop unroll(full)
    for (int p = 0; p < PIXELS; p++) {
        const int first = p * STRIDE / 16, shift = p * STRIDE % 16;
        // Lane l of the segment vectors takes acc lane (l − shift) mod 16.
        const __m512 shifted = _mm512_permutexvar_ps(_mm512_and_si512(_mm512_sub_epi32(lane, _mm512_set1_epi32(shift)), _mm512_set1_epi32(15)), acc[p]);
        segment[first] = _mm512_mask_add_ps(segment[first], (__mmask16)(tapMask << shift), segment[first], shifted);
        if (shift + TAPS > 16)
            segment[first + 1] = _mm512_mask_add_ps(segment[first + 1], (__mmask16)(tapMask >> (16 - shift)), segment[first + 1], shifted);
    }
#pragma clang loop unroll(full)
    for (int j = 0; j < vectors; j++) {
        const int lanes = length - 16 * j >= 16 ? 16 : length - 16 * j;
        _mm512_mask_storeu_ps(target + 16 * j, (__mmask16)((1u << lanes) - 1), segment[j]);
    }
}

/// Every output row and kernel row of `batch` images in blocks of 8 pixels (8 independent FMA chains per
/// weight load): with `STRIDE` and `TAPS` known (both > 0) their image segment held in registers
/// (`steerlens_conv_gradient_segment`), with 0 for both (any geometry) added pixel after pixel
/// (`steerlens_conv_gradient_pixels`); the row's last pixels one by one.
__attribute__((target("avx512f"), always_inline))
static inline void steerlens_conv_gradient_rows(const float *dz, const float *transposed, float *dx, long batch,
                                                steerlens_axis rows, steerlens_axis cols, long channels, long filters,
                                                const int STRIDE, const int TAPS) {
    const long rowTaps = cols.kernel * channels, taps = rows.kernel * rowTaps;
    const __mmask16 tapMask = (__mmask16)((1u << rowTaps) - 1);
    const long inputRowStride = cols.input * channels, pixelStride = cols.stride * channels;
    for (long n = 0; n < batch; n++) {
        float *image = dx + n * rows.input * inputRowStride;
        for (long oh = 0; oh < rows.output; oh++) {
            const float *gradients = dz + ((n * rows.output + oh) * cols.output) * filters;
            for (long ky = 0; ky < rows.kernel; ky++) {
                float *imageRow = image + (oh * rows.stride + ky) * inputRowStride;
                const float *weights = transposed + ky * rowTaps;
                long ow = 0;
                for (; ow + 8 <= cols.output; ow += 8) {
                    if (TAPS > 0)
                        steerlens_conv_gradient_segment(gradients + ow * filters, filters, weights, taps, imageRow + ow * pixelStride, 8, STRIDE, TAPS);
                    else
                        steerlens_conv_gradient_pixels(gradients + ow * filters, filters, weights, taps, tapMask, imageRow + ow * pixelStride, pixelStride, 8);
                }
                for (; ow < cols.output; ow++)
                    steerlens_conv_gradient_pixels(gradients + ow * filters, filters, weights, taps, tapMask, imageRow + ow * pixelStride, pixelStride, 1);
            }
        }
    }
}

/// `Conv2D`'s input gradient for the shapes `steerlens_conv2d_direct_avx512` runs, with a kernel row of
/// at most 16 taps (`KW·C ≤ 16`): `dx` (`[batch, H, W, C]`, zeroed by the caller) receives, for each
/// output pixel, `dz[pixel] · Wᵀ` (`dz` `[batch, OH, OW, F]`) on its window: the values of `sgemm` added in
/// col2im's order. `transposed` is the kernel as `[F, KH·KW·C]`. The order here is (oh, ky, ow) where
/// col2im's is (oh, ow, ky): within one output row an image element lies under a single kernel row, so
/// every element receives the same terms in the same order. Registers hold the overlapping windows of
/// 5×5 and 3×3 kernels on RGB and grey images at strides 1 and 2; other shapes add pixel after pixel
/// from registers to memory.
__attribute__((target("avx512f")))
static inline void steerlens_conv2d_input_gradient_avx512(const float *dz, const float *transposed, float *dx, long batch,
                                                          steerlens_axis rows, steerlens_axis cols, long channels, long filters) {
#define STEERLENS_GRADIENT_ROWS(STRIDE, TAPS) steerlens_conv_gradient_rows(dz, transposed, dx, batch, rows, cols, channels, filters, STRIDE, TAPS)
    const long pixelStride = cols.stride * channels, rowTaps = cols.kernel * channels;
    if (pixelStride == 6 && rowTaps == 15) STEERLENS_GRADIENT_ROWS(6, 15);        // 5×5 RGB, stride 2 (PilotNet, DonkeyCar)
    else if (pixelStride == 3 && rowTaps == 15) STEERLENS_GRADIENT_ROWS(3, 15);   // 5×5 RGB, stride 1
    else if (pixelStride == 6 && rowTaps == 9) STEERLENS_GRADIENT_ROWS(6, 9);     // 3×3 RGB, stride 2
    else if (pixelStride == 3 && rowTaps == 9) STEERLENS_GRADIENT_ROWS(3, 9);     // 3×3 RGB, stride 1
    else if (pixelStride == 2 && rowTaps == 5) STEERLENS_GRADIENT_ROWS(2, 5);     // 5×5 grey, stride 2
    else if (pixelStride == 1 && rowTaps == 3) STEERLENS_GRADIENT_ROWS(1, 3);     // 3×3 grey, stride 1
    else STEERLENS_GRADIENT_ROWS(0, 0);
#undef STEERLENS_GRADIENT_ROWS
}

#endif
