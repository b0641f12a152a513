// Hot loops of the geometric frame transforms (Sources/Transforms): the cubic scale with the model's
// resize fused, and the affine warp's interior, in AVX-512 (with VBMI byte permutes where the CPU has
// them), chosen at run time. The conventions of image_kernels.h, whose `steerlens_saturated_bytes16`
// they share: the Swift loops' bytes, operation by operation.
#ifndef STEERLENS_GEOMETRY_KERNELS_H
#define STEERLENS_GEOMETRY_KERNELS_H
#include <immintrin.h>
#include <stdint.h>
#include "image_kernels.h"

#pragma clang fp contract(off)

// MARK: CubicScale (Transforms/CubicScale.swift)

/// The horizontal pass of `rowCount` source rows, 16 output values per block: `outs[r][16k + l] =
/// Σ_t weights[(4k + t)·16 + l] · rows[r][bases[k] + indices[(4k + t)·16 + l]]` for `t < 4` and
/// `16k + l < count`. Every index is below 32, so a block reads one 32-float window of a row (the
/// source row as Float, readable up to `bases[k] + 32`) and picks its taps with two-register permutes.
/// A block's indices and weights are loaded once for all the rows (the tables are 8 times the size of
/// a row). The taps are bytes and the weights integers below 2¹², so every product and sum is an
/// integer below 2²², exact in Float in any order, fused or not: these are the portable loop's
/// `Float(Int32 sum)`.
__attribute__((target("avx512f"))) static inline void steerlens_cubic_horizontal_avx512(const float *const *rows, float *const *outs, long rowCount,
                                                                                       const int32_t *bases, const int32_t *indices,
                                                                                       const float *weights, long count) {
    for (long k = 0, first = 0; first < count; k++, first += 16) {
        const __mmask16 mask = first + 16 <= count ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - first)) - 1);
        __m512i index[4];
        __m512 weight[4];
#pragma clang loop unroll(full)
        for (int t = 0; t < 4; t++) {
            index[t] = _mm512_loadu_si512(indices + (4 * k + t) * 16);
            weight[t] = _mm512_loadu_ps(weights + (4 * k + t) * 16);
        }
        for (long r = 0; r < rowCount; r++) {
            const float *window = rows[r] + bases[k];
            const __m512 low = _mm512_loadu_ps(window), high = _mm512_loadu_ps(window + 16);
            __m512 sum = _mm512_setzero_ps();
#pragma clang loop unroll(full)
            for (int t = 0; t < 4; t++) sum = _mm512_fmadd_ps(weight[t], _mm512_permutex2var_ps(low, index[t], high), sum);
            _mm512_mask_storeu_ps(outs[r] + first, mask, sum);
        }
    }
}

