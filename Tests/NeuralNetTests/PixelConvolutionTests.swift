import SteerLensSupport
import TestSupport
import XCTest
@testable import NeuralNet

/// The pixel-vectorised convolution (``PixelConvolution``): its definition (`sgemm`'s FMA chains cut into
/// OpenBLAS's depth blocks), its agreement with im2col + `sgemm` inside `Conv2D`, the shapes it takes,
/// and its buffers.
final class PixelConvolutionTests: XCTestCase {
    private struct Shape: CustomStringConvertible {
        var batch = 1, height: Int, width: Int, channels: Int, filters: Int
        var kernelHeight: Int, kernelWidth: Int, strideY: Int, strideX: Int
        var padding = Padding.valid
        var description: String {
            "\(batch)×\(height)×\(width)×\(channels) → \(filters) filters, \(kernelHeight)×\(kernelWidth) stride \(strideY),\(strideX) \(padding)"
        }
        var rows: AxisGeometry { AxisGeometry(input: height, kernel: kernelHeight, stride: strideY, padding: padding)! }
        var columns: AxisGeometry { AxisGeometry(input: width, kernel: kernelWidth, stride: strideX, padding: padding)! }
        var taps: Int { kernelHeight * kernelWidth * channels }
    }

    /// PilotNet's second layer on 6 of its 14 output rows (two depth blocks); a depth of 1,008 (three blocks); every filter tile (9,
    /// 8, 6, 4); output rows of 1, 2 and 3 vectors and their tails (13, 26, 47, 49 pixels); strides 1–3;
    /// `same` padding on every side.
    private let shapes: [Shape] = [
        Shape(height: 15, width: 98, channels: 24, filters: 36, kernelHeight: 5, kernelWidth: 5, strideY: 2, strideX: 2),
        Shape(height: 5, width: 28, channels: 112, filters: 16, kernelHeight: 3, kernelWidth: 3, strideY: 1, strideX: 1),
        Shape(height: 6, width: 15, channels: 5, filters: 12, kernelHeight: 3, kernelWidth: 3, strideY: 1, strideX: 1),
        Shape(batch: 3, height: 7, width: 49, channels: 7, filters: 20, kernelHeight: 2, kernelWidth: 1, strideY: 3, strideX: 1),
        Shape(height: 9, width: 26, channels: 6, filters: 18, kernelHeight: 3, kernelWidth: 3, strideY: 2, strideX: 1, padding: .same),
        Shape(height: 8, width: 147, channels: 8, filters: 8, kernelHeight: 5, kernelWidth: 4, strideY: 1, strideX: 3, padding: .same),
    ]

    /// The definition: per value, an FMA chain from 0 over the taps `(ky, kx, c)` of each of OpenBLAS's
    /// depth blocks, the blocks' sums added in order; padding reads 0.
    private func reference(_ x: [Float], _ kernel: [Float], _ shape: Shape) -> [Float] {
        let (rows, columns) = (shape.rows, shape.columns)
        let blocks = BLAS.depthBlockEnds(shape.taps)
        var out: [Float] = []
        for n in 0..<shape.batch {
            for oh in 0..<rows.output {
                for ow in 0..<columns.output {
                    for f in 0..<shape.filters {
                        var total: Float = 0, sum: Float = 0, tap = 0
                        for ky in 0..<shape.kernelHeight {
                            for kx in 0..<shape.kernelWidth {
                                for c in 0..<shape.channels {
                                    let ih = oh * shape.strideY + ky - rows.padBefore, iw = ow * shape.strideX + kx - columns.padBefore
                                    let inside = (0..<shape.height).contains(ih) && (0..<shape.width).contains(iw)
                                    let value = inside ? x[((n * shape.height + ih) * shape.width + iw) * shape.channels + c] : 0
                                    sum.addProduct(value, kernel[tap * shape.filters + f])
                                    tap += 1
                                    if let block = blocks.firstIndex(of: tap) {
                                        total = block == 0 ? sum : total + sum
                                        sum = 0
                                    }
                                }
                            }
                        }
                        out.append(total)
                    }
                }
            }
        }
        return out
    }

