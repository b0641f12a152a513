// The median filter's byte networks (Transforms/MedianFilter.swift) in AVX2, and AVX-512 BW where the
// CPU has it (AVX-512F has no byte minimum or maximum), chosen at run time; the bytes are the portable
// loop's (the conventions of vector_kernels.h).
#ifndef STEERLENS_MEDIAN_KERNELS_H
#define STEERLENS_MEDIAN_KERNELS_H
#include <immintrin.h>
#include <stdint.h>

/// The comparators of the 3×3 and 5×5 medians, `MedianFilter.network(9)` and `network(25)` in Swift
/// (Batcher's odd–even merge sort pruned to what the middle element depends on; a test holds them equal),
/// as constants: a kernel that walks them with fully unrolled loops keeps its window in registers, and
/// the compiler drops the minimum or maximum nothing reads.
static const int8_t steerlens_median9_network[24][2] = {
    {0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 2}, {1, 3}, {4, 6}, {5, 7}, {1, 2}, {5, 6}, {0, 4}, {1, 5}, {2, 6}, {3, 7},
    {2, 4}, {3, 5}, {1, 2}, {3, 4}, {5, 6}, {0, 8}, {4, 8}, {2, 4}, {3, 5}, {3, 4}
};
static const int8_t steerlens_median25_network[113][2] = {
    {0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}, {10, 11}, {12, 13}, {14, 15}, {16, 17}, {18, 19}, {20, 21}, {22, 23},
    {0, 2}, {1, 3}, {4, 6}, {5, 7}, {8, 10}, {9, 11}, {12, 14}, {13, 15}, {16, 18}, {17, 19}, {20, 22}, {21, 23},
    {1, 2}, {5, 6}, {9, 10}, {13, 14}, {17, 18}, {21, 22}, {0, 4}, {1, 5}, {2, 6}, {3, 7}, {8, 12}, {9, 13},
    {10, 14}, {11, 15}, {16, 20}, {17, 21}, {18, 22}, {19, 23}, {2, 4}, {3, 5}, {10, 12}, {11, 13}, {18, 20},
    {19, 21}, {1, 2}, {3, 4}, {5, 6}, {9, 10}, {11, 12}, {13, 14}, {17, 18}, {19, 20}, {21, 22}, {0, 8}, {1, 9},
    {2, 10}, {3, 11}, {4, 12}, {5, 13}, {6, 14}, {7, 15}, {16, 24}, {4, 8}, {5, 9}, {6, 10}, {7, 11}, {20, 24},
    {2, 4}, {3, 5}, {6, 8}, {7, 9}, {10, 12}, {11, 13}, {18, 20}, {19, 21}, {22, 24}, {1, 2}, {3, 4}, {5, 6}, {7, 8},
    {9, 10}, {11, 12}, {13, 14}, {17, 18}, {19, 20}, {21, 22}, {23, 24}, {0, 16}, {1, 17}, {2, 18}, {3, 19}, {4, 20},
    {5, 21}, {6, 22}, {7, 23}, {8, 24}, {8, 16}, {9, 17}, {10, 18}, {11, 19}, {12, 20}, {13, 21}, {6, 10}, {7, 11},
    {12, 16}, {13, 17}, {10, 12}, {11, 13}, {11, 12}
};

/// `steerlens_median9_network` (`size` 3) or `steerlens_median25_network` (5) and its comparator count,
/// else NULL (for tests).
static inline const int8_t *steerlens_median_network(long size, long *count) {
    *count = size == 3 ? 24 : size == 5 ? 113 : 0;
    return size == 3 ? &steerlens_median9_network[0][0] : size == 5 ? &steerlens_median25_network[0][0] : 0;
}

