// keras-vis saliency reduction of three-channel gradients on AVX-512 (Saliency/SaliencyReduction.swift).
//
// Each kernel repeats its Swift loop operation by operation: Swift's `max(x, y)` is `y >= x ? y : x`
// (a compare and a blend here, so NaN and signed zeros pick the same operand), `abs` clears the sign
// bit, the normalisation runs in double like the Swift `Double` arithmetic. Results are bit-identical
// (ModifierReductionTests runs both).
#ifndef STEERLENS_SALIENCY_KERNELS_H
#define STEERLENS_SALIENCY_KERNELS_H
#include <immintrin.h>
#include <stdint.h>
#include "vector_level.h"

#pragma clang fp contract(off)

/// `GradientModifier`'s cases in declaration order (the Swift side passes its index).
enum {
    STEERLENS_MODIFIER_IDENTITY = 0,
    STEERLENS_MODIFIER_NEGATE = 1,
    STEERLENS_MODIFIER_SMALL_VALUES = 2,
    STEERLENS_MODIFIER_ABSOLUTE = 3,
    STEERLENS_MODIFIER_RELU = 4,
    STEERLENS_MODIFIER_INVERT = 5,
};

/// Swift's `max(x, y)`: `y >= x ? y : x` (x where either is NaN).
__attribute__((target("avx512f"), always_inline)) static inline __m512 steerlens_swift_max16(__m512 x, __m512 y) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(y, x, _CMP_GE_OQ), x, y);
}

/// `GradientModifier.Formula` of `modifier`, lane by lane.
__attribute__((target("avx512f"), always_inline)) static inline __m512 steerlens_modify16(__m512 g, int modifier, float epsilon) {
    const __m512i magnitude = _mm512_set1_epi32(0x7FFFFFFF);
    switch (modifier) {
    case STEERLENS_MODIFIER_NEGATE:
        return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(g), _mm512_set1_epi32((int32_t)0x80000000u)));
    case STEERLENS_MODIFIER_SMALL_VALUES: {
        const __m512 inverse = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(g, _mm512_set1_ps(epsilon)));
        return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(inverse), magnitude));
    }
    case STEERLENS_MODIFIER_ABSOLUTE:
        return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(g), magnitude));
    case STEERLENS_MODIFIER_RELU:
        return steerlens_swift_max16(g, _mm512_setzero_ps());
    case STEERLENS_MODIFIER_INVERT:
        return _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(g, _mm512_set1_ps(epsilon)));
    default:
        return g;
    }
}

/// `GradientModifier.guarded`: NaN → 0, ±∞ → ±greatest finite.
__attribute__((target("avx512f"), always_inline)) static inline __m512 steerlens_guarded16(__m512 v) {
    const __m512 clamped = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(-3.40282347e38f)), _mm512_set1_ps(3.40282347e38f));
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), clamped);
}

/// Lane p of channel c (float 3p + c of 48) from the concatenation v0:v1 (`first`, indices below 32)
/// and then from `(that result):v2` (`second`: lane p kept, or 16 + the index past 32).
static const int32_t steerlens_channel_first[3][16] = {
    {0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 0, 0, 0, 0, 0},
    {1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 0, 0, 0, 0, 0},
    {2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 0, 0, 0, 0, 0, 0}};
static const int32_t steerlens_channel_second[3][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 17, 20, 23, 26, 29},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 18, 21, 24, 27, 30},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 19, 22, 25, 28, 31}};

/// Channel `c` of 16 interleaved three-channel pixels held in `v0`, `v1`, `v2` (48 floats in order).
__attribute__((target("avx512f"), always_inline)) static inline __m512 steerlens_channel16(__m512 v0, __m512 v1, __m512 v2, int c) {
    const __m512 low = _mm512_permutex2var_ps(v0, _mm512_loadu_si512(steerlens_channel_first[c]), v1);
    return _mm512_permutex2var_ps(low, _mm512_loadu_si512(steerlens_channel_second[c]), v2);
}

