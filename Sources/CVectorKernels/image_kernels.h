// Hot loops of the photometric and filtering frame transforms (Sources/Transforms) in AVX-512 and AVX2,
// chosen at run time; the geometric ones (cubic scale, affine warp) are in geometry_kernels.h.
//
// The conventions of vector_kernels.h: `static inline` functions compiled into the calling Swift
// module, used only after `steerlens_vector_level()` returned their level (2 for `_avx512`, 1 for
// `_avx2`), each repeating its Swift reference operation by operation (the same roundings, the same
// order), so the bytes are the portable loop's. There are no AVX2 twins of the AVX-512 loops: these are
// a stress run's, and a CPU without AVX-512 runs the Swift loops, which give the same bytes. The median
// filter's byte networks are in median_kernels.h.
#ifndef STEERLENS_IMAGE_KERNELS_H
#define STEERLENS_IMAGE_KERNELS_H
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include "vector_level.h"
#include "rgb_lanes.h"

#pragma clang fp contract(off)

/// Transforms' `saturatedByte` of 16 finite values: 0 below, 255 above, else rounded ties to even (the
/// default rounding mode), as bytes.
__attribute__((target("avx512f"), always_inline)) static inline __m128i steerlens_saturated_bytes16(__m512 value) {
    return _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(value, _mm512_setzero_ps()), _mm512_set1_ps(255.0f))));
}

// MARK: Night (Transforms/Weather.swift)

