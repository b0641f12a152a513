// The pixel-vectorised convolution of layers with any channel count (NeuralNet's `PixelConvolution`):
// the input copied into a planar layout by register transposes, then 16 neighbouring output pixels of
// a row times a tile of filters per block, each value `sgemm`'s FMA chain over im2col's columns in
// OpenBLAS's depth blocks (so the GEMM path's bits). The direct convolution of the first layers and
// its input gradient are in convolution_kernels.h.
#ifndef STEERLENS_PLANAR_CONVOLUTION_KERNELS_H
#define STEERLENS_PLANAR_CONVOLUTION_KERNELS_H
#include <immintrin.h>
#include <stdint.h>
#include "vector_kernels.h"

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
/// those floats per block, the last block moved back to overlap the one before); the columns at the
/// edges and the zeros are written one by one. A 16-lane gather of the same floats cost tens of cycles
/// on AMD Zen 4, and a scalar copy of every float took about a sixth of PilotNet's second layer (its
/// forward).
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
            // The common columns, 16 × 16 at a time in whole blocks; a last partial block is moved back to
            // end at `commonEnd` and rewrites columns the block before it wrote (the same values), as masked
            // stores of a few columns cost several times a whole block on Zen 4. Fewer than 16 columns: masked.
            for (long j0 = common; j0 < commonEnd; j0 += 16) {
                if (commonEnd - j0 < 16 && commonEnd - common >= 16) j0 = commonEnd - 16;
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

#endif