/// The vertical passes of a cubic scale and of the model's resize after it, fused, for one output row of
/// the resize: `out[i] = Σ_j area[j]·v_j[i]` over `j < rows`, summed in order from `area[0]·v_0[i]`, for
/// `i < count`. `v_j[i] = rint(min(max(fma(h_{j,0}[i], b_{j,0}, fma(h_{j,1}[i], b_{j,1}, fma(h_{j,2}[i],
/// b_{j,2}, h_{j,3}[i]·b_{j,3}))), 0), 255))` (ties to even, as the Swift loop's + 2²³ − 2²³; rounding
/// before clamping to integers gives the same value) is scaled row `j`, its tap `t` the horizontal-pass row
/// `h_{j,t} = horizontal + offsets[4j + t]` with weight `b_{j,t} = cubic[4j + t]`. A scaled row lives only
/// in registers: the up-to-36-times larger frame is never written out and read back. Consecutive scaled
/// rows with the same four taps (about `factor` of them when enlarging) are one run: its four horizontal
/// vectors are loaded once for all its rows. The runs of up to 32 at a time are walked column by column,
/// so each sum stays in a register across them and a horizontal row's vectors come from L1 for every run
/// that reads it (walked run by run, each run re-read four 46 KB rows and the sums from L2 at 6×);
/// more runs than that wait in `out` between rounds.
__attribute__((target("avx512f"))) static inline void steerlens_cubic_area_rows_avx512(const float *horizontal, const long *offsets, const float *cubic,
                                                                                      const float *area, long rows, float *out, long count) {
    const __m512 zero = _mm512_setzero_ps(), top = _mm512_set1_ps(255.0f);
    enum { MAX_RUNS = 32 };
    for (long first = 0, stop; first < rows; first = stop) {
        // Runs [first, ends[0]), [ends[0], ends[1]), … of rows with the same four taps.
        long ends[MAX_RUNS], runs = 0;
        for (stop = first; stop < rows && runs < MAX_RUNS; runs++) {
            const long *tap = offsets + 4 * stop;
            for (stop++; stop < rows; stop++) {
                const long *next = offsets + 4 * stop;
                if (next[0] != tap[0] || next[1] != tap[1] || next[2] != tap[2] || next[3] != tap[3]) break;
            }
            ends[runs] = stop;
        }
        for (long i = 0; i < count; i += 16) {
            const __mmask16 mask = i + 16 <= count ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
            __m512 sum = first == 0 ? zero : _mm512_maskz_loadu_ps(mask, out + i);
            for (long run = 0, j = first; run < runs; run++) {
                const long *tap = offsets + 4 * j;
                const __m512 s0 = _mm512_maskz_loadu_ps(mask, horizontal + tap[0] + i), s1 = _mm512_maskz_loadu_ps(mask, horizontal + tap[1] + i);
                const __m512 s2 = _mm512_maskz_loadu_ps(mask, horizontal + tap[2] + i), s3 = _mm512_maskz_loadu_ps(mask, horizontal + tap[3] + i);
                for (; j < ends[run]; j++) {
                    const float *b = cubic + 4 * j;
                    const __m512 inner = _mm512_fmadd_ps(s2, _mm512_set1_ps(b[2]), _mm512_mul_ps(s3, _mm512_set1_ps(b[3])));
                    const __m512 value = _mm512_fmadd_ps(s0, _mm512_set1_ps(b[0]), _mm512_fmadd_ps(s1, _mm512_set1_ps(b[1]), inner));
                    const __m512 rounded = _mm512_min_ps(_mm512_max_ps(_mm512_roundscale_ps(value, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zero), top);
                    const __m512 term = _mm512_mul_ps(_mm512_set1_ps(area[j]), rounded);
                    sum = j == 0 ? term : _mm512_add_ps(sum, term);
                }
            }
            _mm512_mask_storeu_ps(out + i, mask, sum);
        }
    }
}

// MARK: AffineWarp (Transforms/AffineWarp.swift)

/// Output pixels `x … x + 15` of a warped row: their source points `(fused(rowX, m0, x), fused(rowY, m3, x))`
/// split into the byte offset of the upper-left tap in a packed RGB24 frame (`stride` bytes a row; the
/// return value), and the bilinear weights `alphas` (x) and `betas` (y). Points lie in the frame, so
/// they are ≥ 0 and truncation is the floor.
__attribute__((target("avx512f,fma"), always_inline)) static inline __m512i steerlens_warp_points16(long x, float rowX, float rowY, float m0, float m3,
                                                                                                   __m512i stride, __m512 *alphas, __m512 *betas) {
    const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512 xs = _mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_set1_epi32((int32_t)x), lanes));
    const __m512 sourceX = _mm512_fmadd_ps(_mm512_set1_ps(m0), xs, _mm512_set1_ps(rowX));
    const __m512 sourceY = _mm512_fmadd_ps(_mm512_set1_ps(m3), xs, _mm512_set1_ps(rowY));
    const __m512i x0 = _mm512_cvttps_epi32(sourceX), y0 = _mm512_cvttps_epi32(sourceY);
    *alphas = _mm512_sub_ps(sourceX, _mm512_cvtepi32_ps(x0));
    *betas = _mm512_sub_ps(sourceY, _mm512_cvtepi32_ps(y0));
    return _mm512_add_epi32(_mm512_mullo_epi32(y0, stride), _mm512_mullo_epi32(x0, _mm512_set1_epi32(3)));
}

