import SteerLensSupport
import XCTest
@testable import NeuralNet

final class DenseAndActivationTests: XCTestCase {
    func testDenseKnownValues() throws {
        // x = [1, 2], W = [[1, 2, 3], [4, 5, 6]], b = [0.5, 0, -1].
        let dense = try Dense(kernel: Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), bias: Tensor(shape: [3], scalars: [0.5, 0, -1]))
        assertClose(dense.forward(Tensor(shape: [1, 2], scalars: [1, 2])), [9.5, 12, 14], shape: [1, 3])
        let relu = try Dense(kernel: Tensor(shape: [2, 1], scalars: [1, -1]), activation: .relu)
        assertClose(relu.forward(Tensor(shape: [2, 2], scalars: [1, 2, 3, 1])), [0, 2], shape: [2, 1])
    }

    func testDenseGradientsWithEveryActivation() throws {
        var generator = SeededRandom(seed: 3)
        let kinds: [ActivationKind] = [.linear, .relu, .elu(alpha: 0.7), .leakyReLU(alpha: 0.1), .tanh, .sigmoid, .softmax, .softplus]
        for (index, kind) in kinds.enumerated() {
            let dense = try Dense(name: "dense_\(index)", kernel: randomTensor([6, 5], using: &generator),
                                  bias: index % 2 == 0 ? randomTensor([5], using: &generator) : nil, activation: kind)
            assertGradients(of: dense, inputs: [randomTensor([3, 6], using: &generator)])
        }
        // Dense on the last axis of a rank-3 input, as Keras does.
        let dense = try Dense(kernel: randomTensor([4, 2], using: &generator), bias: randomTensor([2], using: &generator))
        XCTAssertEqual(try dense.outputShape(forInputShape: [3, 4]), [3, 2])
        assertGradients(of: dense, inputs: [randomTensor([2, 3, 4], using: &generator)])
    }

    func testActivationForwardValues() throws {
        let x = Tensor(shape: [1, 4], scalars: [-2, -0.5, 0.5, 3])
        func run(_ kind: ActivationKind) throws -> Tensor { try Activation(kind).forward(x) }
        assertClose(try run(.relu), [0, 0, 0.5, 3])
        assertClose(try run(.elu(alpha: 1)), [expm1f(-2), expm1f(-0.5), 0.5, 3])
        assertClose(try run(.sigmoid), x.scalars.map { 1 / (1 + expf(-$0)) })
        assertClose(try run(.softplus), x.scalars.map { log1pf(expf($0)) })
        let softmax = try run(.softmax)
        let exps = x.scalars.map { expf($0) }, total = exps.reduce(0, +)
        assertClose(softmax, exps.map { $0 / total })
        XCTAssertEqual(ActivationKind(kerasName: "elu"), .elu(alpha: 1))
        XCTAssertNil(ActivationKind(kerasName: "gelu_fancy"))
    }

    func testActivationLayerGradients() throws {
        var generator = SeededRandom(seed: 5)
        let kinds: [ActivationKind] = [.linear, .relu, .elu(alpha: 1), .leakyReLU(alpha: 0.3), .tanh, .sigmoid, .softmax, .softplus]
        for kind in kinds {
            assertGradients(of: try Activation(name: "\(kind)", kind), inputs: [randomTensor([2, 3, 3, 4], in: -3...3, using: &generator)])
        }
    }

    func testRectifierLayers() throws {
        let x = Tensor(shape: [1, 6], scalars: [-3, -1, -0.25, 0.5, 2, 8])
        assertClose(ELU(alpha: 0.5).forward(x), x.scalars.map { $0 > 0 ? $0 : 0.5 * expm1f($0) })
        assertClose(LeakyReLU().forward(x), [-0.9, -0.3, -0.075, 0.5, 2, 8])
        assertClose(try ReLU(maxValue: 6).forward(x), [0, 0, 0, 0.5, 2, 6])
        assertClose(try ReLU(negativeSlope: 0.1).forward(x), [-0.3, -0.1, -0.025, 0.5, 2, 8])
        // threshold 1: x ≤ 1 → slope·(x − 1); x > 1 → x.
        assertClose(try ReLU(negativeSlope: 0.1, threshold: 1).forward(x), [-0.4, -0.2, -0.125, -0.05, 2, 8])
        // Negative threshold: values in (t, 0) are clipped to 0 by the positive part (keras.backend.relu).
        assertClose(try ReLU(threshold: -0.5).forward(x), [0, 0, 0, 0.5, 2, 8])

        var generator = SeededRandom(seed: 9)
        let input = randomTensor([2, 5, 5, 2], in: -4...8, using: &generator)
        assertGradients(of: ELU(alpha: 0.8), inputs: [input])
        assertGradients(of: LeakyReLU(alpha: 0.2), inputs: [input])
        assertGradients(of: try ReLU(maxValue: 6, negativeSlope: 0.1, threshold: 0.5), inputs: [input])
        assertGradients(of: try ReLU(maxValue: 6), inputs: [input])
    }

    func testBackpropModifiersAtRectifiers() throws {
        let x = Tensor(shape: [1, 4], scalars: [-1, -1, 1, 1])
        let dy = Tensor(shape: [1, 4], scalars: [-2, 3, -2, 3])
        let relu = try Activation(.relu)
        _ = relu.forward(x)
        XCTAssertEqual(relu.backward(dy).scalars, [0, 0, -2, 3])
        XCTAssertEqual(relu.backward(dy, modifier: .guided).scalars, [0, 0, 0, 3])
        XCTAssertEqual(relu.backward(dy, modifier: .rectified).scalars, [0, 3, 0, 3])
        let tanh = try Activation(.tanh)
        _ = tanh.forward(x)
        XCTAssertEqual(tanh.backward(dy, modifier: .guided), tanh.backward(dy), "non-rectifying activations ignore modifiers")
        let elu = ELU()
        _ = elu.forward(x)
        XCTAssertEqual(elu.backward(dy, modifier: .guided).scalars, [0, 0, 0, 3])
    }

    func testCheckerDetectsAWrongGradient() throws {
        // A layer whose backward is 10% off must fail the finite-difference comparison.
        final class Miscalibrated: UnaryLayer {
            let name = "wrong"
            var typeName: String { "Wrong" }
            var parameterCount: Int { 0 }
            let inner = try! Activation(.tanh)
            func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }
            func forward(_ input: Tensor) -> Tensor { inner.forward(input) }
            func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
                var g = inner.backward(outputGradient)
                for i in g.scalars.indices { g.scalars[i] *= 1.1 }
                return g
            }
        }
        var generator = SeededRandom(seed: 1)
        let layer = Miscalibrated()
        let report = finiteDifferenceReport(inputs: [randomTensor([2, 8], using: &generator)],
                                            forward: { layer.forward(inputs: $0) },
                                            backward: { layer.backward(outputGradient: $0, modifier: nil) })
        XCTAssertGreaterThan(report.mismatches.count, report.checked / 2)
    }
}
