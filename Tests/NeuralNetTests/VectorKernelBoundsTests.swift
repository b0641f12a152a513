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

    /// The direct convolution reads only the images and the kernel and writes only the output, and its
    /// input gradient reads only the output gradient and the kernel and writes only the images, for every
    /// vector count of filters and output rows that end in partial pixel blocks.
    func testDirectConvolutionStaysInTheImagesKernelAndOutput() {
        for (height, width, channels, filters, kernel, stride) in [(66, 200, 3, 24, 5, 2), (7, 30, 1, 16, 3, 1), (6, 19, 4, 33, 2, 3),
                                                                    (5, 14, 3, 48, 3, 1), (4, 11, 2, 64, 2, 1), (3, 3, 3, 7, 3, 1),
                                                                    (9, 40, 3, 24, 5, 1), (12, 45, 1, 8, 5, 2), (10, 37, 3, 36, 3, 2)] {
            let rows = AxisGeometry(input: height, kernel: kernel, stride: stride, padding: .valid)!
            let cols = AxisGeometry(input: width, kernel: kernel, stride: stride, padding: .valid)!
            let batch = 2
            let imageFloats = batch * height * width * channels, kernelFloats = kernel * kernel * channels * filters
            let outputFloats = batch * rows.output * cols.output * filters
            for flushEnd in [true, false] {
                let image = GuardedBytes(count: imageFloats * 4, flushEnd: flushEnd), weights = GuardedBytes(count: kernelFloats * 4, flushEnd: flushEnd)
                let output = GuardedBytes(count: outputFloats * 4, flushEnd: flushEnd)
                let x = image.floats((0..<imageFloats).map { Float($0 % 13) / 13 })
                let w = weights.floats((0..<kernelFloats).map { Float($0 % 7) / 7 })
                let out = output.floats([Float](repeating: -1, count: outputFloats))
                VectorKernels.convolve(x, kernel: w, into: out, batch: batch, rows: rows, columns: cols, channels: channels, filters: filters)
                let context = "\(height)×\(width)×\(channels) → \(filters), flush \(flushEnd ? "end" : "start")"
                XCTAssertTrue((0..<outputFloats).allSatisfy { out[$0] >= 0 }, context)
                // Back again: the output as the gradient onto the zeroed images (the kernel's values as its transpose).
                guard VectorKernels.convolvesBackwardDirectly(rows: rows, columns: cols, channels: channels, filters: filters) else { continue }
                x.update(repeating: 0, count: imageFloats)
                VectorKernels.convolveBackward(out, transposedKernel: w, into: x, batch: batch, rows: rows, columns: cols, channels: channels, filters: filters)
                XCTAssertTrue((0..<imageFloats).contains { x[$0] > 0 }, context)
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
                let gradient = GuardedBytes(count: count * 4, flushEnd: flushEnd)
                let g = gradient.floats((0..<count).map { Float($0 % 3) })
                for kernel in [steerlens_elu_backward_avx512, steerlens_elu_backward_avx2] { kernel(v, g, g, count, 1) }
                withExtendedLifetime(gradient) {}
                XCTAssertTrue((0..<count).allSatisfy { v[$0].isFinite }, "\(count) floats")
            }
        }
    }
}