/// The interior pixels of one warped row, 16 at a time: output pixels `first ..< first + 16·blocks` of
/// the row at `outputRow` (RGB24), each bilinear from the packed RGB24 `source` (`width` pixels a row)
/// at `(fused(rowX, m0, x), fused(rowY, m3, x))`, a point whose four taps all lie in the frame (the
/// caller's `interiorColumns`). Returns the number of pixels written. Per value, as the Swift loop:
/// `upper = fused(p00, α, p01 − p00)`, `lower = fused(p10, α, p11 − p10)`, then
/// `saturatedByte(fused(upper, β, lower − upper))`, each `fused` one Float fused multiply-add (Swift's
/// `fused` is `fmaf`). A tap pair
/// `p00`, `p01` of one channel is one 4-byte gather: bytes 0 and 3 of the word at the channel's byte
/// of `p00`, which never reads past `p01`.
__attribute__((target("avx512f,fma"))) static inline long steerlens_warp_interior_avx512(const uint8_t *source, long width, float rowX, float rowY,
                                                                                        float m0, float m3, long first, long blocks, uint8_t *outputRow) {
    const __m512i stride = _mm512_set1_epi32((int32_t)(width * 3)), low = _mm512_set1_epi32(0xFF);
    for (long block = 0; block < blocks; block++) {
        const long x = first + 16 * block;
        // The 16 pixels' source points, then spread to the three vectors of their 48 values.
        __m512 alphas, betas;
        const __m512i offsets = steerlens_warp_points16(x, rowX, rowY, m0, m3, stride, &alphas, &betas);
#pragma clang loop unroll(full)
        for (int part = 0; part < 3; part++) {
            const __m512i pixel = _mm512_loadu_si512(steerlens_rgb_lane_pixel + 16 * part);
            const __m512i offset = _mm512_add_epi32(_mm512_permutexvar_epi32(pixel, offsets), _mm512_loadu_si512(steerlens_rgb_lane_channel + 16 * part));
            const __m512 alpha = _mm512_permutexvar_ps(pixel, alphas), beta = _mm512_permutexvar_ps(pixel, betas);
            const __m512i upperPair = _mm512_i32gather_epi32(offset, (const void *)source, 1);
            const __m512i lowerPair = _mm512_i32gather_epi32(_mm512_add_epi32(offset, stride), (const void *)source, 1);
            const __m512i p00 = _mm512_and_si512(upperPair, low), p01 = _mm512_srli_epi32(upperPair, 24);
            const __m512i p10 = _mm512_and_si512(lowerPair, low), p11 = _mm512_srli_epi32(lowerPair, 24);
            const __m512 upper = _mm512_fmadd_ps(alpha, _mm512_cvtepi32_ps(_mm512_sub_epi32(p01, p00)), _mm512_cvtepi32_ps(p00));
            const __m512 lower = _mm512_fmadd_ps(alpha, _mm512_cvtepi32_ps(_mm512_sub_epi32(p11, p10)), _mm512_cvtepi32_ps(p10));
            const __m512 value = _mm512_fmadd_ps(beta, _mm512_sub_ps(lower, upper), upper);
            _mm_storeu_si128((__m128i *)(outputRow + x * 3 + 16 * part), steerlens_saturated_bytes16(value));
        }
    }
    return 16 * blocks;
}

/// Byte indices that pick, from two vectors of 8 gathered bytes per pixel (pixel `p`'s at `8p … 8p + 7`
/// of the pair), the taps of RGB part `k` (values `16k … 16k + 15`): `p00` into bytes 0–15 and `p01`
/// into bytes 16–31 of `indices[64k …]`.
static inline void steerlens_warp_tap_indices(uint8_t *indices) {
    for (int part = 0; part < 3; part++)
        for (int j = 0; j < 64; j++) {
            const int value = 16 * part + (j & 15), pixel = value / 3, channel = value % 3;
            indices[64 * part + j] = (uint8_t)(8 * pixel + channel + (j >= 16 && j < 32 ? 3 : 0));
        }
}

/// Eight 8-byte words `source + at[i] + shift` (`i < 8`) as one vector, by scalar loads.
__attribute__((target("avx512f"), always_inline)) static inline __m512i steerlens_load8x8(const uint8_t *source, const int32_t *at, long shift) {
    __m128i pairs[4];
#pragma clang loop unroll(full)
    for (int k = 0; k < 4; k++) {
        int64_t first, second;
        __builtin_memcpy(&first, source + at[2 * k] + shift, 8);
        __builtin_memcpy(&second, source + at[2 * k + 1] + shift, 8);
        pairs[k] = _mm_set_epi64x(second, first);
    }
    const __m256i low = _mm256_inserti128_si256(_mm256_castsi128_si256(pairs[0]), pairs[1], 1);
    const __m256i high = _mm256_inserti128_si256(_mm256_castsi128_si256(pairs[2]), pairs[3], 1);
    return _mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1);
}

