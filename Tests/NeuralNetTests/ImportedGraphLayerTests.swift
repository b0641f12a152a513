import SteerLensSupport
import XCTest
@testable import NeuralNet

/// The two layers imported ONNX graphs add: ``FeaturePermutation`` (an NCHW flatten order restored on
/// an NHWC feature vector) and ``BatchConstant`` (a constant operand repeated per item).
final class ImportedGraphLayerTests: XCTestCase {
    func testFeaturePermutationForwardAndFiniteDifferences() throws {
        let layer = try FeaturePermutation(name: "order", order: [2, 0, 3, 1])
        let output = layer.forward(Tensor(shape: [2, 4], scalars: [10, 11, 12, 13, 20, 21, 22, 23]))
        XCTAssertEqual(output.scalars, [12, 10, 13, 11, 22, 20, 23, 21])
        var generator = SeededRandom(seed: 3)
        assertGradients(of: layer, inputs: [randomTensor([3, 4], using: &generator)])
        XCTAssertThrowsError(try FeaturePermutation(order: [0, 0, 1]))
        XCTAssertThrowsError(try layer.outputShape(forInputShape: [5]))
    }

    func testBatchConstantRepeatsItsValueAndPassesNoGradient() throws {
        let layer = try BatchConstant(name: "speed", value: Tensor(shape: [1, 2], scalars: [0.7, -1]))
        XCTAssertEqual(try layer.outputShape(forInputShape: [6, 4, 3]), [1, 2])
        let output = layer.forward(Tensor(zeros: [3, 6, 4, 3]))
        XCTAssertEqual(output.shape, [3, 1, 2])
        XCTAssertEqual(output.scalars, [0.7, -1, 0.7, -1, 0.7, -1])
        let gradient = layer.backward(Tensor(repeating: 1, shape: [3, 1, 2]))
        XCTAssertEqual(gradient.shape, [3, 6, 4, 3])
        XCTAssertTrue(gradient.scalars.allSatisfy { $0 == 0 })
        var generator = SeededRandom(seed: 4)
        assertGradients(of: layer, inputs: [randomTensor([2, 3], using: &generator)])
    }
}

/// ``Conv2DTranspose`` against a hand-computed output and finite differences.
final class TransposedConvolutionTests: XCTestCase {
    func testForwardScattersEachInputCellThroughTheKernel() throws {
        // 1x2 input, 2x2 kernel of ones, stride 2: each input cell fills its own 2x2 block.
        let layer = try Conv2DTranspose(kernel: Tensor(repeating: 1, shape: [2, 2, 1, 1]), bias: Tensor(shape: [1], scalars: [0.5]),
                                        strides: (2, 2), crop: (0, 0), inputSize: (1, 2), outputSize: (2, 4))
        let output = layer.forward(Tensor(shape: [1, 1, 2, 1], scalars: [1, 3]))
        XCTAssertEqual(output.shape, [1, 2, 4, 1])
        XCTAssertEqual(output.scalars, [1.5, 1.5, 3.5, 3.5, 1.5, 1.5, 3.5, 3.5])
    }

    func testBackwardMatchesFiniteDifferencesWithCropAndOverlap() throws {
        var generator = SeededRandom(seed: 9)
        let layer = try Conv2DTranspose(kernel: randomTensor([3, 3, 2, 4], using: &generator), bias: randomTensor([4], using: &generator),
                                        strides: (2, 1), crop: (1, 1), inputSize: (3, 4), outputSize: (6, 5))
        XCTAssertEqual(try layer.outputShape(forInputShape: [3, 4, 2]), [6, 5, 4])
        assertGradients(of: layer, inputs: [randomTensor([2, 3, 4, 2], using: &generator)])
    }
}

/// ``ZeroPadding2D`` with a constant other than 0 (an ONNX MaxPool's border that never wins).
final class ConstantPaddingTests: XCTestCase {
    func testConstantPaddingFillsTheBorderAndCropsTheGradient() throws {
        let layer = try ZeroPadding2D(top: 1, bottom: 0, left: 0, right: 1, value: -.greatestFiniteMagnitude)
        XCTAssertEqual(layer.typeName, "ConstantPadding2D")
        let output = layer.forward(Tensor(shape: [1, 1, 2, 1], scalars: [3, 4]))
        XCTAssertEqual(output.shape, [1, 2, 3, 1])
        XCTAssertEqual(output.scalars, [-.greatestFiniteMagnitude, -.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 3, 4, -.greatestFiniteMagnitude])
        let pooled = try MaxPooling2D(poolSize: (2, 2), strides: (1, 1)).forward(output)
        XCTAssertEqual(pooled.scalars, [4, 4], "the border never wins")
        var generator = SeededRandom(seed: 5)
        assertGradients(of: try ZeroPadding2D(top: 2, bottom: 1, left: 0, right: 3, value: 7), inputs: [randomTensor([2, 3, 2, 2], using: &generator)])
    }
}