/// Box–Muller noise of 8 pairs of uniforms, approximately: `noise[2p] ≈ r·cos(a)`, `noise[2p + 1] ≈
/// r·sin(a)` with `r = √(−2·ln u1[p])·sigma` and `a = (2π)·u2[p]` (the Double product the Swift loop
/// forms). Not glibc's bits: ln is `e·ln 2 + 2·atanh(s)` on the mantissa (series to s¹⁷, |s| ≤ 0.172),
/// sin and cos Taylor series to degree 16 after reducing `a` by π/2 with a fused multiply-add; each
/// value is within 10⁻¹³·r of the exact one. Then `out[v] = saturatedByte(base[v] + Float(noise[v]))`
/// for the 16 values; returns the mask of those whose sum lies within 10⁻³ of a rounding boundary
/// (k + ½), where the approximation could change the byte: the caller recomputes them exactly.
__attribute__((target("avx512f"))) static inline uint16_t steerlens_night_noise_avx512(const double *u1, const double *u2, double sigma,
                                                                                    const float *base, uint8_t *out) {
    const __m512d one = _mm512_set1_pd(1.0), u = _mm512_loadu_pd(u1);
    // u = 2^e·m, m in [1, 2), then m in [√½, √2).
    __m512d exponent = _mm512_getexp_pd(u), mantissa = _mm512_getmant_pd(u, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src);
    const __mmask8 high = _mm512_cmp_pd_mask(mantissa, _mm512_set1_pd(1.4142135623730951), _CMP_GT_OQ);
    mantissa = _mm512_mask_mul_pd(mantissa, high, mantissa, _mm512_set1_pd(0.5));
    exponent = _mm512_mask_add_pd(exponent, high, exponent, one);
    const __m512d s = _mm512_div_pd(_mm512_sub_pd(mantissa, one), _mm512_add_pd(mantissa, one)), z = _mm512_mul_pd(s, s);
    // 2·atanh(s) = 2s·(1 + z/3 + z²/5 + … + z⁸/17).
    __m512d series = _mm512_set1_pd(1.0 / 17);
    for (int k = 15; k >= 1; k -= 2) series = _mm512_fmadd_pd(series, z, _mm512_set1_pd(1.0 / k));
    const __m512d logarithm = _mm512_fmadd_pd(exponent, _mm512_set1_pd(0.6931471805599453), _mm512_mul_pd(_mm512_add_pd(s, s), series));
    const __m512d radius = _mm512_mul_pd(_mm512_sqrt_pd(_mm512_mul_pd(_mm512_set1_pd(-2.0), logarithm)), _mm512_set1_pd(sigma));
    // a = q·π/2 + r, |r| ≤ π/4.
    const __m512d angle = _mm512_mul_pd(_mm512_set1_pd(6.283185307179586), _mm512_loadu_pd(u2));
    const __m512d quadrant = _mm512_roundscale_pd(_mm512_mul_pd(angle, _mm512_set1_pd(0.6366197723675814)), _MM_FROUND_TO_NEAREST_INT);
    const __m512d r = _mm512_fnmadd_pd(quadrant, _mm512_set1_pd(6.123233995736766e-17),
                                       _mm512_fnmadd_pd(quadrant, _mm512_set1_pd(1.5707963267948966), angle));
    const __m512d r2 = _mm512_mul_pd(r, r);
    // sin r = r·Σ (−r²)^k/(2k+1)!, cos r = Σ (−r²)^k/(2k)!, k ≤ 7 and 8.
    static const double sinTerms[8] = {1.0, -1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880, -1.0 / 39916800, 1.0 / 6227020800.0, -1.0 / 1307674368000.0};
    static const double cosTerms[9] = {1.0, -1.0 / 2, 1.0 / 24, -1.0 / 720, 1.0 / 40320, -1.0 / 3628800, 1.0 / 479001600, -1.0 / 87178291200.0,
                                       1.0 / 20922789888000.0};
    __m512d sine = _mm512_set1_pd(sinTerms[7]), cosine = _mm512_set1_pd(cosTerms[8]);
    for (int k = 6; k >= 0; k--) sine = _mm512_fmadd_pd(sine, r2, _mm512_set1_pd(sinTerms[k]));
    for (int k = 7; k >= 0; k--) cosine = _mm512_fmadd_pd(cosine, r2, _mm512_set1_pd(cosTerms[k]));
    sine = _mm512_mul_pd(sine, r);
    // Quadrant q in 0…4 (4 is 0): sin a = (s, c, −s, −c)[q mod 4], cos a = (c, −s, −c, s)[q mod 4].
    const __mmask8 q1 = _mm512_cmp_pd_mask(quadrant, one, _CMP_EQ_OQ), q2 = _mm512_cmp_pd_mask(quadrant, _mm512_set1_pd(2.0), _CMP_EQ_OQ);
    const __mmask8 q3 = _mm512_cmp_pd_mask(quadrant, _mm512_set1_pd(3.0), _CMP_EQ_OQ);
    const __mmask8 swap = q1 | q3, negateSine = q2 | q3, negateCosine = q1 | q2;
    __m512d sinA = _mm512_mask_blend_pd(swap, sine, cosine), cosA = _mm512_mask_blend_pd(swap, cosine, sine);
    sinA = _mm512_mask_sub_pd(sinA, negateSine, _mm512_setzero_pd(), sinA);
    cosA = _mm512_mask_sub_pd(cosA, negateCosine, _mm512_setzero_pd(), cosA);
    const __m512d first = _mm512_mul_pd(radius, cosA), second = _mm512_mul_pd(radius, sinA);
    // Interleave: pair p's cosine value, then its sine value.
    const __m512i lowIndex = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0), highIndex = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
    const __m256 lowNoise = _mm512_cvtpd_ps(_mm512_permutex2var_pd(first, lowIndex, second));
    const __m256 highNoise = _mm512_cvtpd_ps(_mm512_permutex2var_pd(first, highIndex, second));
    const __m512 noise = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(lowNoise)), _mm256_castps_pd(highNoise), 1));
    const __m512 sum = _mm512_add_ps(_mm512_loadu_ps(base), noise);
    _mm_storeu_si128((__m128i *)out, steerlens_saturated_bytes16(sum));
    const __m512 distance = _mm512_abs_ps(_mm512_sub_ps(sum, _mm512_roundscale_ps(sum, _MM_FROUND_TO_NEAREST_INT)));
    return (uint16_t)_mm512_cmp_ps_mask(distance, _mm512_set1_ps(0.499f), _CMP_GT_OQ);
}

/// `a · multiplier` modulo 2⁶⁴ lane by lane, from 32-bit products (AVX-512F has no 64-bit `mullo`).
__attribute__((target("avx512f"), always_inline)) static inline __m512i steerlens_mullo64(__m512i a, uint64_t multiplier) {
    const __m512i low = _mm512_set1_epi64((long long)(multiplier & 0xFFFFFFFFu)), high = _mm512_set1_epi64((long long)(multiplier >> 32));
    const __m512i cross = _mm512_add_epi64(_mm512_mul_epu32(_mm512_srli_epi64(a, 32), low), _mm512_mul_epu32(a, high));
    return _mm512_add_epi64(_mm512_mul_epu32(a, low), _mm512_slli_epi64(cross, 32));
}

