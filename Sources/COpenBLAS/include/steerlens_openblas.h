// OpenBLAS, loaded at start-up with the kernel set ("core") chosen for this CPU (see openblas.c).
#ifndef STEERLENS_OPENBLAS_H
#define STEERLENS_OPENBLAS_H

/// Row-major single-precision GEMM, `cblas_sgemm(CblasRowMajor, …)`: C = alpha·op(A)·op(B) + beta·C,
/// op(A) m×k, op(B) k×n, C m×n; lda/ldb/ldc are the row strides as stored; transpose flags 0 or 1.
void steerlens_sgemm(int transposeA, int transposeB, int m, int n, int k, float alpha,
                     const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/// OpenBLAS's thread count per call (one process-wide pool).
void steerlens_openblas_set_num_threads(int count);
int steerlens_openblas_get_num_threads(void);

/// The core OpenBLAS runs, as it names it ("SkylakeX", "Haswell", "Prescott", …).
const char *steerlens_openblas_corename(void);

/// The core SteerLens set in OPENBLAS_CORETYPE before loading OpenBLAS, or NULL when it set none (the
/// user had set the variable, or the CPU has neither kernel set's instructions).
const char *steerlens_openblas_core_choice(void);

/// 1 when OPENBLAS_CORETYPE was set when the process started (the user's choice stands).
int steerlens_openblas_core_set_by_user(void);

/// 1 when SteerLens initialised OpenBLAS at one thread (no worker threads; none of OPENBLAS_NUM_THREADS,
/// GOTO_NUM_THREADS, OMP_NUM_THREADS was set), 0 when the user's variable stood.
int steerlens_openblas_started_single_threaded(void);

/// The core for a CPU with these capabilities: "SkylakeX" for AVX-512 F/DQ/CD/BW/VL with the OS saving
/// ZMM state, "Haswell" for AVX2 + FMA with YMM state, else NULL (OpenBLAS's own detection).
const char *steerlens_openblas_core_for(int skylakeAVX512, int haswellAVX2);

#endif
