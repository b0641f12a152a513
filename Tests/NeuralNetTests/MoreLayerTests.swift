import SteerLensSupport
import XCTest
@testable import NeuralNet

/// Hand-computed forwards and finite-difference gradients of the layers added for issue 12
/// (TensorFlow parity is in ModelImportTests/KerasFixtureTests).
final class MoreLayerTests: XCTestCase {
    func testDepthwiseConvolution() throws {
        // One channel, multiplier 2, 2x2 kernel of ones and of twos on a 2x3 image: window sums.
        let x = Tensor(shape: [1, 2, 3, 1], scalars: [1, 2, 3, 4, 5, 6])
        let kernel = Tensor(shape: [2, 2, 1, 2], scalars: [1, 2, 1, 2, 1, 2, 1, 2])
        let layer = try DepthwiseConv2D(kernel: kernel, bias: Tensor(shape: [2], scalars: [0, 1]))
        assertClose(layer.forward(x), [12, 25, 16, 33], shape: [1, 1, 2, 2])
        var generator = SeededRandom(seed: 41)
        for (padding, strides, dilation) in [(Padding.valid, (2, 1), (1, 1)), (.same, (1, 2), (2, 1)), (.same, (2, 2), (1, 2))] {
            let random = try DepthwiseConv2D(kernel: randomTensor([3, 2, 3, 2], using: &generator), bias: randomTensor([6], using: &generator),
                                             strides: strides, dilation: dilation, padding: padding, activation: .elu(alpha: 1))
            assertGradients(of: random, inputs: [randomTensor([2, 7, 6, 3], using: &generator)], step: 1e-3)
        }
        XCTAssertEqual(try DepthwiseConv2D(kernel: randomTensor([3, 3, 2, 1], using: &generator), dilation: (2, 2), padding: .same)
            .outputShape(forInputShape: [5, 6, 2]), [5, 6, 2])
        XCTAssertThrowsError(try DepthwiseConv2D(kernel: randomTensor([3, 3, 2, 1], using: &generator), activation: .swish))
    }

    func testUpSamplingGlobalMaxAndPermute() throws {
        let x = Tensor(shape: [1, 2, 2, 1], scalars: [1, 2, 3, 4])
        assertClose(try UpSampling2D(size: (1, 2)).forward(x), [1, 1, 2, 2, 3, 3, 4, 4], shape: [1, 2, 4, 1])
        assertClose(GlobalMaxPooling2D().forward(x), [4], shape: [1, 1])
        // [1, 2, 3, 1] → Permute((3, 1, 2)) → [1, 1, 2, 3] with the same order; (2, 1, 3) transposes.
        let wide = Tensor(shape: [1, 2, 3, 1], scalars: [1, 2, 3, 4, 5, 6])
        assertClose(try Permute(order: [1, 0, 2]).forward(wide), [1, 4, 2, 5, 3, 6], shape: [1, 3, 2, 1])
        var generator = SeededRandom(seed: 42)
        assertGradients(of: try UpSampling2D(size: (2, 3)), inputs: [randomTensor([2, 3, 2, 2], using: &generator)])
        assertGradients(of: GlobalMaxPooling2D(), inputs: [randomTensor([2, 4, 3, 2], using: &generator)], step: 1e-3)
        assertGradients(of: try Permute(order: [2, 0, 1]), inputs: [randomTensor([2, 3, 4, 2], using: &generator)])
        XCTAssertThrowsError(try Permute(order: [0, 0, 1]))
    }

    func testElementwiseMergesAndConcatenateAxes() throws {
        let a = Tensor(shape: [1, 3], scalars: [1, -2, 3]), b = Tensor(shape: [1, 3], scalars: [2, 5, -1])
        func run(_ operation: ElementwiseMerge.Operation) -> [Float] {
            ElementwiseMerge(name: "m", operation: operation).forward(inputs: [a, b]).scalars
        }
        XCTAssertEqual(run(.multiply), [2, -10, -3])
        XCTAssertEqual(run(.average), [1.5, 1.5, 1])
        XCTAssertEqual(run(.maximum), [2, 5, 3])
        XCTAssertEqual(run(.minimum), [1, -2, -1])
        XCTAssertEqual(run(.subtract), [-1, -7, 4])
        XCTAssertThrowsError(try ElementwiseMerge(name: "s", operation: .subtract).outputShape(forInputShapes: [[3], [3], [3]]))
        var generator = SeededRandom(seed: 43)
        let three = (0..<3).map { _ in randomTensor([2, 3, 2, 2], using: &generator) }
        for operation in [ElementwiseMerge.Operation.multiply, .average, .maximum, .minimum] {
            assertGradients(of: ElementwiseMerge(name: "m", operation: operation), inputs: three, step: 1e-3)
        }
        assertGradients(of: ElementwiseMerge(name: "m", operation: .subtract), inputs: Array(three.prefix(2)))

        let rows = Concatenate(axis: 0)
        XCTAssertEqual(try rows.outputShape(forInputShapes: [[2, 3, 1], [4, 3, 1]]), [6, 3, 1])
        XCTAssertThrowsError(try rows.outputShape(forInputShapes: [[2, 3, 1], [2, 4, 1]]))
        let x = Tensor(shape: [1, 1, 2, 1], scalars: [1, 2]), y = Tensor(shape: [1, 1, 1, 1], scalars: [9])
        assertClose(Concatenate(axis: 1).forward(inputs: [x, y]), [1, 2, 9], shape: [1, 1, 3, 1])
        assertGradients(of: Concatenate(axis: 1), inputs: [randomTensor([2, 3, 2, 2], using: &generator), randomTensor([2, 3, 1, 2], using: &generator)])
    }

