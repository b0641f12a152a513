import SteerLensSupport
import XCTest
@testable import NeuralNet

/// The AVX-512 direct convolution of first layers (``VectorKernels/convolve(_:kernel:into:batch:rows:columns:channels:filters:)``)
/// and its input gradient: their exact definitions (fused multiply-add chains in `sgemm`'s order, col2im's
/// order of adds), their agreement with im2col + `sgemm` inside `Conv2D`, and the shapes they take.
final class DirectConvolutionTests: XCTestCase {
    /// A shape: `[batch, height, width, channels]` images, a `kernelHeight × kernelWidth` window with strides.
    private struct Shape: CustomStringConvertible {
        var batch = 1, height: Int, width: Int, channels: Int, filters: Int
        var kernelHeight: Int, kernelWidth: Int, strideY: Int, strideX: Int
        var description: String {
            "\(batch)×\(height)×\(width)×\(channels) → \(filters) filters, \(kernelHeight)×\(kernelWidth) stride \(strideY),\(strideX)"
        }
        var rows: AxisGeometry { AxisGeometry(input: height, kernel: kernelHeight, stride: strideY, padding: .valid)! }
        var columns: AxisGeometry { AxisGeometry(input: width, kernel: kernelWidth, stride: strideX, padding: .valid)! }
    }

    /// Every vector count (1–4 vectors of filters, full and partial), a last vector of 1–8 filters (run
    /// at 256 bits: 5, 8, 17, 24, 36, 40) and of 9–16 (57), every block tail of the output row
    /// (blocks of 24, 12, 8 and 6 pixels), strides 1–3 and channel counts 1–4; PilotNet's first layer; for
    /// the input gradient each window shape held in registers (5×5 and 3×3, RGB and grey, strides 1 and 2)
    /// and others added pixel by pixel.
    private let shapes: [Shape] = [
        Shape(batch: 2, height: 66, width: 200, channels: 3, filters: 24, kernelHeight: 5, kernelWidth: 5, strideY: 2, strideX: 2),
        Shape(height: 9, width: 60, channels: 1, filters: 16, kernelHeight: 3, kernelWidth: 3, strideY: 1, strideX: 1),
        Shape(height: 7, width: 33, channels: 3, filters: 5, kernelHeight: 2, kernelWidth: 4, strideY: 1, strideX: 1),
        Shape(batch: 3, height: 8, width: 41, channels: 4, filters: 17, kernelHeight: 3, kernelWidth: 2, strideY: 2, strideX: 3),
        Shape(height: 6, width: 29, channels: 3, filters: 32, kernelHeight: 1, kernelWidth: 3, strideY: 1, strideX: 2),
        Shape(height: 11, width: 30, channels: 2, filters: 36, kernelHeight: 5, kernelWidth: 3, strideY: 3, strideX: 1),
        Shape(height: 5, width: 16, channels: 3, filters: 48, kernelHeight: 3, kernelWidth: 3, strideY: 1, strideX: 1),
        Shape(batch: 2, height: 5, width: 21, channels: 1, filters: 64, kernelHeight: 2, kernelWidth: 2, strideY: 1, strideX: 1),
        Shape(height: 4, width: 4, channels: 3, filters: 57, kernelHeight: 4, kernelWidth: 4, strideY: 1, strideX: 1),
        Shape(height: 9, width: 40, channels: 3, filters: 24, kernelHeight: 5, kernelWidth: 5, strideY: 1, strideX: 1),
        Shape(height: 12, width: 45, channels: 1, filters: 8, kernelHeight: 5, kernelWidth: 5, strideY: 2, strideX: 2),
        Shape(height: 10, width: 37, channels: 3, filters: 36, kernelHeight: 3, kernelWidth: 3, strideY: 2, strideX: 2),
        Shape(height: 6, width: 27, channels: 3, filters: 40, kernelHeight: 3, kernelWidth: 3, strideY: 1, strideX: 1),
    ]

    /// The definition: `out[n][oh][ow][f]`, one fused multiply-add chain from 0 over `(ky, kx, c)`.
    private func reference(_ x: [Float], _ kernel: [Float], _ shape: Shape) -> [Float] {
        let (rows, columns) = (shape.rows, shape.columns)
        var out: [Float] = []
        for n in 0..<shape.batch {
            for oh in 0..<rows.output {
                for ow in 0..<columns.output {
                    for f in 0..<shape.filters {
                        var sum: Float = 0
                        for ky in 0..<shape.kernelHeight {
                            for kx in 0..<shape.kernelWidth {
                                for c in 0..<shape.channels {
                                    let ih = oh * shape.strideY + ky, iw = ow * shape.strideX + kx
                                    let value = x[((n * shape.height + ih) * shape.width + iw) * shape.channels + c]
                                    sum.addProduct(value, kernel[((ky * shape.kernelWidth + kx) * shape.channels + c) * shape.filters + f])
                                }
                            }
                        }
                        out.append(sum)
                    }
                }
            }
        }
        return out
    }

