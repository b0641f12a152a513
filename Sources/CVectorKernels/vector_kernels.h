// Hot element-wise loops in AVX2 and AVX-512, chosen at run time.
//
// Why a header of `static inline` functions: Swift compiles for baseline x86-64 (SSE2) and has no
// per-function target features, so its SIMD types stay 4 floats wide. Functions marked
// `__attribute__((target(...)))` here are compiled by the Swift compiler's own Clang into the module
// that calls them (no separate C target, same debug-info format as the Swift code, so valgrind reads
// it). Callers check `steerlens_vector_level()` first; a CPU without AVX2 never executes these bodies.
//
// Every kernel repeats its Swift reference operation by operation (separate multiplies and adds, no
// fused multiply-add, the same min/max operand order), so results are bit-identical to the SSE path.
// The AVX2 and AVX-512 versions of a kernel are kept as line-for-line twins, each readable against the
// Swift reference: AVX2 runs where AVX-512 does not (most Intel client CPUs, valgrind), and AVX-512
// measured 1–2 % faster on whole PilotNet passes on this AMD Zen 4 (VisualBackProp 2.03–2.05× against
// 2.00–2.01× the gradient method with the AVX2 epilogue).
#ifndef STEERLENS_VECTOR_KERNELS_H
#define STEERLENS_VECTOR_KERNELS_H
#include <immintrin.h>
#include <stdint.h>
#include "vector_level.h"

#pragma clang fp contract(off)

// MARK: ELU, x > 0 ? x : α(eˣ − 1), with an optional bias added first

/// One vector of `ActivationKind.eluNegativeBranch` and the select, AVX2 (see Activation.swift).
__attribute__((target("avx2"), always_inline)) static inline __m256 steerlens_elu8(__m256 x, __m256 alpha) {
    const __m256 zero = _mm256_setzero_ps();
    // Swift's max(x, −30) is `−30 >= x ? −30 : x` and min(m, 0) is `0 < m ? 0 : m`: NaN passes through.
    __m256 clamped = _mm256_min_ps(zero, _mm256_max_ps(_mm256_set1_ps(-30.0f), x));
    __m256 shifted = _mm256_add_ps(_mm256_mul_ps(clamped, _mm256_set1_ps(1.44269504f)), _mm256_set1_ps(12582912.0f));
    __m256 n = _mm256_sub_ps(shifted, _mm256_set1_ps(12582912.0f));
    __m256 r = _mm256_sub_ps(_mm256_sub_ps(clamped, _mm256_mul_ps(n, _mm256_set1_ps(0.693145751953125f))),
                             _mm256_mul_ps(n, _mm256_set1_ps(1.428606765330187e-6f)));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000)),
                                                      _mm256_set1_epi32(127)), 23);
    __m256 scale = _mm256_castsi256_ps(bits);
    __m256 p = _mm256_add_ps(_mm256_set1_ps(1.0f / 720), _mm256_mul_ps(r, _mm256_set1_ps(1.0f / 5040)));
    p = _mm256_add_ps(_mm256_set1_ps(1.0f / 120), _mm256_mul_ps(r, p));
    p = _mm256_add_ps(_mm256_set1_ps(1.0f / 24), _mm256_mul_ps(r, p));
    p = _mm256_add_ps(_mm256_set1_ps(1.0f / 6), _mm256_mul_ps(r, p));
    p = _mm256_add_ps(_mm256_set1_ps(0.5f), _mm256_mul_ps(r, p));
    p = _mm256_add_ps(r, _mm256_mul_ps(_mm256_mul_ps(r, r), p));
    __m256 negative = _mm256_mul_ps(alpha, _mm256_add_ps(_mm256_mul_ps(scale, p), _mm256_sub_ps(scale, _mm256_set1_ps(1.0f))));
    return _mm256_blendv_ps(negative, x, _mm256_cmp_ps(x, zero, _CMP_GT_OQ));
}