/// One padded row of a median filter, `WIDTH` output bytes a block: output byte `i` is the median of the
/// `size²` bytes `source[dy·stride + 3·dx + i]` (`dy, dx < size`, `size ≤ 7`), sorted far enough by the
/// comparator network `pairs` (`pairCount` pairs `(a, b)`: slot a takes the minimum, b the maximum) that
/// slot `middle` holds it. Sizes 3 and 5 run the constant networks above with the window in registers
/// (about twenty and ten times faster than through memory); 7 (49 slots) walks `pairs`. Blocks cover
/// `count` bytes rounded up to `WIDTH`: the caller pads `source` and `out` for the last one. Bytes are
/// exact in any order, so these are the Swift loop's bytes. One body, two widths: 32 bytes in AVX2, 64
/// in AVX-512 BW (AVX-512F has no byte minimum).
#define STEERLENS_MEDIAN_ROW(NAME, TARGET, VECTOR, WIDTH, LOAD, STORE, MIN, MAX)                                                   \
    __attribute__((target(TARGET), always_inline)) static inline void NAME##_constant(                                          \
        const uint8_t *source, long stride, const int8_t (*network)[2], const int PAIRS, const int SIZE, uint8_t *out, long count) { \
        for (long start = 0; start < count; start += WIDTH) {                                                                    \
            VECTOR window[25];                                                                                                   \
            _Pragma("clang loop unroll(full)") for (int dy = 0; dy < SIZE; dy++)                                                 \
                _Pragma("clang loop unroll(full)") for (int dx = 0; dx < SIZE; dx++)                                             \
                    window[dy * SIZE + dx] = LOAD((const void *)(source + dy * stride + 3 * dx + start));                        \
            _Pragma("clang loop unroll(full)") for (int p = 0; p < PAIRS; p++) {                                                 \
                const int a = network[p][0], b = network[p][1];                                                                  \
                const VECTOR low = MIN(window[a], window[b]);                                                                    \
                window[b] = MAX(window[a], window[b]);                                                                           \
                window[a] = low;                                                                                                 \
            }                                                                                                                    \
            STORE((void *)(out + start), window[SIZE * SIZE / 2]);                                                               \
        }                                                                                                                        \
    }                                                                                                                            \
    __attribute__((target(TARGET))) static inline void NAME(const uint8_t *source, long stride, long size, const int32_t *pairs, \
                                                            long pairCount, long middle, uint8_t *out, long count) {            \
        if (size == 3) return NAME##_constant(source, stride, steerlens_median9_network, 24, 3, out, count);                    \
        if (size == 5) return NAME##_constant(source, stride, steerlens_median25_network, 113, 5, out, count);                  \
        VECTOR window[49];                                                                                                       \
        for (long start = 0; start < count; start += WIDTH) {                                                                    \
            long slot = 0;                                                                                                       \
            for (long dy = 0; dy < size; dy++)                                                                                   \
                for (long dx = 0; dx < size; dx++) window[slot++] = LOAD((const void *)(source + dy * stride + 3 * dx + start)); \
            for (long p = 0; p < pairCount; p++) {                                                                               \
                const int32_t a = pairs[2 * p], b = pairs[2 * p + 1];                                                            \
                const VECTOR low = MIN(window[a], window[b]);                                                                    \
                window[b] = MAX(window[a], window[b]);                                                                           \
                window[a] = low;                                                                                                 \
            }                                                                                                                    \
            STORE((void *)(out + start), window[middle]);                                                                        \
        }                                                                                                                        \
    }

STEERLENS_MEDIAN_ROW(steerlens_median_row_avx2, "avx2", __m256i, 32, _mm256_loadu_si256, _mm256_storeu_si256, _mm256_min_epu8, _mm256_max_epu8)
STEERLENS_MEDIAN_ROW(steerlens_median_row_avx512bw, "avx512f,avx512bw", __m512i, 64, _mm512_loadu_si512, _mm512_storeu_si512, _mm512_min_epu8,
                     _mm512_max_epu8)
#undef STEERLENS_MEDIAN_ROW

#endif
