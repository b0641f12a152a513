// Winograd F(4×4, 3×3) convolution (NeuralNet's `WinogradConvolution`): a stride-1 3×3 layer as it is, and a
// stride-2 layer with a 5×5 or 6×6 kernel as the 3×3 stride-1 convolution of its input's four polyphase
// components (input column 2·j + φ is column j of phase φ; the kernel's taps 2·p + φ are the phase's taps
// p = 0…2, zero past the kernel). Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016),
// with the interpolation points 0, ±1, ±2, ∞.
//
// Per 4×4 tile of output pixels: `V = Bᵀ d B` of the 6×6 input patch `d` of every phase channel, then per
// position of the 6×6 transform domain the product `M = V · U` over the `C' = phases·C` phase channels (`U =
// G g Gᵀ`, the transformed kernel, computed once by the caller), then `Y = Aᵀ M A`. 36·C'·F multiplies for
// 16 outputs where the direct sum takes 16·KH·KW·C·F: 2.4× fewer for PilotNet's second layer. Every vector
// runs along channels or filters, which NHWC keeps contiguous, so nothing is transposed.
//
// Sums are rounded differently from the direct sum: within a few units of rounding of the sums' magnitudes
// (the tests bound it), and the same for an image whatever batch or chunk it comes in.
#ifndef STEERLENS_WINOGRAD_KERNELS_H
#define STEERLENS_WINOGRAD_KERNELS_H
#include <stdint.h>
#include "vector_kernels.h"

#define STEERLENS_WINOGRAD __attribute__((target("avx512f,avx512vl,fma"), always_inline)) static inline

typedef float steerlens_wf16 __attribute__((ext_vector_type(16), aligned(4)));
typedef float steerlens_wf8 __attribute__((ext_vector_type(8), aligned(4)));
typedef float steerlens_wf4 __attribute__((ext_vector_type(4), aligned(4)));
typedef float steerlens_wf1;

#define STEERLENS_WLOAD(TYPE, pointer) ({ TYPE loaded_; __builtin_memcpy(&loaded_, (pointer), sizeof(TYPE)); loaded_; })
#define STEERLENS_WSTORE(TYPE, pointer, value) do { TYPE stored_ = (value); __builtin_memcpy((pointer), &stored_, sizeof(TYPE)); } while (0)

/// Tiles per pass of the three steps (a multiple of the product's 8-tile blocks): their transformed inputs
/// (`36 · tiles · C'` floats) and products (`36 · tiles · FP`) stay in L2 with the transformed kernel.
#define STEERLENS_WINOGRAD_TILES 16

/// One tile's geometry in a pass: its image, first output row and column.
typedef struct {
    long image, row, column;
} steerlens_winograd_tile;

// MARK: Input transform, V = Bᵀ d B

/// `o[k·os] = (Bᵀ d)[k]` for `d[k·ds]`, k = 0…5 (Bᵀ's rows: [4 0 −5 0 1 0], [0 −4 −4 1 1 0], [0 4 −4 −1 1 0],
/// [0 −2 −1 2 1 0], [0 2 −1 −2 1 0], [0 4 0 −5 0 1]).
#define STEERLENS_WINOGRAD_BT(TYPE, d, ds, o, os)                                                               \
    do {                                                                                                         \
        const TYPE d0 = (d)[0], d1 = (d)[(ds)], d2 = (d)[2 * (ds)], d3 = (d)[3 * (ds)], d4 = (d)[4 * (ds)],     \
                   d5 = (d)[5 * (ds)];                                                                           \
        const TYPE s12 = d1 + d2, s34 = d3 + d4, e12 = d1 - d2, e43 = d4 - d3, e31 = d3 - d1, e42 = d4 - d2;    \
        (o)[0] = d4 + 4.0f * d0 - 5.0f * d2;                                                                     \
        (o)[(os)] = s34 - 4.0f * s12;                                                                            \
        (o)[2 * (os)] = e43 + 4.0f * e12;                                                                        \
        (o)[3 * (os)] = e42 + 2.0f * e31;                                                                        \
        (o)[4 * (os)] = e42 - 2.0f * e31;                                                                        \
        (o)[5 * (os)] = d5 + 4.0f * d1 - 5.0f * d3;                                                              \
    } while (0)

