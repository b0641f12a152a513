// Hot loops on decoded frames and the images written from them (preprocessing, overlays, PNG
// filtering: Sources/VideoIO, Sources/Reporting), chosen at run time.
//
// The conventions of vector_kernels.h: `static inline` functions compiled into the calling Swift
// module, used only after `steerlens_vector_level()` returned their level (2 for the `_avx512` ones,
// 1 for `_avx2`), each repeating its Swift reference operation by operation (separate multiplies and
// adds, the same order), so the bytes are the portable loop's. Other CPUs run the Swift loops.
#ifndef STEERLENS_FRAME_KERNELS_H
#define STEERLENS_FRAME_KERNELS_H
#include <immintrin.h>
#include <stdint.h>
#include "vector_level.h"
#include "rgb_lanes.h"

#pragma clang fp contract(off)

// MARK: Resampler (VideoIO/Resampler.swift)

/// The vertical pass of a separable resize: `out[i] = w₀·x₀[i] + w₁·x₁[i] + …`, summed in row order
/// (`((w₀·x₀ + w₁·x₁) + w₂·x₂) + …`), for `i < count`, where `xᵣ = Float(rows[r·stride + i])` are
/// bytes of `rowCount ≥ 1` rows `stride` bytes apart. Each sum stays in a register across the rows.
__attribute__((target("avx512f"))) static inline void steerlens_weighted_rows_avx512(const uint8_t *rows, long stride, const float *weights,
                                                                                    long rowCount, float *out, long count) {
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 sum = _mm512_mul_ps(_mm512_set1_ps(weights[0]), _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(rows + i)))));
        for (long r = 1; r < rowCount; r++) {
            const __m512 x = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(rows + r * stride + i))));
            sum = _mm512_add_ps(sum, _mm512_mul_ps(_mm512_set1_ps(weights[r]), x));
        }
        _mm512_storeu_ps(out + i, sum);
    }
    for (; i < count; i++) {
        float sum = weights[0] * (float)rows[i];
        for (long r = 1; r < rowCount; r++) sum = sum + weights[r] * (float)rows[r * stride + i];
        out[i] = sum;
    }
}

/// Lanes `first ..< min(first + 16, count)` of a resized row: `sum` clamped to 0…255, rounded ties to
/// even, as bytes at `out + first` (nothing past `out + count` is written).
__attribute__((target("avx512f"), always_inline)) static inline void steerlens_store_saturated16(__m512 sum, uint8_t *out, long first, long count) {
    const __m128i bytes = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(sum, _mm512_setzero_ps()), _mm512_set1_ps(255.0f))));
    if (first + 16 <= count) {
        _mm_storeu_si128((__m128i *)(out + first), bytes);
    } else {
        uint8_t last[16];
        _mm_storeu_si128((__m128i *)last, bytes);
        for (long lane = 0; first + lane < count; lane++) out[first + lane] = last[lane];
    }
}

/// The horizontal pass of a separable resize into bytes, for the `count` values of an output row in
/// blocks of 16 lanes: `out[16k + l] = saturate(Σ_t weights[j]·row[indices[j]])`, `j = (k·taps + t)·16 + l`,
/// `t < taps`. Each lane sums
/// `0 + w₀·x₀ + w₁·x₁ + …` in tap order like the Swift loop; a lane with fewer taps has weight 0 (and
/// an index inside the row) for the rest, which adds +0 to a non-negative sum: `row` must be finite
/// (0·∞ is NaN), as the resize's rows are (bytes, or transformed rows clamped to 0…255). `saturate` clamps to
/// 0…255 and rounds ties to even, as `Resampler.saturate`.
__attribute__((target("avx512f"))) static inline void steerlens_weighted_columns_avx512(const float *row, const int32_t *indices, const float *weights,
                                                                                       long taps, uint8_t *out, long count) {
    for (long first = 0, k = 0; first < count; first += 16, k++) {
        __m512 sum = _mm512_setzero_ps();
        for (long t = 0; t < taps; t++) {
            const __m512i index = _mm512_loadu_si512(indices + (k * taps + t) * 16);
            sum = _mm512_add_ps(sum, _mm512_mul_ps(_mm512_loadu_ps(weights + (k * taps + t) * 16), _mm512_i32gather_ps(index, row, 4)));
        }
        steerlens_store_saturated16(sum, out, first, count);
    }
}

