import Foundation
import NeuralNet
import SteerLensSupport
import TestSupport
import XCTest
@testable import ModelImport

/// Every way a model file can be wrong gives a one-line ``ModelImportError`` with a hint, never a crash.
/// The bad files are made here: random bytes, a truncated fixture, and small HDF5 files written through
/// the importer's own HDF5 layer.
final class ModelImportErrorTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try TestPaths.temporaryDirectory(self)
    }

    func testMissingFile() {
        let url = directory.appendingPathComponent("absent.h5")
        assertLoadFails(url, .fileNotFound(path: url.path), kind: .missingInput)
    }

    func testDirectoryIsUnreadable() {
        assertLoadFails(directory, kind: .missingInput) { error in
            guard case .unreadable = error else { return XCTFail("\(error)") }
        }
    }

    func testRandomBytesAreNotHDF5() throws {
        let url = directory.appendingPathComponent("random.h5")
        var generator = SeededRandom(seed: 20261203)
        try Data((0..<10_000).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: url)
        assertLoadFails(url, .notHDF5(path: url.path), kind: .badInput)
        let empty = directory.appendingPathComponent("empty.h5")
        try Data().write(to: empty)
        assertLoadFails(empty, .notHDF5(path: empty.path), kind: .badInput)
    }

    func testTruncatedFixture() throws {
        let source = TestPaths.kerasFixtures.appendingPathComponent("pilotnet_small/model.h5")
        guard let data = FileManager.default.contents(atPath: source.path) else { throw XCTSkip("fixture pilotnet_small missing") }
        for fraction in [0.5, 0.9] {
            let url = directory.appendingPathComponent("truncated-\(fraction).h5")
            try data.prefix(Int(Double(data.count) * fraction)).write(to: url)
            assertLoadFails(url, kind: .badInput) { error in
                guard case .truncated(let path, let detail) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(path, url.path)
                XCTAssertTrue(detail.contains("truncated"), detail)
            }
        }
    }

    func testHDF5WithoutModel() throws {
        let url = directory.appendingPathComponent("data.h5")
        try KerasTestFiles.writeNonModel(to: url)
        assertLoadFails(url, .noModel(path: url.path), kind: .badInput) { error in
            XCTAssertTrue(error.hint.contains("--architecture"), error.hint)
        }
    }

    func testWeightsOnlyNeedsArchitecture() throws {
        let url = try writeModel(config: denseConfig(), weights: denseWeights(), weightsOnly: true)
        assertLoadFails(url, .architectureRequired(path: url.path), kind: .badInput)
        let architecture = directory.appendingPathComponent("arch.json")
        try Data(denseConfig().utf8).write(to: architecture)
        let loaded = try KerasModelLoader.load(from: url, architecture: architecture)
        XCTAssertEqual(loaded.inputShape, [3])
        let output = try loaded.model.forward(Tensor(shape: [1, 3], scalars: [1, 2, 3]))
        let expected: [Float] = [22.5, 27.5] // [1, 2, 3] · [[1, 2], [3, 4], [5, 6]] + [0.5, -0.5]
        XCTAssertEqual(output[0].scalars, expected)
        let bad = directory.appendingPathComponent("bad.json")
        try Data("{\"class_name\": ".utf8).write(to: bad)
        assertLoadFails(url, architecture: bad, kind: .badInput) { error in
            guard case .invalidArchitecture(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, bad.path)
        }
    }

    func testUnknownLayerClassNamesLayerAndClass() throws {
        let config = sequential([#"{"class_name": "Conv3D", "config": {"name": "volume", "filters": 2, "batch_input_shape": [null, 4, 4, 4, 1]}}"#])
        let url = try writeModel(config: config, weights: ["volume": []])
        assertLoadFails(url, .unknownLayer(layer: "volume", className: "Conv3D"), kind: .badInput)
    }

    func testUnresolvableLambdaNamesLayerAndShowsOverrideHint() throws {
        let config = sequential([#"{"class_name": "Lambda", "config": {"name": "mystery", "function": ["bm90IGJ5dGVjb2Rl\n", null, null], "function_type": "lambda", "batch_input_shape": [null, 4, 4, 3]}}"#])
        let url = try writeModel(config: config, weights: ["mystery": []])
        XCTAssertThrowsError(try KerasModelLoader.load(from: url)) { error in
            guard let error = error as? any SteerLensError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.kind, .badInput)
            XCTAssertTrue(error.message.contains("mystery"), error.message)
            XCTAssertTrue(error.hint.contains("--lambda"), error.hint)
        }
        // The override makes the same file loadable.
        let loaded = try KerasModelLoader.load(from: url, lambdaOverrides: ["mystery": [.affine(scale: 2, offset: 1)]])
        XCTAssertEqual(try loaded.model.forward(Tensor(repeating: 1, shape: [1, 4, 4, 3]))[0].scalars.first, 3)
    }

    func testWeightShapeMismatch() throws {
        var weights = denseWeights()
        weights["d"]![0] = ("d/kernel:0", [2, 3], [Float](repeating: 0, count: 6))
        let url = try writeModel(config: denseConfig(), weights: weights)
        assertLoadFails(url, .weightShapeMismatch(layer: "d", weight: "d/kernel:0", expected: [3, 2], found: [2, 3]), kind: .badInput)
    }

    func testNonFiniteWeight() throws {
        var weights = denseWeights()
        weights["d"]![1] = ("d/bias:0", [2], [0, .nan])
        let url = try writeModel(config: denseConfig(), weights: weights)
        assertLoadFails(url, .nonFiniteWeight(layer: "d", weight: "d/bias:0"), kind: .badInput)
    }

    func testMissingWeight() throws {
        var weights = denseWeights()
        weights["d"]!.removeLast()
        let url = try writeModel(config: denseConfig(), weights: weights)
        assertLoadFails(url, kind: .badInput) { error in
            guard case .missingWeights(let layer, let detail) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(layer, "d")
            XCTAssertTrue(detail.contains("bias"), detail)
        }
    }

    func testUnusedWeights() throws {
        var weights = denseWeights()
        weights["d"]!.append(("d/extra:0", [2], [0, 0]))
        let url = try writeModel(config: denseConfig(), weights: weights)
        assertLoadFails(url, .unusedWeights(layer: "d", names: ["d/extra:0"]), kind: .badInput)

        var strayLayer = denseWeights()
        strayLayer["ghost"] = [("ghost/kernel:0", [1], [0])]
        let stray = try writeModel(config: denseConfig(), weights: strayLayer, name: "stray.h5")
        assertLoadFails(stray, .unusedWeights(layer: "ghost", names: ["ghost/kernel:0"]), kind: .badInput)
    }

    func testWeightNamesPointingNowhere() throws {
        let url = directory.appendingPathComponent("dangling.h5")
        do {
            let root = try HDF5File(creatingAt: url.path).rootGroup()
            try root.writeStringAttribute("model_config", [denseConfig()])
            let weights = try root.createGroup("model_weights")
            try weights.writeStringAttribute("layer_names", ["d"], fixedLength: true)
            let layer = try weights.createGroup("d")
            try layer.writeStringAttribute("weight_names", ["d/kernel:0", "d/bias:0"], fixedLength: true)
        }
        assertLoadFails(url, kind: .badInput) { error in
            guard case .missingWeights(let layer, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(layer, "d")
        }
    }

    func testChannelsFirstIsUnsupported() throws {
        let config = sequential([#"{"class_name": "Conv2D", "config": {"name": "c", "filters": 1, "kernel_size": [1, 1], "data_format": "channels_first", "batch_input_shape": [null, 3, 4, 4]}}"#])
        let url = try writeModel(config: config, weights: ["c": [("c/kernel:0", [1, 1, 4, 1], [1, 1, 1, 1]), ("c/bias:0", [1], [0])]])
        assertLoadFails(url, kind: .badInput) { error in
            guard case .unsupportedConfig(let layer, let detail) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(layer, "c")
            XCTAssertTrue(detail.contains("channels_first"), detail)
        }
    }

    func testTheanoDimOrderingIsUnsupported() throws {
        let config = #"{"class_name": "Sequential", "config": [{"class_name": "Convolution2D", "config": {"name": "convolution2d_1", "nb_filter": 1, "nb_row": 1, "nb_col": 1, "dim_ordering": "th", "border_mode": "valid", "subsample": [1, 1], "activation": "linear", "bias": true, "batch_input_shape": [null, 3, 4, 4]}}]}"#
        let url = try writeModel(config: config, weights: ["convolution2d_1": [("convolution2d_1_W:0", [1, 3, 1, 1], [1, 1, 1]), ("convolution2d_1_b:0", [1], [0])]])
        assertLoadFails(url, kind: .badInput) { error in
            guard case .unsupportedConfig(let layer, let detail) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(layer, "convolution2d_1")
            XCTAssertTrue(detail.contains("'th'"), detail)
        }
    }

    func testModelConfigWithoutWeights() throws {
        let url = directory.appendingPathComponent("config-only.h5")
        do { try HDF5File(creatingAt: url.path).rootGroup().writeStringAttribute("model_config", [denseConfig()]) }
        assertLoadFails(url, kind: .badInput) { error in
            guard case .missingWeights = error else { return XCTFail("\(error)") }
        }
    }

    func testEveryErrorHasOneLineMessageAndHint() {
        let samples: [ModelImportError] = [
            .fileNotFound(path: "m.h5"), .unreadable(path: "m.h5", reason: "permission denied"), .notHDF5(path: "m.h5"),
            .truncated(path: "m.h5", detail: "eof"), .corrupt(path: "m.h5", detail: "x"), .noModel(path: "m.h5"),
            .architectureRequired(path: "m.h5"), .invalidArchitecture(path: "a.json", detail: "x"),
            .unknownLayer(layer: "l", className: "C"), .unsupportedConfig(layer: "l", detail: "x"),
            .unresolvableLambda(.unrecognised(layer: "l", lambdaSource: "lambda x: f(x)", reason: "x")), .weightShapeMismatch(layer: "l", weight: "w", expected: [1], found: [2]),
            .missingWeights(layer: "l", detail: "x"), .nonFiniteWeight(layer: "l", weight: "w"), .unusedWeights(layer: "l", names: ["w"]), .invalidGraph(detail: "x"),
            .unknownLambdaOverride(name: "n", lambdaLayers: ["lambda_1"]),
        ]
        for error in samples {
            XCTAssertFalse(error.message.isEmpty)
            XCTAssertFalse(error.hint.isEmpty)
            XCTAssertFalse(error.description.contains("\n"), error.description)
        }
    }

    // MARK: Helpers

    private typealias StoredWeight = KerasTestFiles.StoredWeight

    private func sequential(_ layers: [String]) -> String { KerasTestFiles.sequential(layers) }
    private func denseConfig() -> String { KerasTestFiles.denseConfig() }
    private func denseWeights() -> [String: [StoredWeight]] { KerasTestFiles.denseWeights() }

    private func writeModel(config: String, weights: [String: [StoredWeight]], weightsOnly: Bool = false, name: String = "model.h5") throws -> URL {
        try KerasTestFiles.writeModel(to: directory.appendingPathComponent(name), config: config, weights: weights, weightsOnly: weightsOnly)
    }

    private func assertLoadFails(
        _ url: URL, architecture: URL? = nil, _ expected: ModelImportError? = nil, kind: FailureKind,
        file: StaticString = #filePath, line: UInt = #line, _ check: (ModelImportError) -> Void = { _ in }
    ) {
        XCTAssertThrowsError(try KerasModelLoader.load(from: url, architecture: architecture), file: file, line: line) { error in
            guard let error = error as? ModelImportError else { return XCTFail("not a ModelImportError: \(error)", file: file, line: line) }
            if let expected { XCTAssertEqual(error, expected, file: file, line: line) }
            XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), file: file, line: line)
            check(error)
        }
    }
}
