// Loads OpenBLAS with dlopen, after choosing its kernels by CPU features.
//
// Debian's OpenBLAS (a DYNAMIC_ARCH build) picks its kernels from a table of CPU models in its
// constructor. A CPU newer than the table (0.3.21 on an Emerald Rapids Xeon, model 0xCF) gets the
// Prescott (SSE3) kernels, and sgemm runs 3-4x slower. OpenBLAS reads OPENBLAS_CORETYPE in that
// constructor, and a library linked into the executable is initialised before any code of ours can
// set the variable (glibc installs the environment only after .preinit_array), so the library is not
// linked: this file's constructor sets the variable, loads it, resolves the four functions NeuralNet
// calls, and removes the variable again, so child processes (ffmpeg, Python peers) see the user's
// environment. A value the user set is left alone.
//
// The library binds about 14,000 symbols at load, most of them its own (the kernel tables of a
// DYNAMIC_ARCH build). Loaded plainly, each lookup walks the whole global scope first: with FFmpeg's
// and Foundation's 160-odd libraries that took 20 ms, a third of every start. RTLD_DEEPBIND searches
// the library's own scope first. Sanitizer runtimes refuse that flag (their interceptors would be
// bypassed), so a process with one loads the library the plain way.
//
// The same goes for OPENBLAS_NUM_THREADS: SteerLens runs OpenBLAS at one thread (its lanes split the
// batch, see Parallelism.swift), but a library initialised for every core starts a worker per extra
// core, which spins in sched_yield for about 2^28 cycles before it sleeps: 0.1 s of CPU at every start,
// taken from the decoder and the model. So the library is initialised at one thread unless the user
// set OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS or OMP_NUM_THREADS; `openblas_set_num_threads` starts
// workers when BLAS.setThreadCount asks for more.
#include "steerlens_openblas.h"
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// CBLAS's row-major and transpose constants (cblas.h: CblasRowMajor, CblasNoTrans, CblasTrans).
enum { rowMajor = 101, noTranspose = 111, transpose = 112 };

// The LP64 interface (blasint = int); loadOpenBLAS refuses an ILP64 build (openblas_get_config()).
typedef void (*SGEMM)(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc);

static struct {
    SGEMM sgemm;
    void (*setNumThreads)(int);
    int (*getNumThreads)(void);
    char *(*coreName)(void);
} openblas;

static const char *chosenCore = NULL;
static int userSetCore = 0;
static int startedSingleThreaded = 0;

void steerlens_sgemm(int transposeA, int transposeB, int m, int n, int k, float alpha,
                     const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    openblas.sgemm(rowMajor, transposeA ? transpose : noTranspose, transposeB ? transpose : noTranspose,
                   m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void steerlens_openblas_set_num_threads(int count) { openblas.setNumThreads(count); }
int steerlens_openblas_get_num_threads(void) { return openblas.getNumThreads(); }
const char *steerlens_openblas_corename(void) { return openblas.coreName(); }
const char *steerlens_openblas_core_choice(void) { return chosenCore; }
int steerlens_openblas_core_set_by_user(void) { return userSetCore; }
int steerlens_openblas_started_single_threaded(void) { return startedSingleThreaded; }

const char *steerlens_openblas_core_for(int skylakeAVX512, int haswellAVX2) {
    if (skylakeAVX512) return "SkylakeX";
    if (haswellAVX2) return "Haswell";
    return NULL;
}

#if defined(__x86_64__)
#include <cpuid.h>

// Capabilities as OpenBLAS's kernels need them: instructions in CPUID and register state saved by the OS.
static void cpuCapabilities(int *skylakeAVX512, int *haswellAVX2) {
    *skylakeAVX512 = *haswellAVX2 = 0;
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    const unsigned int fma = 1u << 12, osxsave = 1u << 27, avx = 1u << 28;
    if ((c & fma) == 0 || (c & osxsave) == 0 || (c & avx) == 0) return;
    unsigned int xcr0Low, xcr0High;
    __asm__ volatile("xgetbv" : "=a"(xcr0Low), "=d"(xcr0High) : "c"(0));
    if ((xcr0Low & 0x6) != 0x6) return;                                  // XMM and YMM state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || (b & (1u << 5)) == 0) return;  // AVX2
    *haswellAVX2 = 1;
    // AVX-512 F (16), DQ (17), CD (28), BW (30), VL (31): what OpenBLAS's SkylakeX kernels are built for.
    const unsigned int skylake = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);
    *skylakeAVX512 = (b & skylake) == skylake && (xcr0Low & 0xE0) == 0xE0;  // opmask and ZMM state
}
#else
static void cpuCapabilities(int *skylakeAVX512, int *haswellAVX2) { *skylakeAVX512 = *haswellAVX2 = 0; }
#endif

// Defined by every sanitizer runtime (sanitizer_common's interface); null in a plain build.
extern void __sanitizer_print_stack_trace(void) __attribute__((weak));

static int openFlags(void) {
    int flags = RTLD_NOW | RTLD_LOCAL;
#if defined(RTLD_DEEPBIND)
    if (__sanitizer_print_stack_trace == NULL) flags |= RTLD_DEEPBIND;
#endif
    return flags;
}

// The loader's own failure, in SteerLens's one-line form; 127 as when a linked library is missing.
static void failLoading(const char *what) {
    fprintf(stderr, "steerlens: cannot load OpenBLAS: %s (hint: install it, e.g. apt-get install libopenblas0, or run make setup)\n", what);
    _exit(127);
}

__attribute__((constructor))
static void loadOpenBLAS(void) {
    if (getenv("OPENBLAS_CORETYPE") != NULL) {
        userSetCore = 1;
    } else {
        int skylakeAVX512, haswellAVX2;
        cpuCapabilities(&skylakeAVX512, &haswellAVX2);
        const char *core = steerlens_openblas_core_for(skylakeAVX512, haswellAVX2);
        if (core != NULL && setenv("OPENBLAS_CORETYPE", core, 0) == 0) chosenCore = core;
    }
    if (!getenv("OPENBLAS_NUM_THREADS") && !getenv("GOTO_NUM_THREADS") && !getenv("OMP_NUM_THREADS"))
        startedSingleThreaded = setenv("OPENBLAS_NUM_THREADS", "1", 0) == 0;
#if defined(__APPLE__)
    static const char *names[] = {"libopenblas.dylib", "libopenblas.0.dylib"};
#else
    static const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
#endif
    void *library = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && library == NULL; i++) library = dlopen(names[i], openFlags());
    if (chosenCore != NULL) unsetenv("OPENBLAS_CORETYPE");
    if (startedSingleThreaded) unsetenv("OPENBLAS_NUM_THREADS");
    if (library == NULL) failLoading(dlerror());
    char *(*config)(void) = (char *(*)(void))dlsym(library, "openblas_get_config");
    openblas.sgemm = (SGEMM)dlsym(library, "cblas_sgemm");
    openblas.setNumThreads = (void (*)(int))dlsym(library, "openblas_set_num_threads");
    openblas.getNumThreads = (int (*)(void))dlsym(library, "openblas_get_num_threads");
    openblas.coreName = (char *(*)(void))dlsym(library, "openblas_get_corename");
    if (!config || !openblas.sgemm || !openblas.setNumThreads || !openblas.getNumThreads || !openblas.coreName)
        failLoading("the library lacks cblas_sgemm or the openblas_* thread and core functions");
    if (strstr(config(), "USE64BITINT") != NULL) failLoading("this is the 64-bit-integer (ILP64) build; SteerLens needs libopenblas.so.0 (LP64)");
}