/// `steerlens_warp_interior_avx512` with a quarter of its loads: each pixel's two taps of a source row
/// are one 8-byte word (`p00`'s RGB, `p01`'s RGB and two bytes of the pixel after), read by scalar
/// loads (`steerlens_load8x8`; gather instructions took about a tenth longer for rotations on AMD Zen 4),
/// and byte permutes across a register pair spread them to the three vectors of values. Where the 16 pixels'
/// taps are consecutive pixels of the source rows (`m0 = 1`, `m3 = 0`: shears and fractional
/// translations), their 51 bytes of each row are one masked load instead, and one-register permutes
/// spread them. The same arithmetic, so the same bytes. Reading two bytes past `p01`, it needs
/// `x0 ≤ width − 3` at every pixel (the caller's `interiorColumns` of `width − 1`).
__attribute__((target("avx512f,avx512bw,avx512vbmi,fma"))) static inline long steerlens_warp_interior_vbmi(const uint8_t *source, long width, float rowX, float rowY,
                                                                                                          float m0, float m3, long first, long blocks,
                                                                                                          uint8_t *outputRow) {
    const __m512i stride = _mm512_set1_epi32((int32_t)(width * 3));
    uint8_t table[192];
    steerlens_warp_tap_indices(table);
    const __m512i selects[3] = {_mm512_loadu_si512(table), _mm512_loadu_si512(table + 64), _mm512_loadu_si512(table + 128)};
    // Taps of part k from one row's 51 consecutive bytes: value v = 16k + (j & 15) is byte v (p00) or v + 3 (p01).
    const __m512i lane = _mm512_set_epi8(63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40,
                                         39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
                                         15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i consecutiveBase = _mm512_add_epi8(_mm512_and_si512(lane, _mm512_set1_epi8(15)),
                                                    _mm512_maskz_mov_epi8(0x00000000FFFF0000ull, _mm512_set1_epi8(3)));
    const __m512i consecutive[3] = {consecutiveBase, _mm512_add_epi8(consecutiveBase, _mm512_set1_epi8(16)),
                                    _mm512_add_epi8(consecutiveBase, _mm512_set1_epi8(32))};
    const __m512i steps = _mm512_set_epi32(45, 42, 39, 36, 33, 30, 27, 24, 21, 18, 15, 12, 9, 6, 3, 0);
    const __mmask64 span = (1ull << 51) - 1;  // bytes of pixels 0…16: every p00 and p01
    for (long block = 0; block < blocks; block++) {
        const long x = first + 16 * block;
        __m512 alphas, betas;
        const __m512i offsets = steerlens_warp_points16(x, rowX, rowY, m0, m3, stride, &alphas, &betas);
        const __m512i start = _mm512_broadcastd_epi32(_mm512_castsi512_si128(offsets));
        __m512i upperTaps[3], lowerTaps[3];
        if (_mm512_cmpeq_epi32_mask(offsets, _mm512_add_epi32(start, steps)) == 0xFFFF) {
            const uint8_t *upperRow = source + _mm_cvtsi128_si32(_mm512_castsi512_si128(offsets));
            const __m512i upper = _mm512_maskz_loadu_epi8(span, upperRow), lower = _mm512_maskz_loadu_epi8(span, upperRow + 3 * width);
#pragma clang loop unroll(full)
            for (int part = 0; part < 3; part++) {
                upperTaps[part] = _mm512_permutexvar_epi8(consecutive[part], upper);
                lowerTaps[part] = _mm512_permutexvar_epi8(consecutive[part], lower);
            }
        } else {
            // Pixels 0–7 and 8–15 of the upper and the lower source row, 8 bytes each by scalar loads
            // (on AMD Zen 4 faster than the same words by gather instructions).
            int32_t at[16];
            _mm512_storeu_si512(at, offsets);
            const long rowBytes = 3 * width;
            const __m512i upper0 = steerlens_load8x8(source, at, 0), upper1 = steerlens_load8x8(source, at + 8, 0);
            const __m512i lower0 = steerlens_load8x8(source, at, rowBytes), lower1 = steerlens_load8x8(source, at + 8, rowBytes);
#pragma clang loop unroll(full)
            for (int part = 0; part < 3; part++) {
                upperTaps[part] = _mm512_permutex2var_epi8(upper0, selects[part], upper1);
                lowerTaps[part] = _mm512_permutex2var_epi8(lower0, selects[part], lower1);
            }
        }
#pragma clang loop unroll(full)
        for (int part = 0; part < 3; part++) {
            const __m512i pixel = _mm512_loadu_si512(steerlens_rgb_lane_pixel + 16 * part);
            const __m512 alpha = _mm512_permutexvar_ps(pixel, alphas), beta = _mm512_permutexvar_ps(pixel, betas);
            const __m512i p00 = _mm512_cvtepu8_epi32(_mm512_castsi512_si128(upperTaps[part])), p01 = _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(upperTaps[part], 1));
            const __m512i p10 = _mm512_cvtepu8_epi32(_mm512_castsi512_si128(lowerTaps[part])), p11 = _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(lowerTaps[part], 1));
            const __m512 upper = _mm512_fmadd_ps(alpha, _mm512_cvtepi32_ps(_mm512_sub_epi32(p01, p00)), _mm512_cvtepi32_ps(p00));
            const __m512 lower = _mm512_fmadd_ps(alpha, _mm512_cvtepi32_ps(_mm512_sub_epi32(p11, p10)), _mm512_cvtepi32_ps(p10));
            const __m512 value = _mm512_fmadd_ps(beta, _mm512_sub_ps(lower, upper), upper);
            _mm_storeu_si128((__m128i *)(outputRow + x * 3 + 16 * part), steerlens_saturated_bytes16(value));
        }
    }
    return 16 * blocks;
}

#endif