    func testActivationsAndPReLU() throws {
        var generator = SeededRandom(seed: 44)
        let kinds: [ActivationKind] = [.hardSigmoid(slope: 0.2), .hardSigmoid(slope: 1.0 / 6), .softsign, .selu, .relu6, .swish, .gelu]
        let x = Tensor(shape: [1, 5], scalars: [-8, -1, 0.5, 2, 7])
        let expected: [[Float]] = [
            [0, 0.3, 0.6, 0.9, 1], [0, 1.0 / 3, 0.5 + 0.5 / 6, 0.5 + 2.0 / 6, 1], [-8.0 / 9, -0.5, 1.0 / 3, 2.0 / 3, 7.0 / 8],
            [1.050_701 * 1.673_263 * (expf(-8) - 1), 1.050_701 * 1.673_263 * (expf(-1) - 1), 0.525_350_5, 2.101_402, 7.354_907],
            [0, 0, 0.5, 2, 6], [-8 / (1 + expf(8)), -1 / (1 + expf(1)), 0.5 / (1 + expf(-0.5)), 2 / (1 + expf(-2)), 7 / (1 + expf(-7))],
            [-8 * 0.5 * (1 + erff(-8 / Float(2).squareRoot())), -0.158_655_25, 0.345_731_4, 1.954_500, 7],
        ]
        for (kind, values) in zip(kinds, expected) {
            assertClose(try Activation(kind).forward(x), values, tolerance: 1e-5)
            // Inputs away from the kinks of hard sigmoid (±2.5, ±3) and relu6 (0, 6).
            var input = randomTensor([2, 3, 4, 2], in: -5...5, using: &generator)
            for i in 0..<input.count where [2.5, 3, 0, 6].contains(where: { abs(abs(input.scalars[i]) - $0) < 0.05 }) { input.scalars[i] += 0.2 }
            assertGradients(of: try Activation(kind), inputs: [input], step: 1e-3)
        }
        let prelu = PReLU(alpha: Tensor(shape: [1, 1, 2], scalars: [0.5, -0.25]))
        XCTAssertEqual(try prelu.outputShape(forInputShape: [3, 4, 2]), [3, 4, 2])
        XCTAssertThrowsError(try prelu.outputShape(forInputShape: [3, 4, 3]))
        assertClose(prelu.forward(Tensor(shape: [1, 1, 2, 2], scalars: [-2, -2, 3, 3])), [-1, 0.5, 3, 3])
        assertGradients(of: prelu, inputs: [randomTensor([2, 3, 4, 2], using: &generator)])
    }

    func testExpectedValue() throws {
        let layer = try ExpectedValue(values: [-1, 0, 1])
        assertClose(layer.forward(Tensor(shape: [2, 3], scalars: [0.2, 0.3, 0.5, 1, 0, 0])), [0.3, -1], shape: [2, 1])
        XCTAssertThrowsError(try layer.outputShape(forInputShape: [4]))
        var generator = SeededRandom(seed: 45)
        assertGradients(of: layer, inputs: [randomTensor([3, 3], using: &generator)])
        // Appended after a model output, it becomes one more output of the same graph.
        let dense = try Dense(kernel: randomTensor([2, 3], using: &generator), activation: .softmax)
        let model = try Model(inputShape: [2], layers: [dense]).appending(try ExpectedValue(name: "angle", values: [-1, 0, 1]), afterOutput: 0)
        XCTAssertEqual(model.outputNames, ["dense", "angle"])
        let outputs = try model.forward(Tensor(shape: [1, 2], scalars: [0.5, -0.25]))
        XCTAssertEqual(outputs[1].scalars[0], outputs[0].scalars[2] - outputs[0].scalars[0], accuracy: 1e-6)
    }
}