/// SteerLensSupport's `SeededRandom.unit()` for 8 generator states at once: SplitMix64's output of each
/// state, its top 53 bits as a Double in [0, 1) (split in two exact 32-bit conversions).
__attribute__((target("avx512f"), always_inline)) static inline __m512d steerlens_unit8(__m512i state) {
    __m512i z = steerlens_mullo64(_mm512_xor_si512(state, _mm512_srli_epi64(state, 30)), 0xBF58476D1CE4E5B9ull);
    z = steerlens_mullo64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), 0x94D049BB133111EBull);
    z = _mm512_srli_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 31)), 11);
    const __m512d high = _mm512_cvtepu32_pd(_mm512_cvtepi64_epi32(_mm512_srli_epi64(z, 32))), low = _mm512_cvtepu32_pd(_mm512_cvtepi64_epi32(z));
    return _mm512_mul_pd(_mm512_fmadd_pd(high, _mm512_set1_pd(4294967296.0), low), _mm512_set1_pd(0x1.0p-53));
}

/// Transforms' `saturatedByte`.
static inline uint8_t steerlens_saturated_byte(float value) {
    if (!(value > 0)) return 0;
    if (value >= 255) return 255;
    return (uint8_t)((value + 8388608.0f) - 8388608.0f);
}

/// Night (Transforms/Weather.swift) on the values `start ..< end` of a frame's bytes (`start` even):
/// `target[v − first] = saturatedByte(table[source[v]] + noise_v)` for `first ≤ v < end`, the noise of
/// values `v, v + 1` drawn from the generator as `SeededRandom` would after `state` (SplitMix64 with
/// increment `gamma`): u1 then u2 per pair, 8 pairs per block through ``steerlens_night_noise_avx512``;
/// the bytes it leaves uncertain take glibc's `log`, `cos` and `sin`, as the Swift loop does.
__attribute__((target("avx512f"))) static inline void steerlens_night_avx512(const uint8_t *source, const float *table, uint8_t *target,
                                                                           long first, long start, long end, uint64_t state, uint64_t gamma,
                                                                           double sigma) {
    // Lane p of the first draws is state + γ·(2p + 1), of the second state + γ·(2p + 2).
    const __m512i twice = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i firstSteps = steerlens_mullo64(_mm512_add_epi64(twice, _mm512_set1_epi64(1)), gamma);
    const __m512i secondSteps = steerlens_mullo64(_mm512_add_epi64(twice, _mm512_set1_epi64(2)), gamma);
    // A last block of fewer than 16 values leaves the rest of `bases` as it was: zeros or earlier values.
    double u1[8], u2[8];
    float bases[16] = {0};
    uint8_t bytes[16];
    for (long index = start; index < end; index += 16, state += 16 * gamma) {
        const __m512i origin = _mm512_set1_epi64((long long)state);
        _mm512_storeu_pd(u1, _mm512_max_pd(steerlens_unit8(_mm512_add_epi64(origin, firstSteps)), _mm512_set1_pd(1e-12)));
        _mm512_storeu_pd(u2, steerlens_unit8(_mm512_add_epi64(origin, secondSteps)));
        const long values = end - index < 16 ? end - index : 16;
        for (long v = 0; v < values; v++) bases[v] = table[source[index + v]];
        const uint16_t uncertain = steerlens_night_noise_avx512(u1, u2, sigma, bases, bytes);
        for (long v = 0; v < values; v++) {
            if (index + v < first) continue;
            if (!((uncertain >> v) & 1)) { target[index + v - first] = bytes[v]; continue; }
            const double radius = sqrt(-2 * log(u1[v / 2])) * sigma;
            const float noise = (float)(radius * (v % 2 == 0 ? cos(2 * M_PI * u2[v / 2]) : sin(2 * M_PI * u2[v / 2])));
            target[index + v - first] = steerlens_saturated_byte(bases[v] + noise);
        }
    }
}

// MARK: BilateralFilter (Transforms/BilateralFilter.swift)

/// A bilateral block's running sums: Σ v·w per channel and Σ w, 16 pixels a vector.
typedef struct {
    __m512 channel[3];
    __m512 total;
} steerlens_bilateral_sums;

/// The colour weights of a bilateral filter, `table[d]` for the L1 distances `d` 0…765 (768 entries):
/// the first 128 also in registers.
typedef struct {
    __m512 near[8];
    const float *table;
} steerlens_color_weights;