/// For `pixels` pixels of a three-channel gradient `g` (`[pixels, 3]`): `map[p]` =
/// `guarded(max(max(m(g0), m(g1)), m(g2)))` with `m` the modifier's formula (the map before keras-vis'
/// normalisation) and, when `importance` is not NULL, `importance[p]` =
/// `max(max(max(0, guarded(m(g0))), guarded(m(g1))), guarded(m(g2)))`. Also returns the least and the
/// greatest map value as order keys (`bits ^ ((bits >> 31) & 0x7FFFFFFF)`, whose integer order is the
/// floats' order), for `SaliencyReduction.range`'s signed-zero step.
__attribute__((target("avx512f"))) static inline void steerlens_saliency_channel_max_avx512(
    const float *g, long pixels, int modifier, float epsilon, float *map, float *importance, int32_t *lowKey, int32_t *highKey) {
    __m512i low = _mm512_set1_epi32(INT32_MAX), high = _mm512_set1_epi32(INT32_MIN);
    const __m512 zero = _mm512_setzero_ps();
    for (long p = 0; p < pixels; p += 16) {
        const long count = pixels - p < 16 ? pixels - p : 16;
        const __mmask16 lanes = (__mmask16)((1u << count) - 1);
        __m512 v0, v1, v2;
        if (count == 16) {
            v0 = _mm512_loadu_ps(g + 3 * p);
            v1 = _mm512_loadu_ps(g + 3 * p + 16);
            v2 = _mm512_loadu_ps(g + 3 * p + 32);
        } else {  // the tail: 3·count floats, the rest of the 48 lanes zero (their results are not stored)
            const long floats = 3 * count;
            v0 = _mm512_maskz_loadu_ps((__mmask16)(floats >= 16 ? 0xFFFF : (1u << floats) - 1), g + 3 * p);
            v1 = _mm512_maskz_loadu_ps((__mmask16)(floats >= 32 ? 0xFFFF : floats <= 16 ? 0 : (1u << (floats - 16)) - 1), g + 3 * p + 16);
            v2 = _mm512_maskz_loadu_ps((__mmask16)(floats <= 32 ? 0 : (1u << (floats - 32)) - 1), g + 3 * p + 32);
        }
        const __m512 m0 = steerlens_modify16(steerlens_channel16(v0, v1, v2, 0), modifier, epsilon);
        const __m512 m1 = steerlens_modify16(steerlens_channel16(v0, v1, v2, 1), modifier, epsilon);
        const __m512 m2 = steerlens_modify16(steerlens_channel16(v0, v1, v2, 2), modifier, epsilon);
        const __m512 value = steerlens_guarded16(steerlens_swift_max16(steerlens_swift_max16(m0, m1), m2));
        _mm512_mask_storeu_ps(map + p, lanes, value);
        const __m512i bits = _mm512_castps_si512(value);
        const __m512i key = _mm512_xor_si512(bits, _mm512_and_si512(_mm512_srai_epi32(bits, 31), _mm512_set1_epi32(0x7FFFFFFF)));
        low = _mm512_mask_min_epi32(low, lanes, low, key);
        high = _mm512_mask_max_epi32(high, lanes, high, key);
        if (importance) {
            __m512 best = steerlens_swift_max16(zero, steerlens_guarded16(m0));
            best = steerlens_swift_max16(best, steerlens_guarded16(m1));
            best = steerlens_swift_max16(best, steerlens_guarded16(m2));
            _mm512_mask_storeu_ps(importance + p, lanes, best);
        }
    }
    *lowKey = _mm512_reduce_min_epi32(low);
    *highKey = _mm512_reduce_max_epi32(high);
}

/// keras-vis `utils.normalize` with a precomputed range: `map[i] = (float)(((double)map[i] − low) · scale)`.
__attribute__((target("avx512f"))) static inline void steerlens_saliency_normalise_avx512(float *map, long count, double low, double scale) {
    const __m512d lowVector = _mm512_set1_pd(low), scaleVector = _mm512_set1_pd(scale);
    for (long i = 0; i < count; i += 16) {
        const long lanes = count - i < 16 ? count - i : 16;
        const __mmask16 mask = (__mmask16)((1u << lanes) - 1);
        const __m512 values = _mm512_maskz_loadu_ps(mask, map + i);
        const __m256 first = _mm512_castps512_ps256(values);
        const __m256 second = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(values), 1));
        const __m256 a = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_sub_pd(_mm512_cvtps_pd(first), lowVector), scaleVector));
        const __m256 b = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_sub_pd(_mm512_cvtps_pd(second), lowVector), scaleVector));
        const __m512 result = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(a)), _mm256_castps_pd(b), 1));
        _mm512_mask_storeu_ps(map + i, mask, result);
    }
}

#endif