/// The transformed patch of `TYPE`'s width of consecutive floats (channels) of every pixel of a 6×6 patch:
/// `V[pos] = (Bᵀ d B)[pos]` stored at `v + pos·posStride`, where patch pixel `(a, b)` is at `patch + a·rowPitch
/// + b·columnPitch`. Not inlined: inside the pass's loops the compiler kept the 72 addresses live and
/// spilled them, 2.5 times slower.
#define STEERLENS_WINOGRAD_INPUT(NAME, TYPE)                                                                     \
    __attribute__((target("avx512f,avx512vl,fma"), noinline)) static void NAME(                                 \
        const float *patch, long rowPitch, long columnPitch, float *v, long posStride) {                         \
        TYPE d[36], t[36];                                                                                       \
        for (int a = 0; a < 6; a++)                                                                              \
            for (int b = 0; b < 6; b++) d[a * 6 + b] = STEERLENS_WLOAD(TYPE, patch + a * rowPitch + b * columnPitch); \
        for (int b = 0; b < 6; b++) STEERLENS_WINOGRAD_BT(TYPE, d + b, 6, t + b, 6);                             \
        for (int a = 0; a < 6; a++) STEERLENS_WINOGRAD_BT(TYPE, t + a * 6, 1, d + a * 6, 1);                     \
        for (int pos = 0; pos < 36; pos++) STEERLENS_WSTORE(TYPE, v + pos * posStride, d[pos]);                  \
    }
STEERLENS_WINOGRAD_INPUT(steerlens_winograd_input16, steerlens_wf16)
STEERLENS_WINOGRAD_INPUT(steerlens_winograd_input8, steerlens_wf8)
STEERLENS_WINOGRAD_INPUT(steerlens_winograd_input4, steerlens_wf4)
STEERLENS_WINOGRAD_INPUT(steerlens_winograd_input1, steerlens_wf1)

/// `width` consecutive floats of every pixel of a patch (pixel `(a, b)` at `patch + a·rowPitch + b·columnPitch`)
/// transformed into `v` (position `pos` at `v + pos·posStride`), 16, 8, 4 and 1 at a time.
STEERLENS_WINOGRAD void steerlens_winograd_transform_row(const float *patch, long rowPitch, long columnPitch, long width, float *v,
                                                         long posStride) {
    long c0 = 0;
    for (; c0 + 16 <= width; c0 += 16) steerlens_winograd_input16(patch + c0, rowPitch, columnPitch, v + c0, posStride);
    if (c0 + 8 <= width) { steerlens_winograd_input8(patch + c0, rowPitch, columnPitch, v + c0, posStride); c0 += 8; }
    if (c0 + 4 <= width) { steerlens_winograd_input4(patch + c0, rowPitch, columnPitch, v + c0, posStride); c0 += 4; }
    for (; c0 < width; c0++) steerlens_winograd_input1(patch + c0, rowPitch, columnPitch, v + c0, posStride);
}

/// Floats of the zero-padded copy of an edge tile's input region (`6·SY × 6·SX` pixels of `channels`), the
/// last part of `steerlens_winograd_conv`'s scratch.
static inline long steerlens_winograd_region_floats(long strideY, long strideX, long channels) {
    return 36 * strideY * strideX * channels;
}

/// `V` (`[STEERLENS_WINOGRAD_TILES][36][C']`, phase channel `q = (φy·SX + φx)·C + c`) for the pass's `count`
/// tiles, zero for the rest of the pass's slots. Phase `(φy, φx)` pixel `(i, j)` is input pixel `(SY·i + φy −
/// padTop, SX·j + φx − padLeft)`; a tile at output `(r, c)` reads phase pixels `r … r + 5`, `c … c + 5`, all of
/// them in the input pixels `SY·r − padTop …< SY·(r + 6) − padTop` (columns alike). A tile whose region
/// crosses the input's edge reads a zero-padded copy of it (`region`, see
/// `steerlens_winograd_region_floats`), the others the image itself.
STEERLENS_WINOGRAD void steerlens_winograd_inputs(const float *x, const steerlens_winograd_tile *tiles, long count, steerlens_axis rows,
                                                  steerlens_axis cols, long channels, float *v, float *region) {
    const long sy = rows.stride, sx = cols.stride, cp = sy * sx * channels;
    const long imageFloats = rows.input * cols.input * channels, regionWidth = 6 * sx;
    for (long t = 0; t < STEERLENS_WINOGRAD_TILES; t++) {
        float *slot = v + t * 36 * cp;
        if (t >= count) {
            for (int pos = 0; pos < 36; pos++)
                for (long q = 0; q < cp; q++) slot[pos * cp + q] = 0;
            continue;
        }
        const long top = sy * tiles[t].row - rows.padBefore, left = sx * tiles[t].column - cols.padBefore;
        const float *image = x + tiles[t].image * imageFloats;
        const float *origin;
        long pixelRowFloats;
        if (top >= 0 && left >= 0 && top + 6 * sy <= rows.input && left + regionWidth <= cols.input) {
            origin = image + (top * cols.input + left) * channels;
            pixelRowFloats = cols.input * channels;
        } else {
            // Per region row: zeros, the input pixels `first …< end` in one copy, zeros.
            const long first = left < 0 ? -left : 0, end = cols.input - left < regionWidth ? cols.input - left : regionWidth;
            for (long r = 0; r < 6 * sy; r++) {
                float *target = region + r * regionWidth * channels;
                const long y = top + r;
                if (y < 0 || y >= rows.input || first >= end) {
                    __builtin_memset(target, 0, (size_t)(regionWidth * channels) * sizeof(float));
                    continue;
                }
                __builtin_memset(target, 0, (size_t)(first * channels) * sizeof(float));
                __builtin_memcpy(target + first * channels, image + (y * cols.input + left + first) * channels,
                                 (size_t)((end - first) * channels) * sizeof(float));
                __builtin_memset(target + end * channels, 0, (size_t)((regionWidth - end) * channels) * sizeof(float));
            }
            origin = region;
            pixelRowFloats = regionWidth * channels;
        }
        // The SX column phases of a row phase are SX neighbouring pixels: their SX·C floats are consecutive
        // in the input and in V, so they are transformed together.
        for (long py = 0; py < sy; py++)
            steerlens_winograd_transform_row(origin + py * pixelRowFloats, sy * pixelRowFloats, sx * channels, sx * channels,
                                             slot + py * sx * channels, cp);
    }
}

