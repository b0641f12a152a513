import SteerLensSupport
import XCTest
@testable import NeuralNet

/// The AVX2 / AVX-512 ELU epilogue gives exactly the bits of the portable loop (`x + bias`, then
/// `x > 0 ? x : eluNegativeBranch(x)`), touches nothing past its floats, and handles every tail length
/// and bias period.
final class VectorKernelsTests: XCTestCase {
    /// The portable reference, element by element.
    private func portableELU(_ values: [Float], bias: [Float]?, alpha: Float) -> [Float] {
        values.enumerated().map { index, value in
            let x = bias.map { value + $0[index % $0.count] } ?? value
            return x > 0 ? x : ActivationKind.eluNegativeBranch(x, alpha: alpha)
        }
    }

    /// Bit patterns, with every NaN as one pattern (payloads may differ between instruction sets).
    private func bits(_ values: [Float]) -> [UInt32] { values.map { $0.isNaN ? 0x7FC0_0000 : $0.bitPattern } }

    /// Uniform values in [−40, 10) with every third one from a list of edge cases (NaN, infinities, signed
    /// zeros, subnormals, the clamp at −30, the rounding boundary of n near −ln 2 / 2).
    private func inputs(count: Int, seed: UInt64) -> [Float] {
        var generator = SeededRandom(seed: seed)
        let special: [Float] = [.nan, -.nan, .infinity, -.infinity, 0, -0.0, -30, -30.000_002, -29.999_998, -87.5, -1e-40,
                                1e-40, -.leastNonzeroMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, -0.346_57, -0.346_58]
        return (0..<count).map { index in
            index % 3 == 0 ? special[index / 3 % special.count] : Float(generator.uniform(-40, 10))
        }
    }

    /// Runs a gradient kernel `kernel(dy, dx)` over `dy.count` floats twice, from a separate `dy` and in place
    /// over it, into a buffer with sentinels on both sides: it must return true, write `expected` (bit for
    /// bit) and touch nothing beside `dx`.
    private func checkGradientKernel(dy: [Float], expected: [Float], context: String,
                                     _ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Bool) {
        let count = dy.count
        for inPlace in [false, true] {
            var buffer = [Float](repeating: 12_345, count: count + 64)
            if inPlace { buffer.replaceSubrange(32..<(32 + count), with: dy) }
            let applied = dy.withUnsafeBufferPointer { dy in
                buffer.withUnsafeMutableBufferPointer { buffer in
                    kernel(inPlace ? UnsafePointer(buffer.baseAddress! + 32) : dy.baseAddress!, buffer.baseAddress! + 32)
                }
            }
            XCTAssertTrue(applied)
            let context = context + ", in place \(inPlace)"
            XCTAssertEqual(bits(Array(buffer[32..<(32 + count)])), bits(expected), context)
            XCTAssertEqual(Array(buffer[..<32]) + Array(buffer[(32 + count)...]), [Float](repeating: 12_345, count: 64), context)
        }
    }

    func testVectorELUMatchesThePortableLoopBitForBit() throws {
        guard VectorKernels.level > 0 else { throw XCTSkip("this CPU has no AVX2: only the portable loop runs here") }
        for level in 1...VectorKernels.level {
            for (count, features) in [(1, 1), (7, 7), (8, 3), (15, 24), (16, 16), (17, 5), (31, 36), (100, 24), (333, 36), (4_000, 48), (777, 1)] {
                for withBias in [false, true] {
                    let values = inputs(count: count, seed: UInt64(count * 31 + features)), alpha: Float = level == 1 ? 1 : 1.7
                    let bias = withBias ? inputs(count: features, seed: UInt64(features)).map { $0.isFinite ? $0 / 4 : 0.5 } : nil
                    // Sentinels on both sides of the floats the kernel may touch.
                    var buffer = [Float](repeating: 12_345, count: count + 64)
                    buffer.replaceSubrange(32..<(32 + count), with: values)
                    let applied = buffer.withUnsafeMutableBufferPointer { buffer in
                        (bias ?? []).withUnsafeBufferPointer { bias in
                            VectorKernels.elu(buffer.baseAddress! + 32, count: count, bias: withBias ? bias.baseAddress : nil,
                                              featureCount: features, alpha: alpha, level: level)
                        }
                    }
                    XCTAssertTrue(applied)
                    let context = "level \(level), \(count) floats of \(features) features, bias \(withBias)"
                    XCTAssertEqual(bits(Array(buffer[32..<(32 + count)])), bits(portableELU(values, bias: bias, alpha: alpha)), context)
                    XCTAssertEqual(Array(buffer[..<32]) + Array(buffer[(32 + count)...]), [Float](repeating: 12_345, count: 64), context)
                }
            }
        }
    }