__attribute__((target("avx512f"), always_inline))
static inline steerlens_color_weights steerlens_color_weights_load(const float *table) {
    steerlens_color_weights weights;
#pragma clang loop unroll(full)
    for (int v = 0; v < 8; v++) weights.near[v] = _mm512_loadu_ps(table + 16 * v);
    weights.table = table;
    return weights;
}

/// `table[distance]` per lane: by register permutes when every lane's distance is below 128 (neighbours
/// of similar colour, most taps of a natural image), else by a gather; the same values either way.
__attribute__((target("avx512f"), always_inline))
static inline __m512 steerlens_color_weight(const steerlens_color_weights *weights, __m512i distance) {
    if (_mm512_cmpge_epu32_mask(distance, _mm512_set1_epi32(128)) != 0) return _mm512_i32gather_ps(distance, weights->table, 4);
    // Entries 0–63 and 64–127 (a lookup reads an index's low 6 bits); bit 6 picks the half.
    return _mm512_mask_blend_ps(_mm512_test_epi32_mask(distance, _mm512_set1_epi32(64)), steerlens_lookup64_ps(weights->near, distance),
                                steerlens_lookup64_ps(weights->near + 4, distance));
}

/// `out[l] = table[distances[l]]` for 16 lanes by `steerlens_color_weight` (for tests: every distance
/// 0…765, the register path and the gather).
__attribute__((target("avx512f"))) static inline void steerlens_color_weights_lookup16(const float *table, const int32_t *distances, float *out) {
    const steerlens_color_weights weights = steerlens_color_weights_load(table);
    _mm512_storeu_ps(out, steerlens_color_weight(&weights, _mm512_loadu_si512(distances)));
}

/// One window tap of 16 pixels (`rgb`, 32-bit lanes) around their centres (`centre`): as the Swift loop,
/// `w = spaceWeight · colorWeight[|ΔR| + |ΔG| + |ΔB|]`, `Σ += v·w` per channel and `total += w`.
__attribute__((target("avx512f"), always_inline))
static inline void steerlens_bilateral_add(steerlens_bilateral_sums *sums, const __m512i *rgb, const __m512i *centre, float spaceWeight,
                                           const steerlens_color_weights *colorWeights) {
    const __m512i distance = _mm512_add_epi32(_mm512_add_epi32(_mm512_abs_epi32(_mm512_sub_epi32(rgb[0], centre[0])), _mm512_abs_epi32(_mm512_sub_epi32(rgb[1], centre[1]))),
                                              _mm512_abs_epi32(_mm512_sub_epi32(rgb[2], centre[2])));
    const __m512 weight = _mm512_mul_ps(_mm512_set1_ps(spaceWeight), steerlens_color_weight(colorWeights, distance));
#pragma clang loop unroll(full)
    for (int c = 0; c < 3; c++) sums->channel[c] = _mm512_add_ps(sums->channel[c], _mm512_mul_ps(_mm512_cvtepi32_ps(rgb[c]), weight));
    sums->total = _mm512_add_ps(sums->total, weight);
}

/// `saturatedByte(Σ · (1 / total))` per channel, interleaved back to 16 RGB24 pixels at `out`.
__attribute__((target("avx512f"), always_inline))
static inline void steerlens_bilateral_store(const steerlens_bilateral_sums *sums, uint8_t *out) {
    const __m512 scale = _mm512_div_ps(_mm512_set1_ps(1.0f), sums->total);
    uint8_t channels[3][16];
#pragma clang loop unroll(full)
    for (int c = 0; c < 3; c++) _mm_storeu_si128((__m128i *)channels[c], steerlens_saturated_bytes16(_mm512_mul_ps(sums->channel[c], scale)));
    for (int lane = 0; lane < 16; lane++) {
        out[3 * lane] = channels[0][lane]; out[3 * lane + 1] = channels[1][lane]; out[3 * lane + 2] = channels[2][lane];
    }
}