/// `steerlens_weighted_columns_avx512` with each block's taps read from a window of 64 Floats of `row`
/// held in four registers, by permutes instead of a gather per tap: block `k`'s window starts at
/// `row + windows[k]` and its `indices` are relative to it (0…63). The same products summed in the same
/// order, so the same bytes. Reads `row[windows[k] ..< windows[k] + 64]` for every block.
__attribute__((target("avx512f"))) static inline void steerlens_weighted_columns_window_avx512(const float *row, const int32_t *windows, const int32_t *indices,
                                                                                              const float *weights, long taps, uint8_t *out, long count) {
    for (long first = 0, k = 0; first < count; first += 16, k++) {
        const float *start = row + windows[k];
        const __m512 window[4] = {_mm512_loadu_ps(start), _mm512_loadu_ps(start + 16), _mm512_loadu_ps(start + 32), _mm512_loadu_ps(start + 48)};
        __m512 sum = _mm512_setzero_ps();
        for (long t = 0; t < taps; t++) {
            const __m512 value = steerlens_lookup64_ps(window, _mm512_loadu_si512(indices + (k * taps + t) * 16));
            sum = _mm512_add_ps(sum, _mm512_mul_ps(_mm512_loadu_ps(weights + (k * taps + t) * 16), value));
        }
        steerlens_store_saturated16(sum, out, first, count);
    }
}

// MARK: Overlay (Reporting/Overlay.swift)

/// Eight lanes of `Overlay`'s blend: `uint8(keep·p + alpha·c)` in Double, truncated.
__attribute__((target("avx512f"), always_inline)) static inline __m256i steerlens_blend8(__m256i p, __m256i c, __m512d keep, __m512d alpha) {
    return _mm512_cvttpd_epi32(_mm512_add_pd(_mm512_mul_pd(keep, _mm512_cvtepi32_pd(p)), _mm512_mul_pd(alpha, _mm512_cvtepi32_pd(c))));
}

/// One row of an overlay, `count` RGB24 pixels: `out = uint8(keep·frame + alpha·colour)` per channel
/// (Double, truncated), where the colour of pixel `x` is entry `i` of the colormap's 256 RGB entries
/// packed as `r | g << 8 | b << 16` in `colors`, `i = values[x] > 0 ? min(⌊values[x]·256⌋, 255) : 0`
/// (NaN → 0). One gather per 16 pixels; each channel lane then picks its pixel's entry and byte. `out`
/// may be `frame`. Lane by lane `Overlay`'s table `blend[p << 8 | c]`, which holds the same Double formula.
__attribute__((target("avx512f"))) static inline void steerlens_overlay_row_avx512(const float *values, const uint8_t *frame, const int32_t *colors,
                                                                                  double keep, double alpha, uint8_t *out, long count) {
    const __m512 zero = _mm512_setzero_ps(), top = _mm512_set1_ps(255.0f), scale = _mm512_set1_ps(256.0f);
    const __m512d keepVector = _mm512_set1_pd(keep), alphaVector = _mm512_set1_pd(alpha);
    long x = 0;
    for (; x + 16 <= count; x += 16) {
        // min(⌊v·256⌋, 255) = ⌊min(v·256, 255)⌋ for v > 0, and the clamp keeps huge values in range.
        const __m512 value = _mm512_loadu_ps(values + x);
        const __mmask16 positive = _mm512_cmp_ps_mask(value, zero, _CMP_GT_OQ);
        const __m512i index = _mm512_maskz_cvttps_epi32(positive, _mm512_min_ps(_mm512_mul_ps(value, scale), top));
        const __m512i packed = _mm512_i32gather_epi32(index, colors, 4);
        for (long part = 0; part < 3; part++) {
            const __m512i entry = _mm512_permutexvar_epi32(_mm512_loadu_si512(steerlens_rgb_lane_pixel + 16 * part), packed);
            const __m512i shift = _mm512_slli_epi32(_mm512_loadu_si512(steerlens_rgb_lane_channel + 16 * part), 3);
            const __m512i colour = _mm512_and_si512(_mm512_srlv_epi32(entry, shift), _mm512_set1_epi32(0xFF));
            const __m512i pixel = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(frame + 3 * x + 16 * part)));
            const __m256i low = steerlens_blend8(_mm512_castsi512_si256(pixel), _mm512_castsi512_si256(colour), keepVector, alphaVector);
            const __m256i high = steerlens_blend8(_mm512_extracti64x4_epi64(pixel, 1), _mm512_extracti64x4_epi64(colour, 1), keepVector, alphaVector);
            _mm_storeu_si128((__m128i *)(out + 3 * x + 16 * part), _mm512_cvtepi32_epi8(_mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1)));
        }
    }
    for (; x < count; x++) {
        const float value = values[x];
        const long index = value > 0 ? (long)(value * 256.0f < 255.0f ? value * 256.0f : 255.0f) : 0;
        for (long channel = 0; channel < 3; channel++) {
            const int colour = (colors[index] >> (8 * channel)) & 0xFF;
            out[3 * x + channel] = (uint8_t)(int)(keep * (double)frame[3 * x + channel] + alpha * (double)colour);
        }
    }
}