// MARK: Product per transform position, M = V · U

/// `M[t][f] = Σ_q V[t][q] · U[q][f]` for `TILES` tiles (`v`'s and `m`'s rows `36·cp` and `36·fp` floats apart)
/// and one group of filters from `u` (`[cp][fp]` from the group's first filter): `N16` vectors of 16, then one of 8
/// (`T8`) and one of 4 (`T4`). One FMA chain per value, over `q` in order.
STEERLENS_WINOGRAD void steerlens_winograd_block(const float *v, long cp, const float *u, long fp, float *m, const int TILES, const int N16,
                                                 const int T8, const int T4) {
    steerlens_wf16 a16[8][3];
    steerlens_wf8 a8[8];
    steerlens_wf4 a4[8];
#pragma clang loop unroll(full)
    for (int t = 0; t < TILES; t++) {
#pragma clang loop unroll(full)
        for (int i = 0; i < N16; i++) a16[t][i] = (steerlens_wf16)(0.0f);
        if (T8) a8[t] = (steerlens_wf8)(0.0f);
        if (T4) a4[t] = (steerlens_wf4)(0.0f);
    }
    for (long q = 0; q < cp; q++) {
        const float *w = u + q * fp;
        steerlens_wf16 w16[3];
#pragma clang loop unroll(full)
        for (int i = 0; i < N16; i++) w16[i] = STEERLENS_WLOAD(steerlens_wf16, w + 16 * i);
        const steerlens_wf8 w8 = T8 ? STEERLENS_WLOAD(steerlens_wf8, w + 16 * N16) : (steerlens_wf8)(0.0f);
        const steerlens_wf4 w4 = T4 ? STEERLENS_WLOAD(steerlens_wf4, w + 16 * N16 + 8 * T8) : (steerlens_wf4)(0.0f);
#pragma clang loop unroll(full)
        for (int t = 0; t < TILES; t++) {
            const float s = v[t * 36 * cp + q];
#pragma clang loop unroll(full)
            for (int i = 0; i < N16; i++) a16[t][i] = __builtin_elementwise_fma((steerlens_wf16)(s), w16[i], a16[t][i]);
            if (T8) a8[t] = __builtin_elementwise_fma((steerlens_wf8)(s), w8, a8[t]);
            if (T4) a4[t] = __builtin_elementwise_fma((steerlens_wf4)(s), w4, a4[t]);
        }
    }
#pragma clang loop unroll(full)
    for (int t = 0; t < TILES; t++) {
#pragma clang loop unroll(full)
        for (int i = 0; i < N16; i++) STEERLENS_WSTORE(steerlens_wf16, m + t * 36 * fp + 16 * i, a16[t][i]);
        if (T8) STEERLENS_WSTORE(steerlens_wf8, m + t * 36 * fp + 16 * N16, a8[t]);
        if (T4) STEERLENS_WSTORE(steerlens_wf4, m + t * 36 * fp + 16 * N16 + 8 * T8, a4[t]);
    }
}

