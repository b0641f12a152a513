internal import COpenBLAS
import Foundation

/// The one place NeuralNet calls OpenBLAS: thread control and a row-major `sgemm`.
///
/// Everything else in the module goes through ``sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``
/// so C names never leave this file.
public enum BLAS {
    /// Sets how many threads OpenBLAS uses for each call (process-wide).
    ///
    /// Call it once at start-up, before any other thread runs a model: OpenBLAS keeps one global pool.
    /// More than one thread sets ``Parallelism/laneCount`` to 1 (the two never combine); the default is
    /// one OpenBLAS thread and one lane per core (see ``Parallelism`` for why).
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "OpenBLAS thread count must be at least 1, got \(count)")
        EngineSettings.shared.blasThreadsWillChange(to: count)
        setBLASThreadCount(count)
    }

    /// The number of threads OpenBLAS currently uses.
    public static var threadCount: Int {
        _ = EngineSettings.shared
        return Int(steerlens_openblas_get_num_threads())
    }

    /// The kernel set ("core") OpenBLAS runs, as it names it: `SkylakeX`, `Haswell`, `Prescott`, ….
    public static var coreName: String { String(cString: steerlens_openblas_corename()) }

    /// Who chose ``coreName``: SteerLens from the CPU's features (OpenBLAS's model table may not know a
    /// new CPU and fall back to SSE3 kernels), the user's `OPENBLAS_CORETYPE`, or OpenBLAS itself
    /// (a CPU with neither AVX2 nor AVX-512).
    public static var coreChoice: String {
        if let chosenCore { return "OPENBLAS_CORETYPE=\(chosenCore) set by steerlens from the CPU's features" }
        return coreSetByUser ? "the user's OPENBLAS_CORETYPE" : "OpenBLAS's own CPU detection"
    }

    /// The core SteerLens asked OpenBLAS for at start-up, or nil when it left the choice alone.
    static var chosenCore: String? { steerlens_openblas_core_choice().map { String(cString: $0) } }

    /// Whether `OPENBLAS_CORETYPE` was set when the process started.
    static var coreSetByUser: Bool { steerlens_openblas_core_set_by_user() != 0 }

    /// Whether OpenBLAS was initialised at one thread by SteerLens (no thread variable of the user's):
    /// no idle workers spin at start-up; ``setThreadCount(_:)`` starts them when asked for more.
    static var startedSingleThreaded: Bool { steerlens_openblas_started_single_threaded() != 0 }

    /// The core SteerLens picked for a CPU with these capabilities (nil: leave it to OpenBLAS).
    static func core(skylakeAVX512: Bool, haswellAVX2: Bool) -> String? {
        steerlens_openblas_core_for(skylakeAVX512 ? 1 : 0, haswellAVX2 ? 1 : 0).map { String(cString: $0) }
    }

    /// The ends of the depth blocks in which OpenBLAS's single-threaded level-3 driver
    /// (`driver/level3/level3.c`) cuts an `sgemm` of depth `k` with its SkylakeX kernels (`GEMM_Q` 448,
    /// `GEMM_UNROLL_M` 16): at least `2·Q` left takes `Q`, more than `Q` takes half rounded up to 16,
    /// else the rest. Its micro-kernel sums each block's products as one FMA chain from 0 and adds the
    /// block onto `C`; loops that promise `sgemm`'s bits (``PixelConvolution``) repeat the cut.
    static func depthBlockEnds(_ k: Int) -> [Int] {
        let q = 448, unroll = 16
        var ends: [Int] = [], start = 0
        while start < k {
            var length = k - start
            if length >= 2 * q {
                length = q
            } else if length > q {
                length = (length / 2 + unroll - 1) / unroll * unroll
            }
            start += length
            ends.append(start)
        }
        return ends
    }

    /// The shape of one `sgemm` call (row-major, as passed to CBLAS), for benchmarks that replay the
    /// exact GEMM workload of a forward/backward pass without the rest of the engine.
    public struct Call: Sendable, Hashable {
        public var transposeA: Bool
        public var transposeB: Bool
        public var m: Int
        public var n: Int
        public var k: Int
        public var lda: Int
        public var ldb: Int
        public var ldc: Int
        public var beta: Float
        /// The worker lane that issued the call (0 when the engine ran on the calling thread only);
        /// calls of different lanes ran concurrently.
        public var lane: Int

        /// Elements each operand spans as stored: `A`, `B`, `C`.
        public var extents: (a: Int, b: Int, c: Int) {
            ((transposeA ? k : m) * lda, (transposeB ? n : k) * ldb, m * ldc)
        }

        /// Floating-point operations (`2·m·n·k`).
        public var flops: Int { 2 * m * n * k }
    }

    /// Runs `body` and returns every `sgemm` NeuralNet issued meanwhile, in issue order per lane.
    ///
    /// Recording costs one lock per call; do not time a recorded run. Not reentrant.
    public static func recordingCalls(_ body: () throws -> Void) rethrows -> [Call] {
        let recorder = CallRecorder()
        CallRecorder.active = recorder
        defer { CallRecorder.active = nil }
        try body()
        return recorder.calls
    }

    /// Replays calls on caller-owned buffers with the real `cblas_sgemm` (alpha 1): the pure-GEMM peer
    /// of an engine pass. `a`, `b`, `c` must hold at least ``Call/extents`` elements of each call.
    public static func replay(
        _ call: Call, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
    ) {
        sgemm(transposeA: call.transposeA, transposeB: call.transposeB, m: call.m, n: call.n, k: call.k,
              a: a, lda: call.lda, b: b, ldb: call.ldb, beta: call.beta, c: c, ldc: call.ldc)
    }
}

/// Sets OpenBLAS's thread count without touching ``Parallelism`` (for ``EngineSettings``).
func setBLASThreadCount(_ count: Int) {
    steerlens_openblas_set_num_threads(Int32(clamping: count))
}

/// Collects ``BLAS/Call``s while ``BLAS/recordingCalls(_:)`` runs (from any worker lane).
final class CallRecorder: @unchecked Sendable {
    /// The recorder in effect, or `nil` (the normal case: one load per `sgemm`).
    nonisolated(unsafe) static var active: CallRecorder?
    private let lock = NSLock()
    private(set) var calls: [BLAS.Call] = []

    func append(_ call: BLAS.Call) {
        lock.lock()
        calls.append(call)
        lock.unlock()
    }
}

/// Row-major single-precision GEMM: `C = alpha · op(A) · op(B) + beta · C`.
///
/// `op(A)` is `m × k`, `op(B)` is `k × n`, `C` is `m × n`. `lda`, `ldb`, `ldc` are the row strides of the
/// matrices as stored (before transposition), as in CBLAS with `CblasRowMajor`. `lane` only labels the
/// call for ``BLAS/recordingCalls(_:)``.
@inline(__always)
func sgemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int,
    lane: Int = 0
) {
    guard m > 0, n > 0 else { return }
    if let recorder = CallRecorder.active {
        recorder.append(BLAS.Call(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                  lda: lda, ldb: ldb, ldc: ldc, beta: beta, lane: lane))
    }
    steerlens_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
