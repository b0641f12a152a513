import SteerLensSupport
import XCTest
@testable import NeuralNet

/// ``TensorExpressionLayer``: hand-computed forwards, TensorFlow's tie rules, and every function,
/// operator and reduction against central finite differences.
final class TensorExpressionTests: XCTestCase {
    let x = TensorExpression.input

    private func minMax(_ operand: TensorExpression) -> TensorExpression {
        .binary(.divide, .binary(.subtract, operand, .reduce(.min, operand, axes: nil, keepDimensions: false)),
                .binary(.subtract, .reduce(.max, operand, axes: nil, keepDimensions: false), .reduce(.min, operand, axes: nil, keepDimensions: false)))
    }

    func testPerImageMinMaxNormalisation() throws {
        // Two images: each is normalised by its own minimum and maximum.
        let layer = try TensorExpressionLayer(expression: minMax(x))
        let input = Tensor(shape: [2, 1, 2, 2], scalars: [2, 4, 6, 10, -1, 1, 0, 3])
        XCTAssertEqual(try layer.outputShape(forInputShape: [1, 2, 2]), [1, 2, 2])
        let y = layer.forward(input)
        let expected: [Float] = [0, 0.25, 0.5, 1, 0, 0.5, 0.25, 1]
        for (a, b) in zip(y.scalars, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertEqual(layer.expression.description, "(x-min(x))/(max(x)-min(x))")
    }

    /// `_MinOrMaxGrad`: a reduction's gradient is shared equally by every element equal to the extreme.
    func testTiedExtremesShareTheGradient() throws {
        let layer = try TensorExpressionLayer(expression: .reduce(.max, x, axes: nil, keepDimensions: false))
        let input = Tensor(shape: [1, 1, 4, 1], scalars: [3, 7, 7, 1])
        XCTAssertEqual(layer.forward(input).scalars, [7])
        XCTAssertEqual(layer.backward(Tensor(shape: [1, 1, 1, 1], scalars: [2])).scalars, [0, 1, 1, 0])
        let minimum = try TensorExpressionLayer(expression: .reduce(.min, x, axes: [-1], keepDimensions: true))
        let pairs = Tensor(shape: [1, 1, 2, 2], scalars: [5, 5, 4, 9])
        XCTAssertEqual(minimum.forward(pairs).scalars, [5, 4])
        XCTAssertEqual(minimum.backward(Tensor(shape: [1, 1, 2, 1], scalars: [1, 3])).scalars, [0.5, 0.5, 3, 0])
        // tf.maximum sends a tie to its first operand.
        let maximum = try TensorExpressionLayer(expression: .binary(.maximum, x, .scalar(2)))
        _ = maximum.forward(Tensor(shape: [1, 3], scalars: [1, 2, 3]))
        XCTAssertEqual(maximum.backward(Tensor(shape: [1, 3], scalars: [1, 1, 1])).scalars, [0, 1, 1])
    }

    func testShapesBroadcastReduceAndMix() throws {
        let perChannel = TensorExpression.binary(.subtract, x, .constant(values: [1, 2, 3], shape: [3]))
        XCTAssertEqual(try TensorExpressionLayer(expression: perChannel).outputShape(forInputShape: [4, 5, 3]), [4, 5, 3])
        XCTAssertThrowsError(try TensorExpressionLayer(expression: perChannel).outputShape(forInputShape: [4, 5, 2]))
        let channelMean = TensorExpression.reduce(.mean, x, axes: [3], keepDimensions: false)
        XCTAssertEqual(try TensorExpressionLayer(expression: channelMean).outputShape(forInputShape: [4, 5, 3]), [4, 5])
        XCTAssertThrowsError(try TensorExpressionLayer(expression: .reduce(.sum, x, axes: [0], keepDimensions: true)).outputShape(forInputShape: [4]))
        XCTAssertThrowsError(try TensorExpressionLayer(expression: .binary(.add, .scalar(1), .scalar(2))))
        let gray = TensorExpression.channelMix(x, matrix: [0.5, 0.25, 0.25], inputs: 3)
        let layer = try TensorExpressionLayer(expression: gray)
        XCTAssertEqual(try layer.outputShape(forInputShape: [2, 2, 3]), [2, 2, 1])
        XCTAssertEqual(layer.forward(Tensor(shape: [1, 1, 1, 3], scalars: [4, 8, 12])).scalars, [7])  // 2 + 2 + 3
    }

    func testConcatenateAndExpandDimensions() throws {
        let joined = try TensorExpressionLayer(expression: .concatenate([x, .binary(.multiply, x, .scalar(10))], axis: -1))
        XCTAssertEqual(try joined.outputShape(forInputShape: [1, 2, 1]), [1, 2, 2])
        XCTAssertEqual(joined.forward(Tensor(shape: [1, 1, 2, 1], scalars: [1, 2])).scalars, [1, 10, 2, 20])
        XCTAssertEqual(joined.backward(Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])).scalars, [21, 43])
        let expanded = try TensorExpressionLayer(expression: .expandDimensions(.reduce(.max, x, axes: [-1], keepDimensions: false), axis: -1))
        XCTAssertEqual(try expanded.outputShape(forInputShape: [4, 5, 3]), [4, 5, 1])
        XCTAssertThrowsError(try TensorExpressionLayer(expression: .concatenate([x, x], axis: 0)).outputShape(forInputShape: [2, 2]))
    }

    /// `per_image_standardization`: zero mean and unit deviation per image, or divided by 1/√count when flat.
    func testPerImageStandardization() throws {
        let layer = try TensorExpressionLayer(expression: .perImageStandardization(x))
        XCTAssertEqual(layer.expression.description, "standardize(x)")
        let y = layer.forward(Tensor(shape: [2, 1, 2, 2], scalars: [1, 3, 5, 7, 2, 2, 2, 2]))
        let deviation = Float(5).squareRoot()  // values 1, 3, 5, 7: mean 4, variance 5
        let expected: [Float] = [-3 / deviation, -1 / deviation, 1 / deviation, 3 / deviation, 0, 0, 0, 0]
        for (a, b) in zip(y.scalars, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testReverseFlipsOneAxis() throws {
        let bgr = try TensorExpressionLayer(expression: .reverse(x, axis: -1))
        XCTAssertEqual(bgr.forward(Tensor(shape: [1, 1, 2, 3], scalars: [1, 2, 3, 4, 5, 6])).scalars, [3, 2, 1, 6, 5, 4])
        let mirror = try TensorExpressionLayer(expression: .reverse(x, axis: 2))
        XCTAssertEqual(mirror.forward(Tensor(shape: [1, 1, 2, 3], scalars: [1, 2, 3, 4, 5, 6])).scalars, [4, 5, 6, 1, 2, 3])
        XCTAssertEqual(mirror.backward(Tensor(shape: [1, 1, 2, 3], scalars: [1, 0, 0, 0, 0, 2])).scalars, [0, 0, 2, 1, 0, 0])
        XCTAssertThrowsError(try TensorExpressionLayer(expression: .reverse(x, axis: 0)).outputShape(forInputShape: [2, 2, 3]))
    }

    func testRGBToHSVMatchesTheFormula() throws {
        let layer = try TensorExpressionLayer(expression: .rgbToHSV(x))
        // Orange (1, 0.5, 0): V 1, S 1, H 0.5/6; blue-ish (0.2, 0.4, 0.8): V 0.8, S 0.75, H (0.2−0.4)/(6·0.6) + 4/6;
        // grey: H = S = 0; magenta-red (1, 0, 0.5): H wraps to 1 − 0.5/6.
        let y = layer.forward(Tensor(shape: [1, 4, 3], scalars: [1, 0.5, 0, 0.2, 0.4, 0.8, 0.3, 0.3, 0.3, 1, 0, 0.5]))
        let expected: [Float] = [0.5 / 6, 1, 1, -0.2 / 3.6 + 4.0 / 6, 0.75, 0.8, 0, 0, 0.3, 1 - 0.5 / 6, 1, 1]
        for (a, b) in zip(y.scalars, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testEveryNodeAgainstFiniteDifferences() throws {
        var generator = SeededRandom(seed: 12)
        let positive = randomTensor([2, 3, 4, 3], in: 0.5...2, using: &generator)
        let signed = randomTensor([2, 3, 4, 3], in: -2...2, using: &generator)
        var cases: [(String, TensorExpression, Tensor)] = []
        for function in TensorFunction.allCases {
            let input = [.sqrt, .log].contains(function) ? positive : signed
            cases.append(("\(function)", .unary(function, .binary(.multiply, x, .scalar(1.5))), input))
        }
        let channels = TensorExpression.constant(values: [0.5, -2, 3], shape: [3])
        for op in TensorOperator.allCases {
            let right: TensorExpression = op == .divide ? .binary(.add, .unary(.square, x), .scalar(1)) : .binary(.multiply, x, channels)
            cases.append(("\(op)", .binary(op, .unary(.tanh, x), right), signed))
        }
        for reduction in TensorReduction.allCases {
            cases.append(("\(reduction) all", .binary(.multiply, x, .reduce(reduction, x, axes: nil, keepDimensions: false)), signed))
            cases.append(("\(reduction) rows", .reduce(reduction, .unary(.tanh, x), axes: [1, -1], keepDimensions: false), signed))
        }
        cases.append(("mix", .channelMix(.unary(.square, x), matrix: [1, 0.5, -1, 2, 0.25, 3], inputs: 3), signed))
        cases.append(("min-max", minMax(.unary(.sigmoid, x)), signed))
        let gray = TensorExpression.channelMix(x, matrix: [0.3, 0.6, 0.1], inputs: 3)
        cases.append(("concatenate", .concatenate([.unary(.tanh, x), .binary(.multiply, gray, gray)], axis: -1), signed))
        cases.append(("concatenate rows", .concatenate([x, .unary(.square, x)], axis: 1), signed))
        cases.append(("rgb_to_hsv", .rgbToHSV(x), positive))
        cases.append(("standardize", .perImageStandardization(.unary(.tanh, x)), signed))
        cases.append(("reverse", .binary(.multiply, .reverse(.reverse(x, axis: -1), axis: 2), .unary(.tanh, x)), signed))
        cases.append(("expand_dims", .binary(.multiply, .expandDimensions(.reduce(.sum, x, axes: [3], keepDimensions: false), axis: -1), x), signed))
        for (label, expression, input) in cases {
            let layer = try TensorExpressionLayer(name: label, expression: expression)
            let report = finiteDifferenceReport(inputs: [input], forward: { layer.forward(inputs: $0) },
                                                backward: { layer.backward(outputGradient: $0, modifier: nil) }, step: 1e-3)
            assertReport(report, label)
        }
    }
}