/// `2ⁿ` (`*scale`) and `p ≈ expm1(r)` for `clamped = n·ln 2 + r` in `[−87, 0]` (`ActivationKind.exponentParts`).
__attribute__((target("avx512f"), always_inline)) static inline __m512 steerlens_exponent_parts16(__m512 clamped, __m512 *scale) {
    __m512 shifted = _mm512_add_ps(_mm512_mul_ps(clamped, _mm512_set1_ps(1.44269504f)), _mm512_set1_ps(12582912.0f));
    __m512 n = _mm512_sub_ps(shifted, _mm512_set1_ps(12582912.0f));
    __m512 r = _mm512_sub_ps(_mm512_sub_ps(clamped, _mm512_mul_ps(n, _mm512_set1_ps(0.693145751953125f))),
                             _mm512_mul_ps(n, _mm512_set1_ps(1.428606765330187e-6f)));
    __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(0x4B400000)),
                                                      _mm512_set1_epi32(127)), 23);
    *scale = _mm512_castsi512_ps(bits);
    __m512 p = _mm512_add_ps(_mm512_set1_ps(1.0f / 720), _mm512_mul_ps(r, _mm512_set1_ps(1.0f / 5040)));
    p = _mm512_add_ps(_mm512_set1_ps(1.0f / 120), _mm512_mul_ps(r, p));
    p = _mm512_add_ps(_mm512_set1_ps(1.0f / 24), _mm512_mul_ps(r, p));
    p = _mm512_add_ps(_mm512_set1_ps(1.0f / 6), _mm512_mul_ps(r, p));
    p = _mm512_add_ps(_mm512_set1_ps(0.5f), _mm512_mul_ps(r, p));
    return _mm512_add_ps(r, _mm512_mul_ps(_mm512_mul_ps(r, r), p));
}

/// The AVX-512 twin of `steerlens_elu8`.
__attribute__((target("avx512f"), always_inline)) static inline __m512 steerlens_elu16(__m512 x, __m512 alpha) {
    const __m512 zero = _mm512_setzero_ps();
    __m512 clamped = _mm512_min_ps(zero, _mm512_max_ps(_mm512_set1_ps(-30.0f), x));
    __m512 scale, p = steerlens_exponent_parts16(clamped, &scale);
    __m512 negative = _mm512_mul_ps(alpha, _mm512_add_ps(_mm512_mul_ps(scale, p), _mm512_sub_ps(scale, _mm512_set1_ps(1.0f))));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ), negative, x);
}

/// Fills `cyclic[0 ..< features + 16]` with `bias[k mod features]`: then the bias of flat elements
/// `i ..< i + 16` is `cyclic[(i mod features) ...]`, one unaligned load, for any `features ≥ 1`.
static inline void steerlens_cyclic_bias(const float *bias, long features, float *cyclic) {
    for (long k = 0; k < features + 16; k++) cyclic[k] = bias[k % features];
}

/// `values[i] = elu(values[i] + bias[i mod features])` over `count` floats (`bias` NULL: no bias), in
/// place, AVX2. Walks the floats flat (a row of 24 or 36 channels is not a whole number of vectors);
/// the last partial vector uses masked loads and stores, so nothing outside `values[0 ..< count]` or
/// `bias[0 ..< features]` is touched. The cyclic bias lives on the stack: callers keep `features` small
/// (VectorKernels.swift allows 4,096).
__attribute__((target("avx2"))) static inline void steerlens_elu_avx2(float *values, long count, long features, const float *bias, float alpha) {
    const __m256 alphas = _mm256_set1_ps(alpha);
    float cyclic[bias ? features + 16 : 1];
    if (bias) steerlens_cyclic_bias(bias, features, cyclic);
    long i = 0, phase = 0;  // phase = i mod features
    for (; i + 8 <= count; i += 8) {
        __m256 x = _mm256_loadu_ps(values + i);
        if (bias) {
            x = _mm256_add_ps(x, _mm256_loadu_ps(cyclic + phase));
            for (phase += 8; phase >= features; phase -= features) {}
        }
        _mm256_storeu_ps(values + i, steerlens_elu8(x, alphas));
    }
    if (i < count) {
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(count - i)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256 x = _mm256_maskload_ps(values + i, mask);
        if (bias) x = _mm256_add_ps(x, _mm256_loadu_ps(cyclic + phase));
        _mm256_maskstore_ps(values + i, mask, steerlens_elu8(x, alphas));
    }
}