/// `M` (`[STEERLENS_WINOGRAD_TILES][36][FP]`) from `V` and `u` (`[36][C'][FP]`, `FP` a multiple of 4 ≥ F,
/// zero past F), in groups of at most 48 filters, 8 tiles at a time (4 where a group needs 4 vectors).
STEERLENS_WINOGRAD void steerlens_winograd_products(const float *v, const float *u, float *m, long cp, long fp) {
    for (int pos = 0; pos < 36; pos++) {
        const float *vp = v + pos * cp, *up = u + pos * cp * fp;
        float *mp = m + pos * fp;
        for (long f0 = 0; f0 < fp; f0 += 48) {
            const long width = fp - f0 < 48 ? fp - f0 : 48;
            const int n16 = (int)(width / 16), t8 = (width % 16) >= 8, t4 = (width % 8) == 4;
#define STEERLENS_WINOGRAD_GROUP(TILES, N16, T8, T4)                                                             \
    for (long t0 = 0; t0 < STEERLENS_WINOGRAD_TILES; t0 += TILES)                                                \
        steerlens_winograd_block(vp + t0 * 36 * cp, cp, up + f0, fp, mp + t0 * 36 * fp + f0, TILES, N16, T8, T4); \
    break;
            switch (n16 * 4 + t8 * 2 + t4) {
            case 1: STEERLENS_WINOGRAD_GROUP(8, 0, 0, 1)
            case 2: STEERLENS_WINOGRAD_GROUP(8, 0, 1, 0)
            case 3: STEERLENS_WINOGRAD_GROUP(8, 0, 1, 1)
            case 4: STEERLENS_WINOGRAD_GROUP(8, 1, 0, 0)
            case 5: STEERLENS_WINOGRAD_GROUP(8, 1, 0, 1)
            case 6: STEERLENS_WINOGRAD_GROUP(8, 1, 1, 0)
            case 7: STEERLENS_WINOGRAD_GROUP(8, 1, 1, 1)
            case 8: STEERLENS_WINOGRAD_GROUP(8, 2, 0, 0)
            case 9: STEERLENS_WINOGRAD_GROUP(8, 2, 0, 1)
            case 10: STEERLENS_WINOGRAD_GROUP(8, 2, 1, 0)
            case 11: STEERLENS_WINOGRAD_GROUP(4, 2, 1, 1)
            case 12: STEERLENS_WINOGRAD_GROUP(8, 3, 0, 0)
            default: break;
            }
#undef STEERLENS_WINOGRAD_GROUP
        }
    }
}

// MARK: Output transform, Y = Aᵀ M A

/// `o[k·os] = (Aᵀ m)[k]` for `m[k·ms]`, k = 0…3 (Aᵀ's rows: [1 1 1 1 1 0], [0 1 −1 2 −2 0], [0 1 1 4 4 0],
/// [0 1 −1 8 −8 1]).
#define STEERLENS_WINOGRAD_AT(TYPE, m, ms, o, os)                                                               \
    do {                                                                                                         \
        const TYPE s12 = (m)[(ms)] + (m)[2 * (ms)], e12 = (m)[(ms)] - (m)[2 * (ms)];                            \
        const TYPE s34 = (m)[3 * (ms)] + (m)[4 * (ms)], e34 = (m)[3 * (ms)] - (m)[4 * (ms)];                    \
        (o)[0] = (m)[0] + s12 + s34;                                                                             \
        (o)[(os)] = e12 + 2.0f * e34;                                                                            \
        (o)[2 * (os)] = s12 + 4.0f * s34;                                                                        \
        (o)[3 * (os)] = e12 + 8.0f * e34 + (m)[5 * (ms)];                                                        \
    } while (0)

/// One tile's outputs for `TYPE`'s width of filters from `f0`: `Aᵀ M A` of `m + f0` (positions `posStride`
/// apart) into `out + f0` (the tile's first pixel; rows `rowFloats`, pixels `filters` floats apart),
/// `rowsValid` × `columnsValid` of the 4×4 pixels. Not inlined, like the input transform.
#define STEERLENS_WINOGRAD_OUTPUT(NAME, TYPE)                                                                    \
    __attribute__((target("avx512f,avx512vl,fma"), noinline)) static void NAME(                                 \
        const float *m, long posStride, long f0, float *out, long rowFloats, long filters, long rowsValid,       \
        long columnsValid) {                                                                                     \
        TYPE d[36], t[24], y[16];                                                                                \
        for (int pos = 0; pos < 36; pos++) d[pos] = STEERLENS_WLOAD(TYPE, m + pos * posStride + f0);             \
        for (int b = 0; b < 6; b++) STEERLENS_WINOGRAD_AT(TYPE, d + b, 6, t + b, 6);                             \
        for (int a = 0; a < 4; a++) STEERLENS_WINOGRAD_AT(TYPE, t + a * 6, 1, y + a * 4, 1);                     \
        for (long a = 0; a < rowsValid; a++)                                                                     \
            for (long b = 0; b < columnsValid; b++) STEERLENS_WSTORE(TYPE, out + a * rowFloats + b * filters + f0, y[a * 4 + b]); \
    }
