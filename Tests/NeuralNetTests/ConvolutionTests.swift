import SteerLensSupport
import XCTest
@testable import NeuralNet

final class ConvolutionTests: XCTestCase {
    /// Direct (non-im2col) cross-correlation with TensorFlow padding, as an independent oracle.
    func referenceConvolution(_ x: Tensor, kernel: Tensor, bias: Tensor?, strides: (Int, Int), padding: Padding) -> Tensor {
        let (n, h, w, cin) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw, cout) = (kernel.shape[0], kernel.shape[1], kernel.shape[3])
        func axis(_ size: Int, _ k: Int, _ s: Int) -> (Int, Int) {
            switch padding {
            case .valid: return ((size - k) / s + 1, 0)
            case .same:
                let out = (size + s - 1) / s
                return (out, max((out - 1) * s + k - size, 0) / 2)
            }
        }
        let (oh, padTop) = axis(h, kh, strides.0), (ow, padLeft) = axis(w, kw, strides.1)
        var y = Tensor(zeros: [n, oh, ow, cout])
        for b in 0..<n { for i in 0..<oh { for j in 0..<ow { for o in 0..<cout {
            var sum = Double(bias?.scalars[o] ?? 0)
            for dy in 0..<kh { for dx in 0..<kw {
                let r = i * strides.0 - padTop + dy, c = j * strides.1 - padLeft + dx
                guard r >= 0, r < h, c >= 0, c < w else { continue }
                for ci in 0..<cin {
                    sum += Double(x.scalars[((b * h + r) * w + c) * cin + ci]) * Double(kernel.scalars[((dy * kw + dx) * cin + ci) * cout + o])
                }
            } }
            y.scalars[((b * oh + i) * ow + j) * cout + o] = Float(sum)
        } } } }
        return y
    }

    func testKnownSingleChannelValidConvolution() throws {
        // 3x3 input, 2x2 kernel [[1, 2], [3, 4]] (cross-correlation, no flip), bias 0.5.
        let x = Tensor(shape: [1, 3, 3, 1], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let conv = try Conv2D(kernel: Tensor(shape: [2, 2, 1, 1], scalars: [1, 2, 3, 4]), bias: Tensor(shape: [1], scalars: [0.5]))
        // 1·1+2·2+3·4+4·5 = 37, 2+6+15+24 = 47, 4+10+21+32 = 67, 5+12+24+36 = 77.
        assertClose(conv.forward(x), [37.5, 47.5, 67.5, 77.5], shape: [1, 2, 2, 1])
    }

    func testSamePaddingPutsOddExtraRowAndColumnBottomRight() throws {
        let x = Tensor(shape: [1, 4, 4, 1], scalars: (1...16).map(Float.init))
        // 2x2 kernel, stride 1: total padding 1 → 0 before, 1 after. Picking the top-left tap returns x.
        let topLeft = try Conv2D(kernel: Tensor(shape: [2, 2, 1, 1], scalars: [1, 0, 0, 0]), padding: .same)
        assertClose(topLeft.forward(x), x.scalars, shape: [1, 4, 4, 1])
        // The bottom-right tap shifts up-left; the padded last row/column reads zeros.
        let bottomRight = try Conv2D(kernel: Tensor(shape: [2, 2, 1, 1], scalars: [0, 0, 0, 1]), padding: .same)
        assertClose(bottomRight.forward(x), [6, 7, 8, 0, 10, 11, 12, 0, 14, 15, 16, 0, 0, 0, 0, 0])
        // 3x3 kernel, stride 2 on 6 columns: out 3, total padding max(2·2 + 3 − 6, 0) = 1 → 0 left, 1 right.
        let row = Tensor(shape: [1, 1, 6, 1], scalars: [1, 2, 3, 4, 5, 6])
        let centre = try Conv2D(kernel: Tensor(shape: [1, 3, 1, 1], scalars: [0, 1, 0]), strides: (1, 2), padding: .same)
        assertClose(centre.forward(row), [2, 4, 6], shape: [1, 1, 3, 1])
        // 5 columns, stride 2, kernel 3: total padding 2 → 1 each side; centre tap reads columns 0, 2, 4.
        let five = Tensor(shape: [1, 1, 5, 1], scalars: [1, 2, 3, 4, 5])
        assertClose(centre.forward(five), [1, 3, 5], shape: [1, 1, 3, 1])
    }

    func testMatchesDirectConvolutionForManyConfigurations() throws {
        var generator = SeededRandom(seed: 7)
        let cases: [(h: Int, w: Int, cin: Int, cout: Int, kh: Int, kw: Int, s: (Int, Int), padding: Padding, bias: Bool)] = [
            (7, 9, 3, 4, 3, 3, (1, 1), .valid, true),
            (7, 9, 3, 4, 3, 3, (1, 1), .same, false),
            (8, 11, 2, 5, 5, 5, (2, 2), .valid, true),
            (8, 11, 2, 5, 5, 5, (2, 2), .same, true),
            (6, 7, 3, 2, 3, 2, (2, 1), .same, false),
            (5, 5, 4, 3, 1, 1, (1, 1), .valid, true),   // pointwise path
            (5, 5, 4, 3, 1, 1, (2, 2), .same, true),    // strided 1x1 goes through im2col
        ]
        for c in cases {
            let x = randomTensor([2, c.h, c.w, c.cin], using: &generator)
            let kernel = randomTensor([c.kh, c.kw, c.cin, c.cout], using: &generator)
            let bias = c.bias ? randomTensor([c.cout], using: &generator) : nil
            let conv = try Conv2D(kernel: kernel, bias: bias, strides: c.s, padding: c.padding)
            let expected = referenceConvolution(x, kernel: kernel, bias: bias, strides: c.s, padding: c.padding)
            XCTAssertEqual(try conv.outputShape(forInputShape: [c.h, c.w, c.cin]), Array(expected.shape.dropFirst()))
            assertClose(conv.forward(x), expected.scalars, shape: expected.shape, tolerance: 1e-4)
            // Second call with the same shape reuses buffers and gives the same answer.
            assertClose(conv.forward(x), expected.scalars, tolerance: 1e-4)
        }
    }

    func testConvolutionGradientsForEachOption() throws {
        var generator = SeededRandom(seed: 11)
        let options: [(s: (Int, Int), padding: Padding, bias: Bool, activation: ActivationKind, k: Int)] = [
            ((1, 1), .valid, true, .linear, 3),
            ((1, 1), .same, false, .linear, 3),
            ((2, 2), .valid, true, .relu, 5),
            ((2, 2), .same, true, .elu(alpha: 1), 3),
            ((2, 1), .same, false, .tanh, 3),
            ((1, 1), .valid, true, .sigmoid, 1),
            ((1, 1), .same, true, .softplus, 2),
        ]
        for option in options {
            let kernel = randomTensor([option.k, option.k, 3, 4], in: -0.5...0.5, using: &generator)
            let conv = try Conv2D(name: "conv_\(option.padding)_\(option.s)", kernel: kernel,
                                  bias: option.bias ? randomTensor([4], using: &generator) : nil,
                                  strides: option.s, padding: option.padding, activation: option.activation)
            assertGradients(of: conv, inputs: [randomTensor([2, 7, 8, 3], using: &generator)])
        }
    }

    func testRejectsChannelMismatchNamingTheLayer() throws {
        let conv = try Conv2D(name: "conv_a", kernel: Tensor(zeros: [3, 3, 3, 8]))
        XCTAssertThrowsError(try conv.outputShape(forInputShape: [10, 10, 1])) { error in
            XCTAssertTrue("\(error)".contains("conv_a"), "\(error)")
        }
        XCTAssertThrowsError(try conv.outputShape(forInputShape: [2, 10, 3]))
        XCTAssertThrowsError(try Conv2D(name: "b", kernel: Tensor(zeros: [3, 3, 3, 8]), bias: Tensor(zeros: [7])))
    }
}