    private func plan(_ shape: Shape, _ kernel: [Float]) -> PixelConvolution? {
        PixelConvolution(rows: shape.rows, columns: shape.columns,
                         kernel: Tensor(shape: [shape.kernelHeight, shape.kernelWidth, shape.channels, shape.filters], scalars: kernel))
    }

    func testPixelConvolutionIsSGEMMsChainInOpenBLASDepthBlocksBitForBit() throws {
        guard VectorKernels.level >= 2 else { throw XCTSkip("this CPU has no AVX-512: Conv2D runs im2col + sgemm here") }
        var generator = SeededRandom(seed: 53)
        for shape in shapes {
            let x = uniformValues(shape.batch * shape.height * shape.width * shape.channels, &generator)
            let kernel = uniformValues(shape.taps * shape.filters, &generator)
            let convolution = try XCTUnwrap(plan(shape, kernel), "\(shape)")
            let expected = reference(x, kernel, shape)
            // NaN planes and output: every plane float the sums read must be written first.
            var planes = [Float](repeating: .nan, count: shape.batch * convolution.itemFloats)
            var out = [Float](repeating: 7, count: 16) + [Float](repeating: .nan, count: expected.count) + [Float](repeating: 7, count: 16)
            planes.withUnsafeMutableBufferPointer { planes in
                out.withUnsafeMutableBufferPointer { convolution.run(x, into: $0.baseAddress! + 16, batch: shape.batch, planes: planes.baseAddress!) }
            }
            let differing = zip(out[16..<(16 + expected.count)], expected).enumerated().first { $0.element.0.bitPattern != $0.element.1.bitPattern }
            XCTAssertNil(differing, "\(shape): first differing value (index, pixel path, reference)")
            XCTAssertEqual(Array(out[..<16]) + Array(out[(16 + expected.count)...]), [Float](repeating: 7, count: 32), "\(shape)")
        }
    }

    func testDepthBlocksFollowOpenBLASsLevel3Driver() {
        XCTAssertEqual(BLAS.depthBlockEnds(75), [75])
        XCTAssertEqual(BLAS.depthBlockEnds(448), [448])
        XCTAssertEqual(BLAS.depthBlockEnds(449), [224, 449], "over Q: half, rounded up to 16")
        XCTAssertEqual(BLAS.depthBlockEnds(600), [304, 600], "PilotNet's second layer")
        XCTAssertEqual(BLAS.depthBlockEnds(896), [448, 896], "2·Q: Q, then Q")
        XCTAssertEqual(BLAS.depthBlockEnds(1152), [448, 800, 1152], "PilotNet's first dense layer")
    }

    /// Inside `Conv2D` (bias, ELU, several chunks on two lanes) the pixel path gives im2col + `sgemm`'s
    /// values within rounding of the sums, and their bits for PilotNet's second layer where OpenBLAS runs
    /// the SkylakeX kernels whose depth blocks it repeats.
    func testConv2DPixelPathAgreesWithIm2colAndSGEMM() throws {
        guard VectorKernels.level >= 2 else { throw XCTSkip("this CPU has no AVX-512: Conv2D runs im2col + sgemm here") }
        var generator = SeededRandom(seed: 59)
        for shape in shapes {
            let kernel = Tensor(shape: [shape.kernelHeight, shape.kernelWidth, shape.channels, shape.filters], scalars: uniformValues(shape.taps * shape.filters, &generator))
            let bias = Tensor(shape: [shape.filters], scalars: uniformValues(shape.filters, &generator))
            let input = Tensor(shape: [shape.batch + 3, shape.height, shape.width, shape.channels],
                               scalars: uniformValues((shape.batch + 3) * shape.height * shape.width * shape.channels, &generator))
            let byPixels = try Conv2D(kernel: kernel, bias: bias, strides: (shape.strideY, shape.strideX), padding: shape.padding, activation: .elu(alpha: 1))
            let gemm = try Conv2D(kernel: kernel, bias: bias, strides: (shape.strideY, shape.strideX), padding: shape.padding, activation: .elu(alpha: 1))
            byPixels.scratchBudget = 4_096  // several chunks per lane
            byPixels.allowsWinograd = false  // PilotNet's layer and the 3×3 stride-1 ones would sum by Winograd
            gemm.allowsDirectConvolution = false
            let calls = BLAS.recordingCalls { _ = byPixels.forward(input) }
            XCTAssertTrue(calls.isEmpty, "\(shape): the forward pass calls no sgemm")
            let (a, b) = (byPixels.forward(input), gemm.forward(input))
            let largest = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(largest, Float(shape.taps) * 4 * Float.ulpOfOne, "\(shape)")
            // OpenBLAS's small-matrix kernels (small M·N·K) sum in another order; PilotNet's layer takes its
            // level-3 driver, whose depth blocks the pixel path repeats.
            if BLAS.coreName == "SkylakeX", shape.channels == 24, shape.filters == 36 {
                XCTAssertNil(a.scalars.indices.first { a.scalars[$0].bitPattern != b.scalars[$0].bitPattern }, "\(shape): first value whose bits differ")
            }
        }
    }