/// The bilateral sums of 16 pixels at a time: output pixels `x ..< x + 16·blocks` of one row, whose
/// centres lie at `centres + 3x` in a copy of the frame with a reflected margin. For each of the
/// `taps` window offsets (bytes from the centre, `offsets[k]`) in order, as the Swift loop:
/// `w = spaceWeights[k] · colorWeight[|ΔR| + |ΔG| + |ΔB|]`, `Σ += v·w` per channel and `total += w`;
/// then `saturatedByte(Σ · (1 / total))` (`colorWeight`: 768 entries, see ``steerlens_color_weights``).
/// A pixel's RGB is one 4-byte gather, so the copy must be readable one byte past its last pixel.
/// Returns the number of pixels written.
__attribute__((target("avx512f"))) static inline long steerlens_bilateral_avx512(const uint8_t *centres, const int32_t *offsets, const float *spaceWeights,
                                                                                long taps, const float *colorWeight, long x, long blocks, uint8_t *output) {
    const steerlens_color_weights colorWeights = steerlens_color_weights_load(colorWeight);
    const __m512i byte = _mm512_set1_epi32(0xFF), laneBytes = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                                                                       _mm512_set1_epi32(3));
    for (long block = 0; block < blocks; block++) {
        const uint8_t *centre = centres + 3 * (x + 16 * block);
        const __m512i c = _mm512_i32gather_epi32(laneBytes, (const void *)centre, 1);
        const __m512i centreRGB[3] = {_mm512_and_si512(c, byte), _mm512_and_si512(_mm512_srli_epi32(c, 8), byte), _mm512_and_si512(_mm512_srli_epi32(c, 16), byte)};
        steerlens_bilateral_sums sums = {{_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()}, _mm512_setzero_ps()};
        for (long k = 0; k < taps; k++) {
            const __m512i v = _mm512_i32gather_epi32(_mm512_add_epi32(laneBytes, _mm512_set1_epi32(offsets[k])), (const void *)centre, 1);
            const __m512i rgb[3] = {_mm512_and_si512(v, byte), _mm512_and_si512(_mm512_srli_epi32(v, 8), byte), _mm512_and_si512(_mm512_srli_epi32(v, 16), byte)};
            steerlens_bilateral_add(&sums, rgb, centreRGB, spaceWeights[k], &colorWeights);
        }
        steerlens_bilateral_store(&sums, output + 3 * (x + 16 * block));
    }
    return 16 * blocks;
}
/// The R, G and B bytes of 16 consecutive RGB24 pixels at `pixels` as three vectors of 32-bit lanes:
/// one masked 48-byte load (nothing past the 16th pixel is read) and three byte permutes.
__attribute__((target("avx512f,avx512bw,avx512vbmi"), always_inline))
static inline void steerlens_rgb16_vbmi(const uint8_t *pixels, const __m512i *spread, __m512i *rgb) {
    const __m512i bytes = _mm512_maskz_loadu_epi8(((__mmask64)1 << 48) - 1, pixels);
#pragma clang loop unroll(full)
    for (int c = 0; c < 3; c++) rgb[c] = _mm512_maskz_permutexvar_epi8(0x1111111111111111ULL, spread[c], bytes);
}

/// `steerlens_bilateral_avx512` reading each tap's 16 pixels with one load and three byte permutes
/// instead of a 16-way gather (AVX-512 VBMI); the same arithmetic, so the same bytes, and nothing read
/// past a row's 16th pixel.
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static inline long steerlens_bilateral_vbmi(const uint8_t *centres, const int32_t *offsets, const float *spaceWeights,
                                                                                                  long taps, const float *colorWeight, long x, long blocks, uint8_t *output) {
    const steerlens_color_weights colorWeights = steerlens_color_weights_load(colorWeight);
    // Byte 4l of channel c's vector takes byte 3l + c of the 48.
    uint8_t table[3][64];
    for (int c = 0; c < 3; c++)
        for (int j = 0; j < 64; j++) table[c][j] = (uint8_t)(j % 4 == 0 ? 3 * (j / 4) + c : 0);
    const __m512i spread[3] = {_mm512_loadu_si512(table[0]), _mm512_loadu_si512(table[1]), _mm512_loadu_si512(table[2])};
    for (long block = 0; block < blocks; block++) {
        const uint8_t *centre = centres + 3 * (x + 16 * block);
        __m512i centreRGB[3];
        steerlens_rgb16_vbmi(centre, spread, centreRGB);
        steerlens_bilateral_sums sums = {{_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()}, _mm512_setzero_ps()};
        for (long k = 0; k < taps; k++) {
            __m512i rgb[3];
            steerlens_rgb16_vbmi(centre + offsets[k], spread, rgb);
            steerlens_bilateral_add(&sums, rgb, centreRGB, spaceWeights[k], &colorWeights);
        }
        steerlens_bilateral_store(&sums, output + 3 * (x + 16 * block));
    }
    return 16 * blocks;
}

