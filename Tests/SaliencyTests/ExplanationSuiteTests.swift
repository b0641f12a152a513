import NeuralNet
import XCTest
@testable import Saliency

/// The ``Explainer`` abstraction: the gradient method through a suite gives exactly the engine's
/// maps, importance is the positive part of the modified gradient, and map names keep the
/// historical paths for the default method only.
final class ExplanationSuiteTests: XCTestCase {
    /// The engine tests' small model: Conv(4, 3x3, relu) → Conv(5, 3x3 s2, elu) → Flatten → Dense(3) on 9×11×3.
    enum models {
        static func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
            var state = seed
            return (0..<count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
            }
        }

        static func smallModel() throws -> Model {
            let conv1 = try Conv2D(name: "conv1", kernel: Tensor(shape: [3, 3, 3, 4], scalars: random(108, seed: 1, scale: 0.5)),
                                   bias: Tensor(shape: [4], scalars: [0.1, 0.05, 0.2, 0.0]), strides: (1, 1), padding: .valid, activation: .relu)
            let conv2 = try Conv2D(name: "conv2", kernel: Tensor(shape: [3, 3, 4, 5], scalars: random(180, seed: 2, scale: 0.4)),
                                   bias: Tensor(shape: [5], scalars: random(5, seed: 3, scale: 0.1)), strides: (2, 2), padding: .valid, activation: .elu(alpha: 1))
            let dense = try Dense(name: "dense", kernel: Tensor(shape: [60, 3], scalars: random(180, seed: 4, scale: 0.3)),
                                  bias: Tensor(shape: [3], scalars: [0, 0.1, -0.1]), activation: .linear)
            return try Model(inputShape: [9, 11, 3], layers: [conv1, conv2, Flatten(name: "flatten"), dense])
        }

        static func batch(_ items: Int) -> Tensor { Tensor(shape: [items, 9, 11, 3], scalars: random(items * 297, seed: 9, scale: 2)) }
    }

    func testGradientMethodThroughTheSuiteEqualsTheEngine() throws {
        let model = try models.smallModel()
        let kinds = SaliencyMapKind.steering + [try .named("absolute")]
        let engine = try SaliencyEngine(model: model, objective: .output(index: 0, unit: 2), kinds: kinds)
        let suite = ExplanationSuite(model: model, objective: engine.objective, explainers: [GradientExplainer(engine: engine)])
        let input = models.batch(3)
        let direct = try engine.run(input)
        let suited = try suite.run(input)
        XCTAssertEqual(engine.backwardPassCount, 2)
        XCTAssertEqual(suited.gradient?.scalars, direct.gradient.scalars)
        XCTAssertEqual(suite.maps.map(\.name), ["increase", "decrease", "maintain", "absolute"])
        for kind in kinds {
            let maps = try XCTUnwrap(suited[MethodMap(method: .gradient, kind: kind)])
            XCTAssertEqual(maps.display.scalars, direct.maps[kind]!.scalars, "\(kind)")
            XCTAssertEqual(maps.importance.shape, [3, 9, 11])
            // Importance: max(maxᶜ m(g), 0), unnormalised.
            let g = direct.gradient.scalars
            for pixel in stride(from: 0, to: 3 * 99, by: 7) {
                let expected = max((0..<3).map { kind.modifier.apply(g[pixel * 3 + $0]) }.max()!, 0)
                XCTAssertEqual(maps.importance.scalars[pixel], expected, "\(kind) pixel \(pixel)")
            }
            XCTAssertTrue(maps.importance.scalars.allSatisfy { $0 >= 0 })
        }
        let increase = suited[MethodMap(method: .gradient, kind: .increase)]!.importance.scalars
        XCTAssertGreaterThan(increase.max()!, 0)
    }

    func testMapNamesQualifyEveryMethodButTheDefault() {
        XCTAssertEqual(MethodMap(method: .gradient, kind: .maintain).name, "maintain")
        XCTAssertEqual(MethodMap(method: .gradcam, kind: .increase).name, "gradcam/increase")
        XCTAssertEqual(MethodMap(method: .integratedGradients, kind: .decrease).columnPrefix, "integrated-gradients_decrease")
        XCTAssertEqual(ExplanationMethod(rawValue: "integrated-gradients"), .integratedGradients)
    }

    func testNonFiniteOutputIsRefusedBeforeAnyMethodRuns() throws {
        let model = try models.smallModel()
        let engine = try SaliencyEngine(model: model)
        let suite = ExplanationSuite(model: model, objective: engine.objective, explainers: [GradientExplainer(engine: engine)])
        var input = models.batch(1)
        input.scalars[0] = Float.infinity
        XCTAssertThrowsError(try suite.run(input))
        XCTAssertEqual(engine.backwardPassCount, 0)
    }

    func testRequestedMethodsKeepOrderDropRepeatsAndDefaultToGradient() {
        XCTAssertEqual(ExplanationMethod.requested([]), [.gradient])
        XCTAssertEqual(ExplanationMethod.requested([.occlusion, .gradcam, .occlusion, .gradient]), [.occlusion, .gradcam, .gradient])
    }
}