    func testPlansOnlyShapesThatFillTheLanes() throws {
        func accepts(width: Int, filters: Int, channels: Int = 24, level: Int = 2) -> Bool {
            let kernel = Tensor(shape: [3, 3, channels, filters], scalars: [Float](repeating: 0, count: 9 * channels * filters))
            return PixelConvolution(rows: AxisGeometry(input: 10, kernel: 3, stride: 1, padding: .valid)!,
                                    columns: AxisGeometry(input: width, kernel: 3, stride: 1, padding: .valid)!, kernel: kernel, level: level) != nil
        }
        guard VectorKernels.level >= 2 else { throw XCTSkip("this CPU has no AVX-512") }
        XCTAssertTrue(accepts(width: 49, filters: 36), "47 pixels a row: 98 % of 3 vectors")
        XCTAssertTrue(accepts(width: 14, filters: 36), "12 pixels: 75 %")
        XCTAssertFalse(accepts(width: 13, filters: 36), "11 pixels: 69 % of a vector")
        XCTAssertFalse(accepts(width: 24, filters: 64), "22 pixels (PilotNet's third layer): 69 % of two vectors")
        XCTAssertFalse(accepts(width: 49, filters: 35), "35 filters: no tile of 9, 8, 6 or 4")
        XCTAssertFalse(accepts(width: 49, filters: 36, level: 1), "AVX2 only")
        let tile = { (filters: Int) in
            PixelConvolution(rows: AxisGeometry(input: 3, kernel: 3, stride: 1, padding: .valid)!,
                             columns: AxisGeometry(input: 18, kernel: 3, stride: 1, padding: .valid)!,
                             kernel: Tensor(shape: [3, 3, 1, filters], scalars: [Float](repeating: 0, count: 9 * filters)))?.filterTile
        }
        XCTAssertEqual([36, 24, 64, 12, 20].map(tile), [9, 8, 8, 6, 4])
    }

    /// The planar copy reads only the input and writes only its planes, and the sums read only the planes
    /// and the packed kernel: input and planes flush against inaccessible pages on either side.
    func testPixelConvolutionStaysInItsBuffers() throws {
        guard VectorKernels.level >= 2 else { throw XCTSkip("this CPU has no AVX-512") }
        var generator = SeededRandom(seed: 61)
        for shape in shapes {
            let inputFloats = shape.batch * shape.height * shape.width * shape.channels
            let x = uniformValues(inputFloats, &generator)
            let convolution = try XCTUnwrap(plan(shape, uniformValues(shape.taps * shape.filters, &generator)))
            let outputFloats = shape.batch * shape.rows.output * shape.columns.output * shape.filters
            for flushEnd in [true, false] {
                let image = GuardedBytes(count: inputFloats * 4, flushEnd: flushEnd)
                let planes = GuardedBytes(count: shape.batch * convolution.itemFloats * 4, flushEnd: flushEnd)
                let output = GuardedBytes(count: outputFloats * 4, flushEnd: flushEnd)
                convolution.run(image.floats(x), into: output.pointer.bindMemory(to: Float.self, capacity: outputFloats), batch: shape.batch,
                                planes: planes.pointer.bindMemory(to: Float.self, capacity: shape.batch * convolution.itemFloats))
            }
        }
    }
}
