import Foundation
import NeuralNet
import SteerLensSupport
import TestSupport
import XCTest
@testable import ModelImport

/// Bad ONNX files are refused with one error naming what is wrong (exit 65 or 64), never a trap:
/// the error models of Tests/Fixtures/onnx/errors (generate_error_models.py), truncated and random
/// bytes, and extra inputs without or with unknown `--input` values.
final class ONNXErrorTests: XCTestCase {
    static let errors = ONNXFixtureTests.root.appendingPathComponent("errors")
    static let demo = TestPaths.repository.appendingPathComponent("Datasets/models/pilotnet-demo.onnx")

    func load(_ name: String) throws -> LoadedModel { try ONNXModelLoader.load(from: Self.errors.appendingPathComponent(name)) }

    func testUnsupportedOperatorNamesTheOperatorAndTheNode() {
        XCTAssertThrowsError(try load("unsupported_op.onnx")) { error in
            XCTAssertEqual(error as? ModelImportError, .unsupportedOperator(node: "gelu_erf", op: "Erf"))
            XCTAssertEqual((error as? ModelImportError)?.kind.exitCode, 65)
        }
    }

    func testGroupedConvolutionIsRefusedNamingTheNode() {
        XCTAssertThrowsError(try load("unsupported_group.onnx")) { error in
            guard case .unsupportedConfig(let layer, let detail)? = error as? ModelImportError else { return XCTFail("\(error)") }
            XCTAssertEqual(layer, "grouped")
            XCTAssertTrue(detail.contains("group 2"), detail)
        }
    }