    func testDirectConvolutionIsItsFusedMultiplyAddChainBitForBit() throws {
        guard VectorKernels.level >= 2 else { throw XCTSkip("this CPU has no AVX-512: Conv2D runs im2col + sgemm here") }
        var generator = SeededRandom(seed: 41)
        for shape in shapes {
            XCTAssertTrue(VectorKernels.convolvesDirectly(rows: shape.rows, columns: shape.columns, channels: shape.channels, filters: shape.filters), "\(shape)")
            let x = uniformValues(shape.batch * shape.height * shape.width * shape.channels, &generator)
            let kernel = uniformValues(shape.kernelHeight * shape.kernelWidth * shape.channels * shape.filters, &generator)
            let expected = reference(x, kernel, shape)
            // NaN where nothing was written.
            assertWrites(expected, over: [Float](repeating: .nan, count: expected.count), "\(shape)") { out in
                VectorKernels.convolve(x, kernel: kernel, into: out, batch: shape.batch,
                                       rows: shape.rows, columns: shape.columns, channels: shape.channels, filters: shape.filters)
            }
        }
    }

    /// `body` writes into a copy of `start` that has 16 sentinel floats on each side: the result must be
    /// `expected` bit for bit, and the sentinels must stay.
    private func assertWrites(_ expected: [Float], over start: [Float], _ context: String, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        var buffer = [Float](repeating: 7, count: 16) + start + [Float](repeating: 7, count: 16)
        buffer.withUnsafeMutableBufferPointer { body($0.baseAddress! + 16) }
        let differing = zip(buffer[16..<(16 + expected.count)], expected).enumerated().first { $0.element.0.bitPattern != $0.element.1.bitPattern }
        XCTAssertNil(differing, "\(context): first differing value (index, direct, reference)")
        XCTAssertEqual(Array(buffer[..<16]) + Array(buffer[(16 + expected.count)...]), [Float](repeating: 7, count: 32), context)
    }

    /// The input gradient's definition: for each output pixel in order and each kernel row, the column
    /// gradients `Σ_f dz[pixel][f] · kernel[t][f]` (one fused multiply-add chain from 0 over f) added onto the window.
    private func referenceGradient(_ dz: [Float], _ kernel: [Float], start: [Float], _ shape: Shape) -> [Float] {
        let (rows, columns) = (shape.rows, shape.columns)
        var dx = start
        for n in 0..<shape.batch {
            for oh in 0..<rows.output {
                for ow in 0..<columns.output {
                    let pixel = ((n * rows.output + oh) * columns.output + ow) * shape.filters
                    for ky in 0..<shape.kernelHeight {
                        for kx in 0..<shape.kernelWidth {
                            for c in 0..<shape.channels {
                                var sum: Float = 0
                                for f in 0..<shape.filters {
                                    sum.addProduct(dz[pixel + f], kernel[((ky * shape.kernelWidth + kx) * shape.channels + c) * shape.filters + f])
                                }
                                let ih = oh * shape.strideY + ky, iw = ow * shape.strideX + kx
                                dx[((n * shape.height + ih) * shape.width + iw) * shape.channels + c] += sum
                            }
                        }
                    }
                }
            }
        }
        return dx
    }

    func testDirectInputGradientIsItsChainAndCol2imOrderBitForBit() throws {
        guard VectorKernels.level >= 2 else { throw XCTSkip("this CPU has no AVX-512: Conv2D runs sgemm + col2im here") }
        var generator = SeededRandom(seed: 47)
        for shape in shapes where shape.kernelWidth * shape.channels <= 16 {
            XCTAssertTrue(VectorKernels.convolvesBackwardDirectly(rows: shape.rows, columns: shape.columns, channels: shape.channels, filters: shape.filters))
            let dz = uniformValues(shape.batch * shape.rows.output * shape.columns.output * shape.filters, &generator)
            let kernel = uniformValues(shape.kernelHeight * shape.kernelWidth * shape.channels * shape.filters, &generator)
            let taps = kernel.count / shape.filters
            let transposed = (0..<kernel.count).map { kernel[($0 % taps) * shape.filters + $0 / taps] }
            // Signed zeros and values already there: the adds must keep the reference's order and operands.
            let start = (0..<(shape.batch * shape.height * shape.width * shape.channels)).map { $0 % 5 == 0 ? -0.0 : Float(generator.uniform(-1, 1)) }
            let expected = referenceGradient(dz, kernel, start: start, shape)
            assertWrites(expected, over: start, "\(shape)") { dx in
                VectorKernels.convolveBackward(dz, transposedKernel: transposed, into: dx, batch: shape.batch,
                                               rows: shape.rows, columns: shape.columns, channels: shape.channels, filters: shape.filters)
            }
        }
        XCTAssertFalse(VectorKernels.convolvesBackwardDirectly(rows: AxisGeometry(input: 20, kernel: 7, stride: 2, padding: .valid)!,
                                                               columns: AxisGeometry(input: 20, kernel: 7, stride: 2, padding: .valid)!,
                                                               channels: 3, filters: 24), "7×7 RGB: 21 taps a kernel row")
    }

