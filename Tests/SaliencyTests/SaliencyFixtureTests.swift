import Foundation
import ModelImport
import NeuralNet
import SteerLensSupport
import TestSupport
import XCTest
@testable import Saliency

/// Every map, backprop modifier and objective against fixtures computed by real TensorFlow and
/// cross-checked with tf-keras-vis (`Tests/Fixtures/saliency`, see its README for the semantics).
final class SaliencyFixtureTests: XCTestCase {
    struct Case: Decodable {
        struct Filter: Decodable { let layer: String; let k: Int }
        let output_index: Int
        let unit: Int
        let filter: Filter?
    }

    let root = TestPaths.fixtures.appendingPathComponent("saliency")

    func load(_ name: String) throws -> (folder: URL, spec: Case, model: Model, input: Tensor) {
        let folder = root.appendingPathComponent(name)
        let spec = try JSONDecoder().decode(Case.self, from: Data(contentsOf: folder.appendingPathComponent("case.json")))
        let model = try KerasModelLoader.load(from: folder.appendingPathComponent("model.h5")).model
        let input = try NPYArray(contentsOf: folder.appendingPathComponent("input.npy"))
        return (folder, spec, model, Tensor(shape: input.shape, scalars: input.values))
    }

    func reference(_ folder: URL, _ file: String) throws -> NPYArray {
        try NPYArray(contentsOf: folder.appendingPathComponent("\(file).npy"))
    }

    /// Per image: |ours − reference| ≤ 1e-3·max|reference image| (the gradient's own scale).
    func assertGradient(_ ours: Tensor, _ expected: NPYArray, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(ours.shape, expected.shape, label, file: file, line: line)
        let items = expected.shape[0], perItem = expected.values.count / items
        for item in 0..<items {
            let slice = Array(expected.values[(item * perItem)..<((item + 1) * perItem)])
            let comparison = TensorComparison("\(label)[\(item)]", actual: Array(ours.scalars[(item * perItem)..<((item + 1) * perItem)]),
                                              expected: slice, shape: Array(expected.shape.dropFirst()), atol: 1e-3 * slice.map(abs).max()!, rtol: 0)
            XCTAssertTrue(comparison.passed, comparison.description, file: file, line: line)
        }
    }

    func assertMap(_ ours: Tensor?, _ expected: NPYArray, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let comparison = TensorComparison(label, actual: ours?.scalars ?? [], expected: expected.values, shape: expected.shape, atol: 1e-4, rtol: 0)
        XCTAssertTrue(comparison.passed, comparison.description, file: file, line: line)
    }

    /// Our reduction applied to the REFERENCE gradient must give the reference map: this checks the
    /// ill-conditioned maps (maintain, invert) independently of last-bit differences in g.
    func assertFormula(_ kind: SaliencyMapKind, gradient: NPYArray, expected: NPYArray, file: StaticString = #filePath, line: UInt = #line) {
        let (items, channels) = (gradient.shape[0], gradient.shape[3])
        let maps = gradient.values.withUnsafeBufferPointer {
            SaliencyReduction.maps(gradient: $0, items: items, pixels: gradient.values.count / items / channels, channels: channels,
                                   modifier: kind.modifier, keepChannels: false)
        }
        let comparison = TensorComparison("\(kind) formula", actual: maps, expected: expected.values, shape: expected.shape, atol: 1e-5, rtol: 0)
        XCTAssertTrue(comparison.passed, comparison.description, file: file, line: line)
    }

    func checkPlainMaps(_ name: String, kinds: [String]) throws {
        let (folder, spec, model, input) = try load(name)
        let mapKinds = try kinds.map(SaliencyMapKind.named)
        let engine = try SaliencyEngine(model: model, objective: .output(index: spec.output_index, unit: spec.unit), kinds: mapKinds)
        let result = try engine.run(input)
        XCTAssertEqual(engine.backwardPassCount, 1)
        let output = try reference(folder, "output")
        let predictions = TensorComparison("output", actual: result.outputs[spec.output_index].scalars, expected: output.values, shape: output.shape, atol: 1e-5, rtol: 1e-4)
        XCTAssertTrue(predictions.passed, predictions.description)
        let gradient = try reference(folder, "gradient")
        assertGradient(result.gradient, gradient, "\(name) g")
        for kind in mapKinds {
            let expected = try reference(folder, kind.name)
            if kind.modifier == .smallValues || kind.modifier == .invert {
                assertFormula(kind, gradient: gradient, expected: expected)
            } else {
                assertMap(result.maps[kind], expected, "\(name) \(kind)")
            }
        }
    }

    func checkBackpropModifiers(_ name: String) throws {
        let (folder, spec, model, input) = try load(name)
        for (modifier, prefix) in [(BackpropModifier.guided, "guided"), (.rectified, "rectified")] {
            let engine = try SaliencyEngine(model: model, objective: .output(index: spec.output_index, unit: spec.unit),
                                            backpropModifier: modifier, kinds: [.increase])
            let result = try engine.run(input)
            assertGradient(result.gradient, try reference(folder, "\(prefix)_gradient"), "\(name) \(prefix) g")
            assertMap(result.maps[.increase], try reference(folder, "\(prefix)_increase"), "\(name) \(prefix) increase")
        }
    }

    func testReLUModelAllMaps() throws {
        try checkPlainMaps("pilotnet_relu", kinds: ["increase", "decrease", "maintain", "absolute", "relu", "invert"])
    }

    func testELUModelAllMaps() throws {
        try checkPlainMaps("pilotnet_elu", kinds: ["increase", "decrease", "maintain", "absolute", "relu", "invert"])
    }

    func testVectorOutputUnitSelection() throws {
        try checkPlainMaps("two_outputs", kinds: ["increase", "decrease", "maintain"])
    }

    func testGuidedAndRectifiedOnReLU() throws { try checkBackpropModifiers("pilotnet_relu") }

    /// keras-vis ignores ELU; SteerLens gates it like ReLU (see Tests/Fixtures/saliency/README.md).
    func testGuidedAndRectifiedOnELU() throws { try checkBackpropModifiers("pilotnet_elu") }

    /// Stand-alone LeakyReLU layers, gated like ReLU.
    func testGuidedAndRectifiedOnLeakyReLU() throws {
        try checkPlainMaps("pilotnet_leaky", kinds: ["increase"])
        try checkBackpropModifiers("pilotnet_leaky")
    }

    func testFilterSaliency() throws {
        let (folder, spec, model, input) = try load("pilotnet_relu")
        let filter = try XCTUnwrap(spec.filter)
        let engine = try SaliencyEngine(model: model, objective: .filter(layer: filter.layer, filter: filter.k), kinds: [.increase])
        let result = try engine.run(input)
        assertGradient(result.gradient, try reference(folder, "filter_gradient"), "filter g")
        assertMap(result.maps[.increase], try reference(folder, "filter_increase"), "filter increase")
    }

    func testEveryFixtureCaseIsTested() throws {
        let cases = try FileManager.default.contentsOfDirectory(atPath: root.path).filter {
            FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/case.json").path)
        }
        XCTAssertEqual(Set(cases), ["pilotnet_relu", "pilotnet_elu", "pilotnet_leaky", "two_outputs"])
    }
}