    /// ELU's derivative from its output (`y > 0 ? dy : dy·(y + α)`) through the AVX2 and AVX-512 kernels
    /// equals the portable loop bit for bit at every tail length, with NaN, ±∞, signed zeros and
    /// subnormals in both `y` and `dy`, written in place over `dy` too, touching nothing beside `dx`.
    func testVectorELUBackwardMatchesThePortableLoopBitForBit() throws {
        guard VectorKernels.level > 0 else { throw XCTSkip("this CPU has no AVX2: only the portable loop runs here") }
        for level in 1...VectorKernels.level {
            for count in [1, 7, 8, 9, 15, 16, 17, 31, 100, 777] {
                let y = inputs(count: count, seed: UInt64(count)), dy = inputs(count: count, seed: UInt64(count + 1_000)).reversed().map { $0 }
                let alpha: Float = level == 1 ? 1 : 1.7
                let expected = zip(y, dy).map { v, g in v > 0 ? g : g * (v + alpha) }
                y.withUnsafeBufferPointer { y in
                    checkGradientKernel(dy: dy, expected: expected, context: "level \(level), \(count) floats") { dy, dx in
                        VectorKernels.eluBackward(output: y.baseAddress!, outputGradient: dy, inputGradient: dx, count: count, alpha: alpha, level: level)
                    }
                }
            }
        }
    }

    /// The stand-alone ELU layer's derivative from its input (`x > 0 ? dy : dy·αeˣ`) through the AVX-512
    /// kernel equals the portable loop bit for bit at every tail length, the clamp at −87 and the edge
    /// cases of ``inputs(count:seed:)`` included, in place over `dy` too, touching nothing beside `dx`;
    /// and the layer's backward takes that path.
    func testVectorELUInputBackwardMatchesThePortableLoopBitForBit() throws {
        guard VectorKernels.level >= 2 else { throw XCTSkip("this CPU has no AVX-512: only the portable loop runs here") }
        for count in [1, 7, 15, 16, 17, 31, 100, 777] {
            var x = inputs(count: count, seed: UInt64(count + 7))
            for (index, value) in [-87, -87.000_01, -86.999_99, -100].enumerated() where 3 * index + 1 < count { x[3 * index + 1] = Float(value) }
            let dy = inputs(count: count, seed: UInt64(count + 2_000)).reversed().map { $0 }
            let alpha: Float = 0.7
            let expected = zip(x, dy).map { v, g in v > 0 ? g : g * ActivationKind.eluDerivativeNegativeBranch(v, alpha: alpha) }
            x.withUnsafeBufferPointer { x in
                checkGradientKernel(dy: dy, expected: expected, context: "\(count) floats") { dy, dx in
                    VectorKernels.eluInputBackward(input: x.baseAddress!, outputGradient: dy, inputGradient: dx, count: count, alpha: alpha)
                }
            }
        }
        let layer = ELU(alpha: 0.7)
        let input = Tensor(shape: [2, 5, 7, 3], scalars: inputs(count: 210, seed: 99).map { $0.isFinite ? $0 : -1 })
        _ = layer.forward(input)
        let gradient = Tensor(shape: input.shape, scalars: (0..<210).map { Float($0 % 11) / 5 - 1 })
        let expected = zip(input.scalars, gradient.scalars).map { v, g in v > 0 ? g : g * ActivationKind.eluDerivativeNegativeBranch(v, alpha: 0.7) }
        XCTAssertEqual(bits(layer.backward(gradient, modifier: nil).scalars), bits(expected))
    }

