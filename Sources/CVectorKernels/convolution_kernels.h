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

// MARK: Pixel-vectorised convolution (any channel count)

/// 16 vectors transposed in registers: afterwards `r[i]` lane `j` holds what `r[j]` lane `i` held.
/// Four rounds of 16 two-source shuffles (pairs of floats, then of pairs, then of 128-bit quarters twice).
__attribute__((target("avx512f"), always_inline)) static inline void steerlens_transpose16(__m512 r[16]) {
    __m512 t[16];
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i += 8) {
#pragma clang loop unroll(full)
        for (int j = 0; j < 4; j++) {
            t[i + j] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0x88);
            t[i + j + 4] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0xDD);
        }
    }
#pragma clang loop unroll(full)
    for (int j = 0; j < 8; j++) {
        r[j] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88);
        r[j + 8] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0xDD);
    }
}

/// Plane columns `j0 …< j0 + columns` of every plane row of one input row, from `source` (the floats of
/// column `j0`; column `j0 + i` starts `i · step` floats further, `step = S·C`): float `q` of each column
/// goes to `target + rowOffsets[q]`. Blocks of 16 floats × 16 columns are transposed in registers;
/// with fewer than 16 columns (`columns`, a constant 16 where inlined for whole blocks) the stores are masked.
__attribute__((target("avx512f"), always_inline))
static inline void steerlens_planes_block(const float *source, long step, float *target, const long *rowOffsets, const long columns) {
    const __mmask16 columnMask = (__mmask16)((1u << columns) - 1);
    for (long q0 = 0; q0 < step; q0 += 16) {
        const long count = step - q0 < 16 ? step - q0 : 16;
        const __mmask16 floatMask = (__mmask16)((1u << count) - 1);
        __m512 v[16];
        if (columns == 16 && count == 16) {
#pragma clang loop unroll(full)
            for (int i = 0; i < 16; i++) v[i] = _mm512_loadu_ps(source + i * step + q0);
        } else {
#pragma clang loop unroll(full)
            for (int i = 0; i < 16; i++) v[i] = i < columns ? _mm512_maskz_loadu_ps(floatMask, source + i * step + q0) : _mm512_setzero_ps();
        }
        steerlens_transpose16(v);
        const long *offsets = rowOffsets + q0;
        if (columns == 16 && count == 16) {
#pragma clang loop unroll(full)
            for (int i = 0; i < 16; i++) _mm512_storeu_ps(target + offsets[i], v[i]);
        } else {
            for (int i = 0; i < count; i++) _mm512_mask_storeu_ps(target + offsets[i], columnMask, v[i]);
        }
    }
}