// MARK: PNG filters (VideoIO/PNGEncoder.swift)

/// PNG filter type 4 (`Paeth`) of one row from byte 3 on: `out[x] = row[x] − predictor(a, b, c)` with
/// `a = row[x − 3]`, `b = above[x]`, `c = above[x − 3]`, for `3 ≤ x < rowBytes`; the predictor is the
/// one of a, b, c closest to `a + b − c`, ties in that order. In bytes, 32 at a time: `pa = |b − c|`,
/// `pb = |a − c|`, and `pc = |(b − c) + (a − c)|` is `pa + pb` when the two differences have the same
/// sign, else `|pa − pb|`; its sum saturates at 255, which leaves every comparison with pa and pb
/// (both ≤ 255) as it was, so the choice equals the 16-bit one of the Swift loop.
__attribute__((target("avx2"))) static inline void steerlens_paeth_avx2(const uint8_t *row, const uint8_t *above, uint8_t *out, long rowBytes) {
    long x = 3;
    for (; x + 32 <= rowBytes; x += 32) {
        const __m256i a = _mm256_loadu_si256((const __m256i *)(row + x - 3)), b = _mm256_loadu_si256((const __m256i *)(above + x));
        const __m256i c = _mm256_loadu_si256((const __m256i *)(above + x - 3)), raw = _mm256_loadu_si256((const __m256i *)(row + x));
        const __m256i pa = _mm256_sub_epi8(_mm256_max_epu8(b, c), _mm256_min_epu8(b, c));
        const __m256i pb = _mm256_sub_epi8(_mm256_max_epu8(a, c), _mm256_min_epu8(a, c));
        const __m256i bAtLeastC = _mm256_cmpeq_epi8(_mm256_max_epu8(b, c), b), aAtLeastC = _mm256_cmpeq_epi8(_mm256_max_epu8(a, c), a);
        const __m256i sameSign = _mm256_cmpeq_epi8(bAtLeastC, aAtLeastC);
        const __m256i pc = _mm256_blendv_epi8(_mm256_sub_epi8(_mm256_max_epu8(pa, pb), _mm256_min_epu8(pa, pb)), _mm256_adds_epu8(pa, pb), sameSign);
        const __m256i paSmallest = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_min_epu8(pa, pb), pa), _mm256_cmpeq_epi8(_mm256_min_epu8(pa, pc), pa));
        const __m256i pbAtMostPc = _mm256_cmpeq_epi8(_mm256_min_epu8(pb, pc), pb);
        const __m256i prediction = _mm256_blendv_epi8(_mm256_blendv_epi8(c, b, pbAtMostPc), a, paSmallest);
        _mm256_storeu_si256((__m256i *)(out + x), _mm256_sub_epi8(raw, prediction));
    }
    for (; x < rowBytes; x++) {
        const int a = row[x - 3], b = above[x], c = above[x - 3];
        const int pa = b > c ? b - c : c - b, pb = a > c ? a - c : c - a, sum = (b - c) + (a - c), pc = sum < 0 ? -sum : sum;
        out[x] = (uint8_t)(row[x] - (pa <= pb && pa <= pc ? a : pb <= pc ? b : c));
    }
}

#endif
