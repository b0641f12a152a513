import SteerLensSupport
import TestSupport
import XCTest
@testable import NeuralNet

/// Winograd F(4×4, 3×3) (``WinogradConvolution``): its sums against exact ones, the shapes it takes, its
/// agreement with the other paths inside `Conv2D`, its independence from the batch, and its buffers.
final class WinogradConvolutionTests: XCTestCase {
    private struct Shape: CustomStringConvertible {
        var batch: Int, height: Int, width: Int, channels: Int, filters: Int
        var kernel: (height: Int, width: Int), stride: (y: Int, x: Int)
        var padding: Padding
        init(batch: Int = 1, height: Int, width: Int, channels: Int, filters: Int, kernel: (Int, Int), stride: (Int, Int), padding: Padding = .valid) {
            (self.batch, self.height, self.width, self.channels, self.filters) = (batch, height, width, channels, filters)
            (self.kernel, self.stride, self.padding) = (kernel, stride, padding)
        }
        var description: String {
            "\(batch)×\(height)×\(width)×\(channels) → \(filters) filters, \(kernel.height)×\(kernel.width) stride \(stride.y),\(stride.x) \(padding)"
        }
        var rows: AxisGeometry { AxisGeometry(input: height, kernel: kernel.height, stride: stride.y, padding: padding)! }
        var columns: AxisGeometry { AxisGeometry(input: width, kernel: kernel.width, stride: stride.x, padding: padding)! }
        var kernelShape: [Int] { [kernel.height, kernel.width, channels, filters] }
        var kernelFloats: Int { kernel.height * kernel.width * channels * filters }
        var outputFloats: Int { batch * rows.output * columns.output * filters }
    }

    /// PilotNet's second, third and fourth layers; 6×6 stride 2; kernels and strides that differ by axis;
    /// `same` padding (edge tiles on every side); channel counts with tails of 8, 4 and single channels;
    /// filter counts in one to three groups with every tail (FP 4, 8, 12, 20, 44 (the 4-tile block), 100);
    /// batches whose tiles end mid-pass.
    private let shapes: [Shape] = [
        Shape(batch: 2, height: 31, width: 98, channels: 24, filters: 36, kernel: (5, 5), stride: (2, 2)),
        Shape(batch: 3, height: 14, width: 47, channels: 36, filters: 48, kernel: (5, 5), stride: (2, 2)),
        Shape(height: 5, width: 22, channels: 48, filters: 64, kernel: (3, 3), stride: (1, 1)),
        Shape(batch: 2, height: 17, width: 19, channels: 5, filters: 7, kernel: (6, 6), stride: (2, 2), padding: .same),
        Shape(height: 9, width: 40, channels: 12, filters: 20, kernel: (3, 5), stride: (1, 2), padding: .same),
        Shape(batch: 2, height: 20, width: 12, channels: 6, filters: 8, kernel: (6, 3), stride: (2, 1)),
        Shape(height: 13, width: 21, channels: 19, filters: 10, kernel: (3, 3), stride: (1, 1), padding: .same),
        Shape(height: 9, width: 30, channels: 3, filters: 44, kernel: (3, 3), stride: (1, 1)),
        Shape(batch: 2, height: 12, width: 11, channels: 28, filters: 100, kernel: (5, 5), stride: (2, 2), padding: .same),
        Shape(height: 8, width: 8, channels: 1, filters: 1, kernel: (3, 3), stride: (1, 1)),
    ]

        /// Exact sums (in `Double`) and the sums of the products' magnitudes, output order; padding reads 0.
    private func reference(_ x: [Float], _ kernel: [Float], _ shape: Shape) -> (sums: [Double], magnitudes: [Double]) {
        let (rows, columns) = (shape.rows, shape.columns)
        var sums: [Double] = [], magnitudes: [Double] = []
        for n in 0..<shape.batch {
            for oh in 0..<rows.output {
                for ow in 0..<columns.output {
                    for f in 0..<shape.filters {
                        var sum = 0.0, magnitude = 0.0
                        for ky in 0..<shape.kernel.height {
                            for kx in 0..<shape.kernel.width {
                                let ih = oh * shape.stride.y + ky - rows.padBefore, iw = ow * shape.stride.x + kx - columns.padBefore
                                guard (0..<shape.height).contains(ih), (0..<shape.width).contains(iw) else { continue }
                                for c in 0..<shape.channels {
                                    let product = Double(x[((n * shape.height + ih) * shape.width + iw) * shape.channels + c])
                                        * Double(kernel[((ky * shape.kernel.width + kx) * shape.channels + c) * shape.filters + f])
                                    sum += product
                                    magnitude += abs(product)
                                }
                            }
                        }
                        sums.append(sum)
                        magnitudes.append(magnitude)
                    }
                }
            }
        }
        return (sums, magnitudes)
    }

    private func plan(_ shape: Shape, _ kernel: [Float]) -> WinogradConvolution? {
        WinogradConvolution(rows: shape.rows, columns: shape.columns,
                            kernel: Tensor(shape: shape.kernelShape, scalars: kernel))
    }