/// The AVX-512 twin of `steerlens_elu_avx2`.
__attribute__((target("avx512f"))) static inline void steerlens_elu_avx512(float *values, long count, long features, const float *bias, float alpha) {
    const __m512 alphas = _mm512_set1_ps(alpha);
    float cyclic[bias ? features + 16 : 1];
    if (bias) steerlens_cyclic_bias(bias, features, cyclic);
    long i = 0, phase = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 x = _mm512_loadu_ps(values + i);
        if (bias) {
            x = _mm512_add_ps(x, _mm512_loadu_ps(cyclic + phase));
            for (phase += 16; phase >= features; phase -= features) {}
        }
        _mm512_storeu_ps(values + i, steerlens_elu16(x, alphas));
    }
    if (i < count) {
        const __mmask16 mask = (__mmask16)((1u << (count - i)) - 1);
        __m512 x = _mm512_maskz_loadu_ps(mask, values + i);
        if (bias) x = _mm512_add_ps(x, _mm512_loadu_ps(cyclic + phase));
        _mm512_mask_storeu_ps(values + i, mask, steerlens_elu16(x, alphas));
    }
}

// MARK: ELU's derivative from its output, dx = y > 0 ? dy : dy·(y + α)

/// `dx[i] = y[i] > 0 ? dy[i] : dy[i]·(y[i] + α)` (`ActivationKind.backward`): the add, the multiply,
/// then the select (a NaN `y` takes the second branch, as `v > 0` is false in Swift). `dx` may alias `dy`.
__attribute__((target("avx2"))) static inline void steerlens_elu_backward_avx2(const float *y, const float *dy, float *dx, long count, float alpha) {
    const __m256 alphas = _mm256_set1_ps(alpha), zero = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 v = _mm256_loadu_ps(y + i), g = _mm256_loadu_ps(dy + i);
        _mm256_storeu_ps(dx + i, _mm256_blendv_ps(_mm256_mul_ps(g, _mm256_add_ps(v, alphas)), g, _mm256_cmp_ps(v, zero, _CMP_GT_OQ)));
    }
    if (i < count) {
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(count - i)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        const __m256 v = _mm256_maskload_ps(y + i, mask), g = _mm256_maskload_ps(dy + i, mask);
        _mm256_maskstore_ps(dx + i, mask, _mm256_blendv_ps(_mm256_mul_ps(g, _mm256_add_ps(v, alphas)), g, _mm256_cmp_ps(v, zero, _CMP_GT_OQ)));
    }
}

/// The AVX-512 twin of `steerlens_elu_backward_avx2`.
__attribute__((target("avx512f"))) static inline void steerlens_elu_backward_avx512(const float *y, const float *dy, float *dx, long count, float alpha) {
    const __m512 alphas = _mm512_set1_ps(alpha), zero = _mm512_setzero_ps();
    for (long i = 0; i < count; i += 16) {
        const __mmask16 mask = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        const __m512 v = _mm512_maskz_loadu_ps(mask, y + i), g = _mm512_maskz_loadu_ps(mask, dy + i);
        const __m512 negative = _mm512_mul_ps(g, _mm512_add_ps(v, alphas));
        _mm512_mask_storeu_ps(dx + i, mask, _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ), negative, g));
    }
}

// MARK: ELU's derivative from its input, dx = x > 0 ? dy : dy·αeˣ

