import Foundation
import XCTest
@testable import NeuralNet

/// OpenBLAS runs the kernels chosen for this CPU's features (COpenBLAS/openblas.c), not the SSE3
/// fallback its model table gives CPUs newer than itself.
final class OpenBLASCoreTests: XCTestCase {
    func testTheCoreFollowsTheCPUCapabilities() {
        XCTAssertEqual(BLAS.core(skylakeAVX512: true, haswellAVX2: true), "SkylakeX")
        XCTAssertEqual(BLAS.core(skylakeAVX512: false, haswellAVX2: true), "Haswell")
        XCTAssertNil(BLAS.core(skylakeAVX512: false, haswellAVX2: false))
    }

    func testOpenBLASRunsTheCoreChosenAtStartUp() throws {
        guard let chosen = BLAS.chosenCore else {
            // Left to OpenBLAS: the user set the variable, or the CPU has no AVX2 (then SteerLens has no
            // better kernels to offer than OpenBLAS's own choice).
            XCTAssertTrue(BLAS.coreSetByUser || VectorKernels.level == 0,
                          "an AVX2 CPU without a user OPENBLAS_CORETYPE must get a chosen core")
            return
        }
        XCTAssertFalse(BLAS.coreSetByUser)
        XCTAssertEqual(BLAS.coreName.lowercased(), chosen.lowercased(), "OpenBLAS ignored OPENBLAS_CORETYPE=\(chosen)")
        if chosen == "SkylakeX" {
            XCTAssertEqual(VectorKernels.level, 2, "SkylakeX kernels only where AVX-512 runs")
        } else {
            XCTAssertEqual(chosen, "Haswell")
            XCTAssertEqual(VectorKernels.level, 1, "an AVX-512 CPU gets the SkylakeX kernels")
        }
    }

    func testTheChoiceDoesNotLeakIntoChildProcesses() {
        guard BLAS.chosenCore != nil else { return }
        XCTAssertNil(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], "the variable is removed once OpenBLAS has read it")
        XCTAssertNil(getenv("OPENBLAS_CORETYPE"))
    }

    /// Without a thread variable of the user's, OpenBLAS starts at one thread (no workers spinning at
    /// start-up), the variable is gone again for child processes, and asking for two threads later
    /// still starts a worker: a GEMM large enough to split gives the one-thread result with it.
    func testOpenBLASStartsAtOneThreadAndGrowsWhenAsked() {
        let environment = ProcessInfo.processInfo.environment
        let userSet = ["OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"].contains { environment[$0] != nil }
        XCTAssertEqual(BLAS.startedSingleThreaded, !userSet)
        guard BLAS.startedSingleThreaded else { return }
        XCTAssertNil(getenv("OPENBLAS_NUM_THREADS"), "the variable is removed once OpenBLAS has read it")
        let (lanes, threads) = (Parallelism.laneCount, BLAS.threadCount)
        defer {
            BLAS.setThreadCount(threads)
            Parallelism.setLaneCount(lanes)
        }
        let size = 384
        let a = (0..<(size * size)).map { Float($0 % 17) - 8 }, b = (0..<(size * size)).map { Float($0 % 13) * 0.25 }
        func product() -> [Float] {
            var c = [Float](repeating: 0, count: size * size)
            sgemm(m: size, n: size, k: size, a: a, lda: size, b: b, ldb: size, beta: 0, c: &c, ldc: size)
            return c
        }
        BLAS.setThreadCount(1)
        let single = product()
        BLAS.setThreadCount(2)
        XCTAssertEqual(BLAS.threadCount, 2)
        XCTAssertEqual(product(), single, "integer-valued products are exact in any order")
    }

    func testTheChosenKernelsComputeAGEMM() {
        // A 3×2 · 2×4 product through the loaded library, against the sum written out.
        let a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [1, 0, -1, 2, 0.5, 1, 3, -2]
        var c = [Float](repeating: 1, count: 12)
        sgemm(m: 3, n: 4, k: 2, alpha: 2, a: a, lda: 2, b: b, ldb: 4, beta: 0.5, c: &c, ldc: 4)
        for row in 0..<3 {
            for column in 0..<4 {
                let product = a[row * 2] * b[column] + a[row * 2 + 1] * b[4 + column]
                XCTAssertEqual(c[row * 4 + column], 2 * product + 0.5, accuracy: 1e-5)
            }
        }
    }
}
