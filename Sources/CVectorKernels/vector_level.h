// Which of CVectorKernels' instruction sets this CPU and OS run (vector_kernels.h, image_kernels.h, …).
#ifndef STEERLENS_VECTOR_LEVEL_H
#define STEERLENS_VECTOR_LEVEL_H
#include <cpuid.h>

/// 2 when AVX-512F, AVX-512VL (EVEX encoding of 256-bit operations, registers 16–31) and FMA are usable
/// (CPU and OS state), 1 for AVX2, 0 for neither.
static inline int steerlens_vector_level(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned int osxsave = 1u << 27, avx = 1u << 28, fma = 1u << 12;
    if ((c & osxsave) == 0 || (c & avx) == 0) return 0;
    const int hasFMA = (c & fma) != 0;
    unsigned int xcr0Low, xcr0High;
    __asm__ volatile("xgetbv" : "=a"(xcr0Low), "=d"(xcr0High) : "c"(0));
    if ((xcr0Low & 0x6) != 0x6) return 0;                       // XMM and YMM state saved by the OS
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const unsigned int avx2 = 1u << 5, avx512f = 1u << 16, avx512vl = 1u << 31;
    if ((b & avx2) == 0) return 0;
    if ((b & avx512f) != 0 && (b & avx512vl) != 0 && hasFMA && (xcr0Low & 0xE0) == 0xE0) return 2;  // opmask and ZMM state too
    return 1;
}

/// Whether AVX-512 BW (byte and word lanes) is usable, on top of level 2.
static inline int steerlens_has_avx512_bw(void) {
    unsigned int a, b, c, d;
    if (steerlens_vector_level() < 2 || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b & (1u << 30)) != 0;
}

/// Whether AVX-512 VBMI and BW (byte permutes across a register pair) are usable, on top of level 2.
static inline int steerlens_has_avx512_vbmi(void) {
    unsigned int a, b, c, d;
    if (!steerlens_has_avx512_bw() || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (c & (1u << 1)) != 0;
}

#endif