/// `dx[i] = x[i] > 0 ? dy[i] : dy[i]·(α·eˣ)` (the stand-alone `ELU` layer's backward;
/// `ActivationKind.eluDerivativeNegativeBranch`, the same bits). `dx` may alias `dy`.
__attribute__((target("avx512f"))) static inline void steerlens_elu_input_backward_avx512(const float *x, const float *dy, float *dx, long count, float alpha) {
    const __m512 alphas = _mm512_set1_ps(alpha), zero = _mm512_setzero_ps();
    for (long i = 0; i < count; i += 16) {
        const __mmask16 mask = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        const __m512 v = _mm512_maskz_loadu_ps(mask, x + i), g = _mm512_maskz_loadu_ps(mask, dy + i);
        __m512 scale, p = steerlens_exponent_parts16(_mm512_min_ps(zero, _mm512_max_ps(_mm512_set1_ps(-87.0f), v)), &scale);
        const __m512 negative = _mm512_mul_ps(g, _mm512_mul_ps(alphas, _mm512_add_ps(_mm512_mul_ps(scale, p), scale)));
        _mm512_mask_storeu_ps(dx + i, mask, _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ), negative, g));
    }
}

// MARK: im2col, the gather before a convolution's GEMM

/// One spatial axis of a convolution window (NeuralNet's `AxisGeometry`).
typedef struct {
    long input, output, kernel, stride, padBefore;
} steerlens_axis;

/// `dst[0 ..< n] = src[0 ..< n]` for a writer that fills its buffer front to back: the last partial
/// vector is written whole (the floats past `n` are overwritten by the writer's next moves) while 16
/// floats fit before `dstEnd` and `srcEnd`, else masked (masked-off lanes are neither read nor written).
/// Masked stores are slow on some CPUs (AMD Zen 4), hence the whole ones.
__attribute__((target("avx512f"), always_inline)) static inline void steerlens_copy_floats16(float *dst, const float *src, long n,
                                                                                              const float *dstEnd, const float *srcEnd) {
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_loadu_ps(src + i));
    if (i == n) return;
    if (dst + i + 16 <= dstEnd && src + i + 16 <= srcEnd) {
        _mm512_storeu_ps(dst + i, _mm512_loadu_ps(src + i));
    } else {
        const __mmask16 mask = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(dst + i, mask, _mm512_maskz_loadu_ps(mask, src + i));
    }
}

/// `dst[0 ..< n] = 0`, as `steerlens_copy_floats16`.
__attribute__((target("avx512f"), always_inline)) static inline void steerlens_zero_floats16(float *dst, long n, const float *dstEnd) {
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_setzero_ps());
    if (i == n) return;
    if (dst + i + 16 <= dstEnd) _mm512_storeu_ps(dst + i, _mm512_setzero_ps());
    else _mm512_mask_storeu_ps(dst + i, (__mmask16)((1u << (n - i)) - 1), _mm512_setzero_ps());
}

/// `Conv2D.im2col` (Convolution.swift) in AVX-512: every receptive field of `batch` images
/// (`[batch, H, W, C]` at `x`) becomes one row of `columns` (`[batch·OH·OW, KH·KW·C]`, kernel order),
/// zeros for padding, written front to back. A kernel row of a few channels (15 floats for 5 × RGB) is
/// one 16-float move.
__attribute__((target("avx512f"))) static inline void steerlens_im2col_avx512(const float *x, float *columns, long batch,
                                                                             steerlens_axis rows, steerlens_axis cols, long channels) {
    const long imageStride = rows.input * cols.input * channels, rowLength = cols.kernel * channels;
    const float *end = columns + batch * rows.output * cols.output * rows.kernel * rowLength, *inputEnd = x + batch * imageStride;
    float *target = columns;
    for (long n = 0; n < batch; n++) {
        const float *image = x + n * imageStride;
        for (long oh = 0; oh < rows.output; oh++) {
            const long top = oh * rows.stride - rows.padBefore;
            for (long ow = 0; ow < cols.output; ow++) {
                // Columns [left, left + KW) clipped to the image; the rest is zero padding.
                const long left = ow * cols.stride - cols.padBefore;
                const long first = left > 0 ? left : 0, last = left + cols.kernel < cols.input ? left + cols.kernel : cols.input;
                const long before = (first - left) * channels, copied = (last > first ? last - first : 0) * channels;
                for (long ky = 0; ky < rows.kernel; ky++) {
                    const long ih = top + ky;
                    if (ih < 0 || ih >= rows.input || copied == 0) {
                        steerlens_zero_floats16(target, rowLength, end);
                    } else {
                        steerlens_zero_floats16(target, before, end);
                        steerlens_copy_floats16(target + before, image + (ih * cols.input + first) * channels, copied, end, inputEnd);
                        steerlens_zero_floats16(target + before + copied, rowLength - before - copied, end);
                    }
                    target += rowLength;
                }
            }
        }
    }
}

