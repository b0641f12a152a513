internal import CVectorKernels

/// The vector loops on frames and written images (CVectorKernels/frame_kernels.h), used when this CPU
/// and OS run them. Each gives the bytes of the portable Swift loop beside its call; the callers take
/// `vectorized:` internally so the tests run both.
public enum FrameKernels {
    /// Whether AVX-512F is usable here (probed once; valgrind reports AVX2 at most).
    public static let avx512 = steerlens_vector_level() >= 2
    /// Whether AVX2 is usable here.
    public static let avx2 = steerlens_vector_level() >= 1
}