/// Copies `batch` images (`[H, W, C]`) into the planar layout `steerlens_conv2d_planar_avx512` reads:
/// per image `planeRows` padded rows, each `C · S` plane rows of `planeWidth` floats, where plane row
/// `(r·C + c)·S + φ` holds `x[r − padTop][S·j + φ − padLeft][c]` at column `j` (`S` the column stride),
/// and zero where that lies outside the image. So the `c` values of 16 output pixels that a tap reads
/// are 16 consecutive floats.
///
/// Within an input row this is a transpose: the `S·C` floats from `x[S·j − padLeft][0]` on are plane
/// column `j` of all `S·C` plane rows; float `q = φ·C + c` belongs to plane row `c·S + φ`, which starts
/// `rowOffsets[q] = (c·S + φ) · planeWidth` floats into the padded row's planes. Columns `j`
/// where all `S` phases lie inside the image go through 16×16 register transposes (16 columns × 16 of
/// those floats per block, masked at the ends); the columns at the edges and the zeros are written one
/// by one. A 16-lane gather of the same floats cost tens of cycles on AMD Zen 4, and a scalar copy of
/// every float took about a sixth of PilotNet's second layer (its forward).
__attribute__((target("avx512f")))
static inline void steerlens_conv_planes(const float *x, float *planes, long batch, steerlens_axis rows, steerlens_axis cols,
                                         long channels, long planeRows, long planeWidth, const long *rowOffsets) {
    const long stride = cols.stride, pad = cols.padBefore, rowFloats = cols.input * channels, step = stride * channels;
    // Columns whose S phases are all inside: S·j − pad ≥ 0 and S·j + S − 1 − pad < W.
    long common = (pad + stride - 1) / stride, commonEnd = (cols.input + pad - stride) / stride + 1;
    if (cols.input + pad - stride < 0) commonEnd = 0;
    if (commonEnd > planeWidth) commonEnd = planeWidth;
    if (common > commonEnd) common = commonEnd;
    float *target = planes;
    for (long n = 0; n < batch; n++) {
        for (long rp = 0; rp < planeRows; rp++, target += step * planeWidth) {
            const long r = rp - rows.padBefore;
            if (r < 0 || r >= rows.input) {
                for (long i = 0; i < step * planeWidth; i++) target[i] = 0;
                continue;
            }
            const float *row = x + (n * rows.input + r) * rowFloats;
            // The edges, plane row by plane row.
            for (long c = 0; c < channels; c++) {
                for (long phase = 0; phase < stride; phase++) {
                    float *plane = target + (c * stride + phase) * planeWidth;
                    // Column j reads input column S·j + φ − padLeft: valid for j in [first, end).
                    const long offset = phase - pad;
                    long first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
                    long end = cols.input <= offset ? 0 : (cols.input - offset + stride - 1) / stride;
                    if (end > planeWidth) end = planeWidth;
                    if (first > end) first = end;
                    // [common, commonEnd) lies within [first, end) and is left to the transposes.
                    const int transposed = common < commonEnd;
                    const long lower = transposed ? common : end, upper = transposed ? commonEnd : end;
                    long j = 0;
                    for (; j < first; j++) plane[j] = 0;
#pragma clang loop vectorize(disable)
                    for (; j < lower; j++) plane[j] = row[(stride * j + offset) * channels + c];
                    j = upper;
#pragma clang loop vectorize(disable)
                    for (; j < end; j++) plane[j] = row[(stride * j + offset) * channels + c];
                    for (; j < planeWidth; j++) plane[j] = 0;
                }
            }
            // The common columns, 16 × 16 at a time: whole blocks, then the last columns masked.
            for (long j0 = common; j0 < commonEnd; j0 += 16) {
                const float *source = row + (stride * j0 - pad) * channels;
                if (commonEnd - j0 >= 16) {
                    steerlens_planes_block(source, step, target + j0, rowOffsets, 16);
                } else {
                    steerlens_planes_block(source, step, target + j0, rowOffsets, commonEnd - j0);
                }
            }
        }
    }
}

/// `PIXELS` vectors of 16 consecutive output pixels of one output row (`valid` of them real) times one
/// tile of `FILTERS` filters: `out[p][f] = Σ_k base[tapOffsets[k] + p] · weights[k·FILTERS + f]` over the
/// taps `k = (ky·KW + kx)·C + c` in that order (`weights`: the tile's `[K][FILTERS]` slice of the packed
/// kernel), as `sgemm` over im2col's columns forms it: one FMA chain from 0 per depth block (`blockEnds`,
/// OpenBLAS's split of the depth), each block's sum added onto the ones before. Written into `out`
/// (pixel `p` at `p · filters`).
__attribute__((target("avx512f"), always_inline))
static inline void steerlens_conv_pixel_tile(const float *base, const int32_t *tapOffsets, const long *blockEnds, long blockCount,
                                             const float *weights, long filters, float *out, long valid, const int PIXELS, const int FILTERS) {
    // Fixed sizes (PIXELS ≤ 3, FILTERS ≤ 9): arrays sized by the parameters would be variable-length, on
    // the stack, re-allocated in the loop.
    __m512 acc[3][9];
    float partial[3 * 9 * 16] __attribute__((aligned(64)));
    long k = 0;
    for (long block = 0; block < blockCount; block++) {
#pragma clang loop unroll(full)
        for (int p = 0; p < PIXELS; p++)
#pragma clang loop unroll(full)
            for (int f = 0; f < FILTERS; f++) acc[p][f] = _mm512_setzero_ps();
        for (; k < blockEnds[block]; k++) {
            const float *source = base + tapOffsets[k], *tap = weights + k * FILTERS;
            __m512 v[3];
#pragma clang loop unroll(full)
            for (int p = 0; p < PIXELS; p++) v[p] = _mm512_loadu_ps(source + 16 * p);
#pragma clang loop unroll(full)
            for (int f = 0; f < FILTERS; f++) {
                const __m512 w = _mm512_set1_ps(tap[f]);
#pragma clang loop unroll(full)
                for (int p = 0; p < PIXELS; p++) acc[p][f] = _mm512_fmadd_ps(v[p], w, acc[p][f]);
            }
        }
#pragma clang loop unroll(full)
        for (int p = 0; p < PIXELS; p++)
#pragma clang loop unroll(full)
            for (int f = 0; f < FILTERS; f++) {
                float *slot = partial + (p * FILTERS + f) * 16;
                if (block > 0) acc[p][f] = _mm512_add_ps(_mm512_load_ps(slot), acc[p][f]);
                _mm512_store_ps(slot, acc[p][f]);
            }
    }
    // Pixel-major out of filter-major `partial`: scalar moves (on Zen 4 a 16-lane scatter cost more).
    const long pixels = valid < 16 * PIXELS ? valid : 16 * PIXELS;
    for (long i = 0; i < pixels; i++) {
        const float *sums = partial + (i / 16) * FILTERS * 16 + i % 16;
#pragma clang loop unroll(full)
        for (int f = 0; f < FILTERS; f++) out[i * filters + f] = sums[f * 16];
    }
}

