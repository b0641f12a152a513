internal import COpenBLAS

/// The one place NeuralNet calls OpenBLAS: thread control and a row-major `sgemm`.
///
/// Everything else in the module goes through ``sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``
/// so C names never leave this file.
public enum BLAS {
    /// Sets how many threads OpenBLAS uses for each call (process-wide).
    ///
    /// Call it once at start-up, before any other thread runs a model: OpenBLAS keeps one global pool.
    /// Use 1 when frames are already processed by several worker threads, the core count otherwise.
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "OpenBLAS thread count must be at least 1, got \(count)")
        openblas_set_num_threads(Int32(clamping: count))
    }

    /// The number of threads OpenBLAS currently uses.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }
}

/// Row-major single-precision GEMM: `C = alpha · op(A) · op(B) + beta · C`.
///
/// `op(A)` is `m × k`, `op(B)` is `k × n`, `C` is `m × n`. `lda`, `ldb`, `ldc` are the row strides of the
/// matrices as stored (before transposition), as in CBLAS with `CblasRowMajor`.
@inline(__always)
func sgemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    cblas_sgemm(
        CblasRowMajor,
        transposeA ? CblasTrans : CblasNoTrans,
        transposeB ? CblasTrans : CblasNoTrans,
        blasint(m), blasint(n), blasint(k),
        alpha, a, blasint(lda), b, blasint(ldb),
        beta, c, blasint(ldc))
}
