import CVectorKernels
import TestSupport
import XCTest
@testable import NeuralNet

/// The engine's AVX-512 loops stay inside the buffers their callers give them: each input and output
/// sits flush against an inaccessible page (after its end, then before its start), sized exactly as the
/// caller sizes it (``GuardedBytes``), so a read or write one float outside faults and ends the test run.
/// AddressSanitizer does not see into CVectorKernels' header loops, so this is their bounds check.
final class VectorKernelBoundsTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(VectorKernels.level >= 2, "this CPU (or valgrind) does not run AVX-512; the portable loops ran instead")
    }

    func testIm2colAndCol2imStayInTheImagesAndTheColumns() throws {
        for (window, rows, cols) in try convolutionWindows() {
            // The window's batch of images, as a lane's chunk of items.
            let imageFloats = window.batch * window.height * window.width * window.channels
            let columnFloats = window.batch * rows.output * cols.output * window.kernel * window.kernel * window.channels
            for flushEnd in [true, false] {
                let image = GuardedBytes(count: imageFloats * 4, flushEnd: flushEnd), columns = GuardedBytes(count: columnFloats * 4, flushEnd: flushEnd)
                let x = image.floats((0..<imageFloats).map { Float($0 % 97) })
                let c = columns.floats([Float](repeating: 0, count: columnFloats))
                steerlens_im2col_avx512(x, c, window.batch, rows.vectorKernelAxis, cols.vectorKernelAxis, window.channels)
                // The adjoint adds every gathered value back (padding dropped) onto a cleared image.
                x.update(repeating: 0, count: imageFloats)
                steerlens_col2im_avx512(c, x, window.batch, rows.vectorKernelAxis, cols.vectorKernelAxis, window.channels)
                XCTAssertTrue((0..<imageFloats).contains { x[$0] > 0 }, "\(window), flush \(flushEnd ? "end" : "start")")
            }
        }
    }

    func testELUStaysInItsValuesAndBias() {
        for (count, features) in [(15, 24), (33, 3), (4_000, 48)] {
            for flushEnd in [true, false] {
                let values = GuardedBytes(count: count * 4, flushEnd: flushEnd), bias = GuardedBytes(count: features * 4, flushEnd: flushEnd)
                let v = values.floats((0..<count).map { Float($0 % 5) - 2 }), b = bias.floats((0..<features).map { Float($0) / 8 })
                for kernel in [steerlens_elu_avx512, steerlens_elu_avx2] {
                    kernel(v, count, features, b, 1)
                    kernel(v, count, features, nil, 1)
                }
                XCTAssertTrue((0..<count).allSatisfy { v[$0].isFinite }, "\(count) floats")
            }
        }
    }
}
