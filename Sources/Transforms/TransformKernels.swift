import CVectorKernels

/// The transforms' AVX-512 loops (CVectorKernels/image_kernels.h), used when this CPU and OS run them.
/// Each gives the bytes of the portable Swift loop beside its call; the transforms take `vectorized:`
/// internally so the tests run both.
enum TransformKernels {
    /// Whether AVX-512F is usable here (probed once; valgrind reports AVX2 at most).
    static let available = steerlens_vector_level() >= 2
}