STEERLENS_WINOGRAD_OUTPUT(steerlens_winograd_output16, steerlens_wf16)
STEERLENS_WINOGRAD_OUTPUT(steerlens_winograd_output8, steerlens_wf8)
STEERLENS_WINOGRAD_OUTPUT(steerlens_winograd_output4, steerlens_wf4)
STEERLENS_WINOGRAD_OUTPUT(steerlens_winograd_output1, steerlens_wf1)

/// All `filters` outputs of one tile from its products `m` (`[36][FP]`), 16, 8, 4 and 1 filters at a time.
STEERLENS_WINOGRAD void steerlens_winograd_output_tile(const float *m, long fp, float *out, long rowFloats, long filters, long rowsValid,
                                                       long columnsValid) {
    long f0 = 0;
    for (; f0 + 16 <= filters; f0 += 16) steerlens_winograd_output16(m, fp, f0, out, rowFloats, filters, rowsValid, columnsValid);
    if (f0 + 8 <= filters) { steerlens_winograd_output8(m, fp, f0, out, rowFloats, filters, rowsValid, columnsValid); f0 += 8; }
    if (f0 + 4 <= filters) { steerlens_winograd_output4(m, fp, f0, out, rowFloats, filters, rowsValid, columnsValid); f0 += 4; }
    for (; f0 < filters; f0++) steerlens_winograd_output1(m, fp, f0, out, rowFloats, filters, rowsValid, columnsValid);
}

// MARK: The convolution

/// `out` (`[batch, OH, OW, F]`, written whole, no bias or activation) = `x` (`[batch, H, W, C]`) ∗ the kernel
/// whose transform is `u` (`[36][C'][FP]`, see `steerlens_winograd_products`), through `scratch`
/// (`36 · STEERLENS_WINOGRAD_TILES · (C' + FP)` floats, then `steerlens_winograd_region_floats`). Tiles of 4×4
/// output pixels in image, row, column order, `STEERLENS_WINOGRAD_TILES` per pass; edge tiles write only their
/// pixels inside the output.
__attribute__((target("avx512f,avx512vl,fma"))) static inline void steerlens_winograd_conv(const float *x, float *out, long batch,
                                                                                          steerlens_axis rows, steerlens_axis cols,
                                                                                          long channels, long filters, long fp,
                                                                                          const float *u, float *scratch) {
    const long cp = rows.stride * cols.stride * channels;
    const long tilesDown = (rows.output + 3) / 4, tilesAcross = (cols.output + 3) / 4, total = batch * tilesDown * tilesAcross;
    const long rowFloats = cols.output * filters, imageFloats = rows.output * rowFloats;
    float *v = scratch, *m = scratch + 36 * STEERLENS_WINOGRAD_TILES * cp, *region = m + 36 * STEERLENS_WINOGRAD_TILES * fp;
    for (long g0 = 0; g0 < total; g0 += STEERLENS_WINOGRAD_TILES) {
        const long count = total - g0 < STEERLENS_WINOGRAD_TILES ? total - g0 : STEERLENS_WINOGRAD_TILES;
        steerlens_winograd_tile tiles[STEERLENS_WINOGRAD_TILES];
        for (long t = 0; t < count; t++) {
            const long g = g0 + t, inImage = g % (tilesDown * tilesAcross);
            tiles[t] = (steerlens_winograd_tile){g / (tilesDown * tilesAcross), 4 * (inImage / tilesAcross), 4 * (inImage % tilesAcross)};
        }
        steerlens_winograd_inputs(x, tiles, count, rows, cols, channels, v, region);
        steerlens_winograd_products(v, u, m, cp, fp);
        for (long t = 0; t < count; t++) {
            const long rowsValid = rows.output - tiles[t].row < 4 ? rows.output - tiles[t].row : 4;
            const long columnsValid = cols.output - tiles[t].column < 4 ? cols.output - tiles[t].column : 4;
            float *target = out + tiles[t].image * imageFloats + tiles[t].row * rowFloats + tiles[t].column * filters;
            steerlens_winograd_output_tile(m + t * 36 * fp, fp, target, rowFloats, filters, rowsValid, columnsValid);
        }
    }
}

#endif
