import NeuralNet
import XCTest
@testable import Saliency

/// The engine on small random models: one backward pass for all maps, maps equal to the formulas
/// applied to `g`, and objectives (output units, conv filters) checked against finite differences.
final class SaliencyEngineTests: XCTestCase {
    /// Deterministic uniform values in [-scale, scale].
    func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    /// Conv(4, 3x3, relu) → Conv(5, 3x3 s2, elu) → Flatten → Dense(3) on 9×11×3 inputs.
    func smallModel() throws -> Model {
        let conv1 = try Conv2D(name: "conv1", kernel: Tensor(shape: [3, 3, 3, 4], scalars: random(108, seed: 1, scale: 0.5)),
                           bias: Tensor(shape: [4], scalars: [0.1, 0.05, 0.2, 0.0]), strides: (1, 1), padding: .valid, activation: .relu)
        let conv2 = try Conv2D(name: "conv2", kernel: Tensor(shape: [3, 3, 4, 5], scalars: random(180, seed: 2, scale: 0.4)),
                           bias: Tensor(shape: [5], scalars: random(5, seed: 3, scale: 0.1)), strides: (2, 2), padding: .valid, activation: .elu(alpha: 1))
        let dense = try Dense(name: "dense", kernel: Tensor(shape: [60, 3], scalars: random(180, seed: 4, scale: 0.3)),
                          bias: Tensor(shape: [3], scalars: [0, 0.1, -0.1]), activation: .linear)
        return try Model(inputShape: [9, 11, 3], layers: [conv1, conv2, Flatten(name: "flatten"), dense])
    }

    func batch(_ items: Int) -> Tensor { Tensor(shape: [items, 9, 11, 3], scalars: random(items * 297, seed: 9, scale: 2)) }

    func testOneBackwardPassServesEveryMap() throws {
        let engine = try SaliencyEngine(model: try smallModel(), kinds: SaliencyMapKind.steering + [try .named("absolute")])
        let result = try engine.run(batch(4))
        XCTAssertEqual(engine.backwardPassCount, 1)
        XCTAssertEqual(result.maps.count, 4)
        XCTAssertEqual(result.maps[.increase]?.shape, [4, 9, 11])
        _ = try engine.run(batch(2))
        XCTAssertEqual(engine.backwardPassCount, 2)
    }

    func testMapsAreTheKerasVisFormulasAppliedToTheGradient() throws {
        let engine = try SaliencyEngine(model: try smallModel(), objective: .output(index: 0, unit: 1))
        let result = try engine.run(batch(3))
        let g = result.gradient.scalars
        for (kind, modifier) in [(SaliencyMapKind.increase, { (v: Float) in v }), (.decrease, { -$0 }), (.maintain, { abs(1 / ($0 + 1e-7)) })] {
            for item in 0..<3 {
                var m = [Float](repeating: 0, count: 99)
                for pixel in 0..<99 { m[pixel] = (0..<3).map { modifier(g[(item * 99 + pixel) * 3 + $0]) }.max()! }
                let low = m.min()!, high = m.max()!
                let expected = m.map { ($0 - low) / (high - low + 1e-7) }
                let actual = Array(result.maps[kind]!.scalars[(item * 99)..<((item + 1) * 99)])
                for (a, e) in zip(actual, expected) { XCTAssertEqual(a, e, accuracy: 1e-6, "\(kind) item \(item)") }
            }
        }
    }

    /// Central differences of `objective(x)` at sampled input elements, in Double.
    func assertGradientMatchesFiniteDifferences(_ model: Model, objective: (Model, Tensor) throws -> [Double], engineGradient: Tensor,
                                                input: Tensor, file: StaticString = #filePath, line: UInt = #line) throws {
        let step: Float = 1e-2
        var checked = 0
        for element in stride(from: 3, to: input.itemCount, by: 37) {
            for item in 0..<input.batchSize {
                let index = item * input.itemCount + element
                var plus = input, minus = input
                plus.scalars[index] += step
                minus.scalars[index] -= step
                let numeric = (try objective(model, plus)[item] - objective(model, minus)[item]) / Double(2 * step)
                let analytic = Double(engineGradient.scalars[index])
                XCTAssertEqual(analytic, numeric, accuracy: 2e-3 + 2e-2 * abs(numeric), "element \(element) of item \(item)", file: file, line: line)
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 10, file: file, line: line)
    }

    func testOutputUnitGradientMatchesFiniteDifferences() throws {
        let model = try smallModel()
        let input = batch(2)
        let engine = try SaliencyEngine(model: model, objective: .output(index: 0, unit: 2))
        let gradient = try engine.run(input).gradient
        try assertGradientMatchesFiniteDifferences(model, objective: { model, x in
            let y = try model.forward(x)[0]
            return (0..<x.batchSize).map { Double(y.scalars[$0 * 3 + 2]) }
        }, engineGradient: gradient, input: input)
    }

    func testFilterObjectiveIsTheGradientOfTheMeanActivation() throws {
        let model = try smallModel()
        let input = batch(2)
        let engine = try SaliencyEngine(model: model, objective: .filter(layer: "conv2", filter: 3))
        let gradient = try engine.run(input).gradient
        try assertGradientMatchesFiniteDifferences(model, objective: { model, x in
            _ = try model.forward(x)
            let activation = model.activation(of: "conv2")!
            let positions = activation.shape[1] * activation.shape[2]
            return (0..<x.batchSize).map { item in
                (0..<positions).reduce(0.0) { $0 + Double(activation.scalars[(item * positions + $1) * 5 + 3]) } / Double(positions)
            }
        }, engineGradient: gradient, input: input)
    }

    func testInvalidObjectivesAreUsageErrors() throws {
        let model = try smallModel()
        XCTAssertThrowsError(try SaliencyEngine(model: model, objective: .output(index: 0, unit: 3))) {
            XCTAssertEqual(($0 as? SaliencyError)?.kind, .usage)
        }
        XCTAssertThrowsError(try SaliencyEngine(model: model, objective: .filter(layer: "nope", filter: 0)))
        XCTAssertThrowsError(try SaliencyEngine(model: model, objective: .filter(layer: "dense", filter: 0)))
        XCTAssertThrowsError(try SaliencyEngine(model: model, objective: .filter(layer: "conv2", filter: 5)))
    }

    func testGuidedBackpropBlocksNegativeGradientsAtRectifiers() throws {
        let model = try smallModel()
        let plain = try SaliencyEngine(model: model).run(batch(2)).gradient
        let guided = try SaliencyEngine(model: model, backpropModifier: .guided).run(batch(2)).gradient
        let rectified = try SaliencyEngine(model: model, backpropModifier: .rectified).run(batch(2)).gradient
        XCTAssertNotEqual(plain.scalars, guided.scalars)
        XCTAssertNotEqual(guided.scalars, rectified.scalars)
        XCTAssertTrue(guided.scalars.allSatisfy(\.isFinite))
    }
}