    /// Inside `Conv2D` (bias, ELU, chunks on two lanes) the direct path gives im2col + `sgemm`'s values
    /// within a few ulps of the sums (OpenBLAS may order its chain differently on other CPUs or builds).
    func testConv2DDirectPathAgreesWithIm2colAndSGEMM() throws {
        guard VectorKernels.level >= 2 else { throw XCTSkip("this CPU has no AVX-512: Conv2D runs im2col + sgemm here") }
        var generator = SeededRandom(seed: 43)
        for shape in shapes {
            let kernel = Tensor(shape: [shape.kernelHeight, shape.kernelWidth, shape.channels, shape.filters],
                                scalars: uniformValues(shape.kernelHeight * shape.kernelWidth * shape.channels * shape.filters, &generator))
            let bias = Tensor(shape: [shape.filters], scalars: uniformValues(shape.filters, &generator))
            let input = Tensor(shape: [shape.batch + 3, shape.height, shape.width, shape.channels],
                               scalars: uniformValues((shape.batch + 3) * shape.height * shape.width * shape.channels, &generator))
            let direct = try Conv2D(kernel: kernel, bias: bias, strides: (shape.strideY, shape.strideX), activation: .elu(alpha: 1))
            let gemm = try Conv2D(kernel: kernel, bias: bias, strides: (shape.strideY, shape.strideX), activation: .elu(alpha: 1))
            direct.scratchBudget = 4_096  // several chunks per lane
            gemm.allowsDirectConvolution = false
            let (a, b) = (direct.forward(input), gemm.forward(input))
            let window = Float(shape.kernelHeight * shape.kernelWidth * shape.channels)  // |sum| ≤ window terms of |x·w| ≤ 1
            let largest = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(largest, window * 4 * Float.ulpOfOne, "\(shape) forward")
            // The input gradient through the ELU, on several chunks: |dz·w| terms ≤ 1, at most KH·KW windows overlap.
            let dy = Tensor(shape: a.shape, scalars: uniformValues(a.count, &generator))
            let (da, db) = (direct.backward(dy, modifier: nil), gemm.backward(dy, modifier: nil))
            let overlap = Float(shape.kernelHeight * shape.kernelWidth * shape.filters)
            let largestGradient = zip(da.scalars, db.scalars).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(largestGradient, overlap * 4 * Float.ulpOfOne, "\(shape) input gradient")
            XCTAssertTrue(da.scalars.contains { $0 != 0 }, "\(shape)")
        }
    }

    func testOnlyUnpaddedFirstLayersWithAtMost64FiltersConvolveDirectly() throws {
        guard VectorKernels.level >= 2 else { throw XCTSkip("this CPU has no AVX-512: nothing convolves directly") }
        func accepts(_ height: Int, _ width: Int, channels: Int, filters: Int, kernel: Int = 3, stride: Int = 1, padding: Padding = .valid) -> Bool {
            VectorKernels.convolvesDirectly(rows: AxisGeometry(input: height, kernel: kernel, stride: stride, padding: padding)!,
                                            columns: AxisGeometry(input: width, kernel: kernel, stride: stride, padding: padding)!,
                                            channels: channels, filters: filters)
        }
        XCTAssertTrue(accepts(66, 200, channels: 3, filters: 24, kernel: 5, stride: 2))
        XCTAssertTrue(accepts(10, 10, channels: 1, filters: 64))
        XCTAssertFalse(accepts(10, 10, channels: 5, filters: 24), "5 channels: im2col + sgemm")
        XCTAssertFalse(accepts(10, 10, channels: 3, filters: 65), "65 filters: more than 4 vectors")
        XCTAssertFalse(accepts(10, 10, channels: 3, filters: 24, padding: .same), "padding on both sides")
        XCTAssertTrue(accepts(10, 10, channels: 3, filters: 24, kernel: 2, stride: 2, padding: .same), "`same` that adds no padding")
        XCTAssertFalse(accepts(9, 9, channels: 3, filters: 24, kernel: 2, stride: 2, padding: .same), "one column of padding after the last window")
    }
}
