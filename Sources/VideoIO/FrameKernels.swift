internal import CVectorKernels

/// The AVX-512 loops of frame preprocessing and overlays (CVectorKernels/frame_kernels.h), used when
/// this CPU and OS run them. Each gives the bytes of the portable Swift loop beside its call; the
/// callers take `vectorized:` internally so the tests run both.
public enum FrameKernels {
    /// Whether AVX-512F is usable here (probed once; valgrind reports AVX2 at most).
    public static let available = steerlens_vector_level() >= 2
}