    /// The layer-level switch: a Conv2D with a fused ELU gives the portable results through the kernels.
    func testFusedELUConvolutionUsesTheKernelsWithTheSameResult() throws {
        let kernel = Tensor(shape: [3, 3, 3, 36], scalars: (0..<(3 * 3 * 3 * 36)).map { Float(($0 * 37) % 29) / 29 - 0.5 })
        let bias = Tensor(shape: [36], scalars: (0..<36).map { Float($0 % 7) / 7 - 0.4 })
        let layer = try Conv2D(kernel: kernel, bias: bias, strides: (2, 2), activation: .elu(alpha: 1))
        let linear = try Conv2D(kernel: kernel, bias: bias, strides: (2, 2), activation: .linear)
        let input = Tensor(shape: [2, 9, 11, 3], scalars: (0..<(2 * 9 * 11 * 3)).map { Float(($0 * 13) % 17) / 8 - 1 })
        let expected = portableELU(linear.forward(input).scalars, bias: nil, alpha: 1)
        XCTAssertEqual(bits(layer.forward(input).scalars), bits(expected))
    }

    /// The AVX-512 im2col writes exactly the portable one's columns for every ``convolutionWindows()`` case,
    /// and nothing outside the column buffer; the input is read in place.
    func testAVX512Im2colMatchesThePortableOne() throws {
        guard VectorKernels.level >= 2 else { throw XCTSkip("this CPU has no AVX-512: only the portable im2col runs here") }
        var generator = SeededRandom(seed: 20)
        for (item, rows, columns) in try convolutionWindows() {
            let input = (0..<(item.batch * item.height * item.width * item.channels)).map { _ in Float(generator.uniform(-1, 1)) }
            let count = item.batch * rows.output * columns.output * item.kernel * item.kernel * item.channels
            var expected = [Float](repeating: .nan, count: count), actual = [Float](repeating: 7, count: count + 32)
            input.withUnsafeBufferPointer { x in
                expected.withUnsafeMutableBufferPointer {
                    Conv2D.portableIm2col(x.baseAddress!, into: $0.baseAddress!, batch: item.batch, rows: rows, columns: columns, channels: item.channels)
                }
                actual.withUnsafeMutableBufferPointer {
                    XCTAssertTrue(VectorKernels.im2col(x.baseAddress!, into: $0.baseAddress! + 16, batch: item.batch, rows: rows, columns: columns, channels: item.channels))
                }
            }
            let context = "\(item)"
            XCTAssertEqual(Array(actual[16..<(16 + count)]), expected, context)
            XCTAssertEqual(Array(actual[..<16]) + Array(actual[(16 + count)...]), [Float](repeating: 7, count: 32), context)
        }
    }

    /// The AVX-512 col2im adds exactly the portable one's sums onto an image that already holds values
    /// (signed zeros included), for every ``convolutionWindows()`` case, and leaves the floats around the images alone.
    func testAVX512Col2imMatchesThePortableOne() throws {
        guard VectorKernels.level >= 2 else { throw XCTSkip("this CPU has no AVX-512: only the portable col2im runs here") }
        var generator = SeededRandom(seed: 22)
        for (item, rows, columns) in try convolutionWindows() {
            let count = item.batch * rows.output * columns.output * item.kernel * item.kernel * item.channels
            let gradient = (0..<count).map { index in index % 11 == 0 ? -0.0 : Float(generator.uniform(-1, 1)) }
            let imageCount = item.batch * item.height * item.width * item.channels
            let start = (0..<imageCount).map { index in index % 7 == 0 ? -0.0 : Float(generator.uniform(-1, 1)) }
            var expected = start, actual = [Float](repeating: 7, count: 16) + start + [Float](repeating: 7, count: 16)
            gradient.withUnsafeBufferPointer { g in
                expected.withUnsafeMutableBufferPointer {
                    Conv2D.portableCol2im(g.baseAddress!, into: $0.baseAddress!, batch: item.batch, rows: rows, columns: columns, channels: item.channels)
                }
                actual.withUnsafeMutableBufferPointer {
                    XCTAssertTrue(VectorKernels.col2im(g.baseAddress!, into: $0.baseAddress! + 16, batch: item.batch, rows: rows, columns: columns, channels: item.channels))
                }
            }
            let context = "\(item)"
            let differing = zip(bits(Array(actual[16..<(16 + imageCount)])), bits(expected)).enumerated().first { $0.element.0 != $0.element.1 }
            XCTAssertNil(differing, "\(context): first differing float")
            XCTAssertNotEqual(expected, start, context)
            XCTAssertEqual(Array(actual[..<16]) + Array(actual[(16 + imageCount)...]), [Float](repeating: 7, count: 32), context)
        }
    }
}
