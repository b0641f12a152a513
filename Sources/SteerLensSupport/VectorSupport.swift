internal import CVectorKernels

/// Which of CVectorKernels' instruction sets this CPU and OS run (`vector_level.h`: CPUID + XGETBV),
/// probed once for every module whose loops have vector twins. Valgrind reports AVX2 at most.
public enum VectorSupport {
    /// 2: AVX-512F and VL (with FMA), 1: AVX2, 0: neither.
    public static let level = Int(steerlens_vector_level())
    /// Whether the `_avx512` kernels run here.
    public static var avx512: Bool { level >= 2 }
    /// Whether the `_avx512bw` kernels (AVX-512 with byte lanes: Skylake-X, Zen 4 and later) run here.
    public static let avx512bw = steerlens_has_avx512_bw() != 0
    /// Whether the `_vbmi` kernels (AVX-512 with byte permutes: Ice Lake, Zen 4 and later) run here.
    public static let avx512vbmi = steerlens_has_avx512_vbmi() != 0
    /// Whether the `_avx2` kernels run here.
    public static var avx2: Bool { level >= 1 }
}