    /// Every output within 64 units of rounding of its products' magnitudes (the transforms' constants reach
    /// 8 and their sums a few dozen terms; measured up to 17), the whole output written, and no scratch read
    /// before it was written (the scratch starts as NaN).
    func testSumsAreWithinRoundingOfExactSums() throws {
        guard VectorKernels.level >= 2 else { throw XCTSkip("this CPU has no AVX-512: Conv2D sums without Winograd here") }
        var generator = SeededRandom(seed: 83)
        for shape in shapes {
            let x = uniformValues(shape.batch * shape.height * shape.width * shape.channels, &generator)
            let kernel = uniformValues(shape.kernelFloats, &generator)
            let convolution = try XCTUnwrap(plan(shape, kernel), "\(shape)")
            var out = [Float](repeating: .nan, count: shape.outputFloats)
            var scratch = [Float](repeating: .nan, count: convolution.scratchFloats)
            x.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { output in
                    scratch.withUnsafeMutableBufferPointer {
                        convolution.run(input.baseAddress!, into: output.baseAddress!, batch: shape.batch, scratch: $0.baseAddress!)
                    }
                }
            }
            let (sums, magnitudes) = reference(x, kernel, shape)
            let worst = out.indices.map { abs(Double(out[$0]) - sums[$0]) / max(magnitudes[$0], .leastNormalMagnitude) }.max() ?? .nan
            XCTAssertLessThanOrEqual(worst, 64 * Double(Float.ulpOfOne), "\(shape): worst error in units of the magnitudes")
        }
    }

    func testTakesShapesWhereItSavesMultiplies() throws {
        func accepts(_ height: Int, _ width: Int, kernel: Int, stride: Int, channels: Int = 24, level: Int = 2) -> Bool {
            WinogradConvolution(rows: AxisGeometry(input: height, kernel: kernel, stride: stride, padding: .valid)!,
                                columns: AxisGeometry(input: width, kernel: kernel, stride: stride, padding: .valid)!,
                                kernel: Tensor(shape: [kernel, kernel, channels, 8],
                                               scalars: [Float](repeating: 0, count: kernel * kernel * channels * 8)),
                                level: level) != nil
        }
        XCTAssertTrue(accepts(31, 98, kernel: 5, stride: 2), "PilotNet's second layer: 42 % of the multiplies")
        XCTAssertTrue(accepts(14, 47, kernel: 5, stride: 2), "its third: 63 %")
        XCTAssertTrue(accepts(5, 22, kernel: 3, stride: 1), "its fourth: 33 %")
        XCTAssertFalse(accepts(3, 20, kernel: 3, stride: 1), "its fifth, one row of 18 pixels: 111 %")
        XCTAssertTrue(accepts(20, 20, kernel: 6, stride: 2), "6×6 stride 2: no zero taps")
        XCTAssertFalse(accepts(20, 20, kernel: 3, stride: 2), "3×3 stride 2: mostly zero taps")
        XCTAssertFalse(accepts(20, 20, kernel: 5, stride: 1), "5×5 stride 1")
        XCTAssertFalse(accepts(31, 98, kernel: 5, stride: 2, level: 1), "AVX2 only")
    }

    /// Inside `Conv2D` (bias, ELU, several chunks on two lanes): within rounding of im2col + `sgemm`, no
    /// `sgemm` call, and each image's outputs the same bits alone as in a batch.
    func testConv2DWinogradPathAgreesWithSGEMMAndIgnoresTheBatch() throws {
        guard VectorKernels.level >= 2 else { throw XCTSkip("this CPU has no AVX-512") }
        var generator = SeededRandom(seed: 89)
        for shape in shapes {
            let kernel = Tensor(shape: shape.kernelShape, scalars: uniformValues(shape.kernelFloats, &generator))
            let bias = Tensor(shape: [shape.filters], scalars: uniformValues(shape.filters, &generator))
            let items = shape.batch + 3
            let imageFloats = shape.height * shape.width * shape.channels
            let input = Tensor(shape: [items, shape.height, shape.width, shape.channels], scalars: uniformValues(items * imageFloats, &generator))
            let layer = { try Conv2D(kernel: kernel, bias: bias, strides: shape.stride, padding: shape.padding, activation: .elu(alpha: 1)) }
            let (winograd, gemm) = (try layer(), try layer())
            winograd.scratchBudget = 4_096  // several chunks per lane
            gemm.allowsDirectConvolution = false
            let calls = BLAS.recordingCalls { _ = winograd.forward(input) }
            XCTAssertTrue(calls.isEmpty, "\(shape): the forward pass calls no sgemm")
            let (a, b) = (winograd.forward(input).scalars, gemm.forward(input).scalars)
            let taps = Float(shape.kernel.height * shape.kernel.width * shape.channels)
            let largest = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(largest, taps * 32 * Float.ulpOfOne, "\(shape)")
            let outputFloats = a.count / items
            let last = Tensor(shape: [1, shape.height, shape.width, shape.channels], scalars: Array(input.scalars[((items - 1) * imageFloats)...]))
            let alone = winograd.forward(last).scalars
            XCTAssertEqual(alone.map(\.bitPattern), a[((items - 1) * outputFloats)...].map(\.bitPattern), "\(shape): the last image alone")
        }
    }

    /// The transforms read only the input and write only the output and the scratch: each flush against
    /// inaccessible pages on either side.
    func testWinogradConvolutionStaysInItsBuffers() throws {
        guard VectorKernels.level >= 2 else { throw XCTSkip("this CPU has no AVX-512") }
        var generator = SeededRandom(seed: 97)
        for shape in shapes {
            let inputFloats = shape.batch * shape.height * shape.width * shape.channels
            let x = uniformValues(inputFloats, &generator)
            let convolution = try XCTUnwrap(plan(shape, uniformValues(shape.kernelFloats, &generator)))
            for flushEnd in [true, false] {
                let image = GuardedBytes(count: inputFloats * 4, flushEnd: flushEnd)
                let scratch = GuardedBytes(count: convolution.scratchFloats * 4, flushEnd: flushEnd)
                let output = GuardedBytes(count: shape.outputFloats * 4, flushEnd: flushEnd)
                convolution.run(image.floats(x), into: output.pointer.bindMemory(to: Float.self, capacity: shape.outputFloats), batch: shape.batch,
                                scratch: scratch.pointer.bindMemory(to: Float.self, capacity: convolution.scratchFloats))
            }
        }
    }
}