// MARK: Byte lookup (Transforms/Photometric.swift)

/// `out[i] = table[bytes[i]]` for `i < count`, 16 bytes a gather from the table widened to Int32
/// (`table32`: 256 entries, each 0…255).
__attribute__((target("avx512f"))) static inline void steerlens_lookup_bytes_avx512(const uint8_t *bytes, const int32_t *table32, uint8_t *out, long count) {
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        const __m512i index = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(bytes + i)));
        _mm_storeu_si128((__m128i *)(out + i), _mm512_cvtepi32_epi8(_mm512_i32gather_epi32(index, table32, 4)));
    }
    for (; i < count; i++) out[i] = (uint8_t)table32[bytes[i]];
}

/// `out[i] = table[bytes[i]]` for `i < count`, 64 bytes at a time with the 256-byte table in four
/// registers: two byte permutes look up the index's low 7 bits in each half of the table, its top bit
/// picks one. The tail's loads and stores are masked (nothing past `count` is touched).
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static inline void steerlens_lookup_bytes_vbmi(const uint8_t *bytes, const uint8_t *table, uint8_t *out, long count) {
    const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
    const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
    for (long i = 0; i < count; i += 64) {
        const __mmask64 mask = count - i >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (count - i)) - 1);
        const __m512i index = _mm512_maskz_loadu_epi8(mask, bytes + i);
        const __m512i low = _mm512_permutex2var_epi8(t0, index, t1), high = _mm512_permutex2var_epi8(t2, index, t3);
        _mm512_mask_storeu_epi8(out + i, mask, _mm512_mask_blend_epi8(_mm512_movepi8_mask(index), low, high));
    }
}

// MARK: SeparableFilter (Transforms/Blur.swift)

/// The horizontal pass of a mean or Gaussian blur on one padded source row: `out[i] =
/// Σ_k kernel[k]·padded[3k + i]` in Int32 for `i < count` (tap `k` lies one pixel, 3 bytes, after tap
/// `k − 1`). Integer sums, so any order gives the portable loop's values. Reads `padded` up to byte
/// `3·(size − 1) + count − 1`, its last.
__attribute__((target("avx512f"))) static inline void steerlens_blur_row_avx512(const uint8_t *padded, const int32_t *kernel, long size,
                                                                               int32_t *out, long count) {
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512i sum = _mm512_setzero_si512();
        for (long k = 0; k < size; k++) {
            const __m512i x = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(padded + 3 * k + i)));
            sum = _mm512_add_epi32(sum, _mm512_mullo_epi32(x, _mm512_set1_epi32(kernel[k])));
        }
        _mm512_storeu_si512(out + i, sum);
    }
    for (; i < count; i++) {
        int32_t sum = 0;
        for (long k = 0; k < size; k++) sum += (int32_t)padded[3 * k + i] * kernel[k];
        out[i] = sum;
    }
}

/// The vertical pass and rounding division of a blur into bytes, for `i < count`: `out[i] =
/// (uint8_t)(((uint32_t)(rounding + Σ_k kernel[k]·rows[starts[k] + i]) · multiplier) >> shift)`, the
/// portable loop's `Divide` (`starts[k]`: where tap row `k` begins in `rows`).
__attribute__((target("avx512f"))) static inline void steerlens_blur_column_avx512(const int32_t *rows, const long *starts, const int32_t *kernel, long size,
                                                                                  int32_t rounding, uint32_t multiplier, uint32_t shift,
                                                                                  uint8_t *out, long count) {
    const __m128i shiftCount = _mm_cvtsi32_si128((int)shift);
    const __m512i factor = _mm512_set1_epi32((int32_t)multiplier);
    for (long i = 0; i < count; i += 16) {
        const __mmask16 mask = i + 16 <= count ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        __m512i sum = _mm512_set1_epi32(rounding);
        for (long k = 0; k < size; k++) {
            sum = _mm512_add_epi32(sum, _mm512_mullo_epi32(_mm512_maskz_loadu_epi32(mask, rows + starts[k] + i), _mm512_set1_epi32(kernel[k])));
        }
        _mm512_mask_cvtepi32_storeu_epi8(out + i, mask, _mm512_srl_epi32(_mm512_mullo_epi32(sum, factor), shiftCount));
    }
}

#endif