/// Every output row of `batch` images, in tiles of up to 3 pixel vectors times `FILTERS` filters.
__attribute__((target("avx512f"), always_inline))
static inline void steerlens_conv_planar_rows(const float *planes, float *out, long batch, long outputRows, long outputColumns,
                                              long rowStep, long itemFloats, const int32_t *tapOffsets, long taps, const long *blockEnds,
                                              long blockCount, const float *packed, long filters, const int FILTERS) {
    for (long n = 0; n < batch; n++) {
        for (long oh = 0; oh < outputRows; oh++) {
            const float *base = planes + n * itemFloats + oh * rowStep;
            float *target = out + (n * outputRows + oh) * outputColumns * filters;
            for (long f0 = 0; f0 < filters; f0 += FILTERS) {
                const float *weights = packed + f0 * taps;
                long ow = 0;
                for (; outputColumns - ow > 32; ow += 48)
                    steerlens_conv_pixel_tile(base + ow, tapOffsets, blockEnds, blockCount, weights, filters,
                                              target + ow * filters + f0, outputColumns - ow, 3, FILTERS);
                if (outputColumns - ow > 16)
                    steerlens_conv_pixel_tile(base + ow, tapOffsets, blockEnds, blockCount, weights, filters,
                                              target + ow * filters + f0, outputColumns - ow, 2, FILTERS);
                else if (outputColumns - ow > 0)
                    steerlens_conv_pixel_tile(base + ow, tapOffsets, blockEnds, blockCount, weights, filters,
                                              target + ow * filters + f0, outputColumns - ow, 1, FILTERS);
            }
        }
    }
}

/// `Conv2D`'s forward sums for any channel count, from the planar copy of `steerlens_conv_planes`:
/// `out` (`[batch, OH, OW, F]`, written whole, no bias or activation) as `sgemm` over im2col's columns
/// forms it (see `steerlens_conv_pixel_tile`). Output row `oh` of image `n` reads the planes from
/// `planes + n·itemFloats + oh·rowStep`; `tapOffsets[k]` is tap `k`'s offset from there. `filterTile`
/// (4, 6, 8 or 9, dividing F) filters share each load of 16 pixels; `packed` is the kernel by tile,
/// `[F / filterTile][taps][filterTile]`.
__attribute__((target("avx512f")))
static inline void steerlens_conv2d_planar_avx512(const float *planes, float *out, long batch, long outputRows, long outputColumns,
                                                  long rowStep, long itemFloats, const int32_t *tapOffsets, long taps, const long *blockEnds,
                                                  long blockCount, const float *packed, long filters, long filterTile) {
#define STEERLENS_PLANAR_ROWS(FILTERS) steerlens_conv_planar_rows(planes, out, batch, outputRows, outputColumns, rowStep, itemFloats, \
                                                                  tapOffsets, taps, blockEnds, blockCount, packed, filters, FILTERS)
    switch (filterTile) {
    case 9: STEERLENS_PLANAR_ROWS(9); break;
    case 8: STEERLENS_PLANAR_ROWS(8); break;
    case 6: STEERLENS_PLANAR_ROWS(6); break;
    case 4: STEERLENS_PLANAR_ROWS(4); break;
    default: break;
    }
#undef STEERLENS_PLANAR_ROWS
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