    func testExternalDataOutsideTheModelFolderIsRefused() {
        XCTAssertThrowsError(try load("escaping_external.onnx")) { error in
            guard case .invalidONNX(_, let detail)? = error as? ModelImportError else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("outside the model's folder") && detail.contains("../outside.bin"), detail)
        }
    }

    func testMissingExternalDataFileIsAMissingInput() {
        XCTAssertThrowsError(try load("missing_external.onnx")) { error in
            XCTAssertEqual((error as? ModelImportError)?.kind, .missingInput, "\(error)")
        }
    }

    /// Every prefix length class of a real model: truncated protobufs never trap.
    func testTruncatedAndRandomBytesAreInvalidONNX() throws {
        let data = try Data(contentsOf: Self.demo)
        let folder = Self.demo.deletingLastPathComponent()
        for length in [0, 1, 7, 100, 1000, 50_000, data.count - 1] {
            XCTAssertThrowsError(try ONNXModelLoader.load(data: data.prefix(length), path: "cut.onnx", folder: folder)) { error in
                guard case .invalidONNX? = error as? ModelImportError else { return XCTFail("length \(length): \(error)") }
            }
        }
        var generator = SeededRandom(seed: 20261203)
        for _ in 0..<20 {
            let bytes = Data((0..<2000).map { _ in UInt8.random(in: 0...255, using: &generator) })
            XCTAssertThrowsError(try ONNXModelLoader.load(data: bytes, path: "random.onnx", folder: folder))
        }
    }

    /// Mutated real models (seeded byte flips in every part of the file): each loads, runs, or throws —
    /// a cheap in-suite version of `FuzzONNX`.
    func testMutatedModelsLoadOrThrowButNeverTrap() throws {
        let environment = ProcessInfo.processInfo.environment
        let fixture = environment["STEERLENS_ONNX_MUTATION_CASE"] ?? "ops_mix_opset11"
        let original = try Data(contentsOf: ONNXFixtureTests.root.appendingPathComponent("\(fixture)/model.onnx"))
        var generator = SeededRandom(seed: UInt64(environment["STEERLENS_ONNX_MUTATION_SEED"] ?? "18") ?? 18)
        var loaded = 0, refused = 0
        for _ in 0..<(Int(environment["STEERLENS_ONNX_MUTATIONS"] ?? "") ?? 150) {
            var bytes = [UInt8](original)
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            do {
                let model = try ONNXModelLoader.load(data: Data(bytes), path: "mutated.onnx", folder: ONNXFixtureTests.root, unsetInputValue: 0)
                if model.inputShape.reduce(1, *) <= 1 << 16, let output = try model.model.forward(Tensor(zeros: [1] + model.inputShape)).first, output.count > 0 {
                    _ = model.model.backward(output: 0, unit: 0)
                }
                loaded += 1
            } catch {
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, 0)
        print("mutated models: \(loaded) loaded, \(refused) refused")
    }

    func testExtraInputNeedsAValueAndUnknownNamesAreRefused() throws {
        let donkey = ONNXFixtureTests.root.appendingPathComponent("donkey_two_outputs_opset17/model.onnx")
        XCTAssertThrowsError(try ONNXModelLoader.load(from: donkey)) { error in
            XCTAssertEqual(error as? ModelImportError, .missingInputValue(name: "speed", shape: [1]))
            XCTAssertEqual((error as? ModelImportError)?.kind.exitCode, 64)
        }
        XCTAssertThrowsError(try ONNXModelLoader.load(from: donkey, inputValues: ["speed": 1, "gear": 2])) { error in
            XCTAssertEqual(error as? ModelImportError, .unknownInputValue(name: "gear", inputs: ["speed"]))
        }
        // The value changes the prediction: it really reaches the graph.
        let frame = Tensor(repeating: 100, shape: [1, 96, 72, 3])
        let slow = try ONNXModelLoader.load(from: donkey, inputValues: ["speed": 0]).model.forward(frame)[1].scalars
        let fast = try ONNXModelLoader.load(from: donkey, inputValues: ["speed": 5]).model.forward(frame)[1].scalars
        XCTAssertNotEqual(slow, fast)
    }

    /// Window attributes outside ``LayerValueLimits`` (a crafted file's `Int64.max` stride, a pad past
    /// 65536) are refused naming the node, before any window arithmetic could overflow.
    func testWindowAttributesOutsideTheirBoundsAreRefused() throws {
        let huge = Int(Int64.max)
        let cases: [(attributes: [String: ONNXAttribute], expected: String)] = [
            (["kernel_shape": .ints([2, 2]), "strides": .ints([huge, 1])], "1…65536"),
            (["kernel_shape": .ints([0, 2])], "1…65536"),
            (["kernel_shape": .ints([2, 2]), "pads": .ints([0, 0, (1 << 16) + 1, 0])], "four non-negative values"),
            (["kernel_shape": .ints([2, 2]), "pads": .ints([0, -1, 0, 0])], "four non-negative values"),
        ]
        // A converter about to convert a `MaxPool` node with `attributes` on an 8×8 single-channel input.
        func pool(_ attributes: [String: ONNXAttribute]) -> ONNXGraphConverter {
            let converter = ONNXGraphConverter(consumers: [:], inputNames: ["x"], batchSource: "x", opset: 11)
            converter.values["x"] = .runtime(.init(node: "x", shape: [1, 1, 8, 8], layout: .channelsLast))
            converter.current = ONNXNode(name: "pool", opType: "MaxPool", domain: "", inputs: ["x"], outputs: ["y"], attributes: attributes)
            return converter
        }
        for (attributes, expected) in cases {
            XCTAssertThrowsError(try pool(attributes).convert(), "\(attributes)") { error in
                guard case .unsupportedConfig(let layer, let detail)? = error as? ModelImportError else { return XCTFail("\(error)") }
                XCTAssertEqual(layer, "pool")
                XCTAssertTrue(detail.contains(expected), detail)
            }
        }
        // Inside the bounds the same node converts.
        XCTAssertNoThrow(try pool(["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "pads": .ints([0, 0, 0, 0])]).convert())
    }

    /// Constant folding on its own: `Shape → Gather → Unsqueeze → Concat` as PyTorch writes `x.view(x.size(0), -1)`.
    func testShapeChainFoldsToTheReshapeTarget() throws {
        let converter = ONNXGraphConverter(consumers: [:], inputNames: ["x"], batchSource: "x", opset: 11)
        converter.values["x"] = .runtime(.init(node: "x", shape: [1, 64, 1, 18], layout: .channelsLast))
        converter.values["zero"] = .constant(ONNXConstant(scalar: 0, isInteger: true))
        converter.values["minus_one"] = .constant(ONNXConstant(integers: [-1]))
        let nodes = [
            ONNXNode(name: "shape", opType: "Shape", domain: "", inputs: ["x"], outputs: ["s"], attributes: [:]),
            ONNXNode(name: "gather", opType: "Gather", domain: "", inputs: ["s", "zero"], outputs: ["n"], attributes: ["axis": .int(0)]),
            ONNXNode(name: "unsqueeze", opType: "Unsqueeze", domain: "", inputs: ["n"], outputs: ["n1"], attributes: ["axes": .ints([0])]),
            ONNXNode(name: "concat", opType: "Concat", domain: "", inputs: ["n1", "minus_one"], outputs: ["target"], attributes: ["axis": .int(0)]),
        ]
        for node in nodes {
            converter.current = node
            try converter.convert()
        }
        guard case .constant(let target)? = converter.values["target"] else { return XCTFail("not folded") }
        XCTAssertEqual(target.integers, [1, -1])
        XCTAssertTrue(converter.nodes.isEmpty, "folding adds no engine layer")
    }
}