// MARK: col2im, the scatter-add after a convolution's backward GEMM

/// `dst[0 ..< n] += src[0 ..< n]`, 16 floats a vector. The last partial vector adds only its `n` lanes
/// (the source is read masked); the lanes past `n` are loaded and stored back unchanged while 16 floats
/// fit before `dstEnd`, else the store is masked. Masked stores are slow on some CPUs (AMD Zen 4).
__attribute__((target("avx512f"), always_inline)) static inline void steerlens_add_floats16(float *dst, const float *src, long n,
                                                                                             const float *dstEnd) {
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_add_ps(_mm512_loadu_ps(dst + i), _mm512_loadu_ps(src + i)));
    if (i == n) return;
    const __mmask16 mask = (__mmask16)((1u << (n - i)) - 1);
    const __m512 addend = _mm512_maskz_loadu_ps(mask, src + i);
    if (dst + i + 16 <= dstEnd) {
        const __m512 current = _mm512_loadu_ps(dst + i);
        _mm512_storeu_ps(dst + i, _mm512_mask_add_ps(current, mask, current, addend));
    } else {
        _mm512_mask_storeu_ps(dst + i, mask, _mm512_add_ps(_mm512_maskz_loadu_ps(mask, dst + i), addend));
    }
}

/// `Conv2D.portableCol2im` (Convolution.swift) in AVX-512: adds every row of `columns`
/// (`[batch·OH·OW, KH·KW·C]`, kernel order) into its receptive field of the images at `x`
/// (`[batch, H, W, C]`, zeroed by the caller), dropping padding, in the Swift loop's order, so every
/// element gets the same sums. The lanes past a kernel row are rewritten with the values they held, never
/// past the last image: the images after it may belong to another lane.
__attribute__((target("avx512f"))) static inline void steerlens_col2im_avx512(const float *columns, float *x, long batch,
                                                                             steerlens_axis rows, steerlens_axis cols, long channels) {
    const long imageStride = rows.input * cols.input * channels, rowLength = cols.kernel * channels;
    const float *end = x + batch * imageStride;
    const float *source = columns;
    for (long n = 0; n < batch; n++) {
        float *image = x + n * imageStride;
        for (long oh = 0; oh < rows.output; oh++) {
            const long top = oh * rows.stride - rows.padBefore;
            for (long ow = 0; ow < cols.output; ow++) {
                const long left = ow * cols.stride - cols.padBefore;
                const long first = left > 0 ? left : 0, last = left + cols.kernel < cols.input ? left + cols.kernel : cols.input;
                const long skipped = (first - left) * channels, added = (last > first ? last - first : 0) * channels;
                for (long ky = 0; ky < rows.kernel; ky++) {
                    const long ih = top + ky;
                    if (ih >= 0 && ih < rows.input) {
                        steerlens_add_floats16(image + (ih * cols.input + first) * channels, source + skipped, added, end);
                    }
                    source += rowLength;
                }
            }
        }
    }
}
#endif
