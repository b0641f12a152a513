import Analysis
import Foundation
import SteerLensSupport
import TestSupport
import VideoIO
import XCTest

/// `steerlens inspect` and `predict` on project-made Keras fixtures (reference outputs from real
/// TensorFlow) and on broken model files.
final class ModelCommandTests: XCTestCase {
    static let directory: URL = try! TestPaths.scratchDirectory("model-commands")
    static let pilotnet = TestPaths.kerasFixtures.appendingPathComponent("pilotnet_small")

    static var pilotnetFrames: URL { FixtureFrames.pilotnet }

    func testPredictReproducesTensorFlowOnThePixels() throws {
        let model = Self.pilotnet.appendingPathComponent("model.h5").path
        let result = try SteerLensBinary.run("predict", Self.pilotnetFrames.path, "--model", model)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "frame,time_s,prediction")
        let predictions = lines.dropFirst().map { Float($0.split(separator: ",")[2])! }
        let expected = try NPYArray(contentsOf: Self.pilotnet.appendingPathComponent("output.npy")).values
        let comparison = TensorComparison("prediction", actual: predictions, expected: expected, shape: [expected.count])
        XCTAssertTrue(comparison.passed, comparison.description)
        XCTAssertEqual(lines.dropFirst().map { $0.split(separator: ",")[0] }, ["0", "1"])
    }

    func testPredictWritesCSVAtomicallyAndBatchSizeDoesNotChangeResults() throws {
        let model = Self.pilotnet.appendingPathComponent("model.h5").path
        let csv = Self.directory.appendingPathComponent("out/predictions.csv")
        let batched = try SteerLensBinary.run("predict", Self.pilotnetFrames.path, "--model", model, "--csv", csv.path)
        XCTAssertEqual(batched.status, 0, batched.stderr)
        XCTAssertEqual(batched.stdout, "")
        let single = try SteerLensBinary.run("predict", Self.pilotnetFrames.path, "--model", model, "--batch-size", "1")
        XCTAssertEqual(try String(contentsOf: csv, encoding: .utf8), single.stdout)
    }

    func testWeightsOnlyFileWithArchitecture() throws {
        let folder = TestPaths.kerasFixtures.appendingPathComponent("weights_only")
        let result = try SteerLensBinary.run("predict", Self.pilotnetFrames.path, "--model", folder.appendingPathComponent("weights.h5").path,
                                             "--architecture", folder.appendingPathComponent("architecture.json").path)
        XCTAssertEqual(result.status, 0, result.stderr)
        let withoutArchitecture = try SteerLensBinary.run("inspect", folder.appendingPathComponent("weights.h5").path)
        XCTAssertEqual(withoutArchitecture.status, 65)
        XCTAssertTrue(withoutArchitecture.stderr.contains("--architecture"), withoutArchitecture.stderr)
    }

    func testKerasArchiveLoadsWithoutUnzip() throws {
        // The .keras zip is read in-process: inspect and predict work with PATH emptied (no unzip to find).
        let folder = TestPaths.kerasFixtures.appendingPathComponent("keras_zip")
        let model = folder.appendingPathComponent("model-deflated.keras").path
        let inspected = try Command.run(SteerLensBinary.url.path, ["inspect", model], environment: ["PATH": ""])
        XCTAssertEqual(inspected.status, 0, inspected.stderr)
        XCTAssertTrue(inspected.stdout.contains("Keras 3, keras_version 3."), inspected.stdout)
        XCTAssertTrue(inspected.stdout.contains("SeparableConv2D"), inspected.stdout)
        let frames = FixtureFrames.write(TestPaths.kerasFixtures.appendingPathComponent("pilotnet_small/input.npy"), as: "keras-zip")
        let predicted = try Command.run(SteerLensBinary.url.path, ["predict", frames.path, "--model", model, "--resize", "10x8"], environment: ["PATH": ""])
        XCTAssertEqual(predicted.status, 0, predicted.stderr)
        XCTAssertEqual(predicted.stdout.split(separator: "\n").count, 3, predicted.stdout)
    }

    func testInspectShowsLayersAndLambdaResolution() throws {
        let model = TestPaths.kerasFixtures.appendingPathComponent("lambda_resize/model.h5").path
        let text = try SteerLensBinary.run("inspect", model)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("resize(8,10,bilinear_tf1)"), text.stdout)
        XCTAssertTrue(text.stdout.contains("bytecode: lambda x:"), text.stdout)

        struct Card: Decodable {
            struct Layer: Decodable { let name: String; let className: String; let parameters: Int }
            struct Port: Decodable { let name: String; let shape: [Int] }
            let layers: [Layer]
            let inputs: [Port]
            let totalParameters: Int
        }
        let json = try SteerLensBinary.run("inspect", "--json", Self.pilotnet.appendingPathComponent("model.h5").path)
        XCTAssertEqual(json.status, 0, json.stderr)
        let card = try JSONDecoder().decode(Card.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(card.inputs.first?.shape, [32, 64, 3])
        XCTAssertEqual(card.layers.map(\.parameters).reduce(0, +), card.totalParameters)
        XCTAssertTrue(card.layers.contains { $0.className == "Conv2D" })
    }

    func testRealModelsLoadWithNoFlagsAndShowTheirLambdas() throws {
        let keras1 = try SteerLensBinary.run("inspect", try TestPaths.shared("models/naokishibuya-pilotnet-keras1.h5").path)
        XCTAssertEqual(keras1.status, 0, keras1.stderr)
        XCTAssertTrue(keras1.stdout.contains("lambda_1 = x*0.007843138-1.0"), keras1.stdout)
        XCTAssertTrue(keras1.stdout.contains("keras_version 1.2.1"), keras1.stdout)
        let keras2 = try SteerLensBinary.run("inspect", try TestPaths.shared("models/svh2811-pilotnet-bn-keras2.h5").path)
        XCTAssertEqual(keras2.status, 0, keras2.stderr)
        XCTAssertTrue(keras2.stdout.contains("lambda_1 = resize(66,200,bilinear_tf1)"), keras2.stdout)
        XCTAssertTrue(keras2.stdout.contains("lambda_2 = x*0.003921569-0.5"), keras2.stdout)
    }

    // MARK: Bad models: exit 65, one line with a hint, nothing on stdout

    func assertModelFails(_ arguments: [String], exitCode: Int32 = 65, mentioning fragments: [String],
                          file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try SteerLensBinary.run(arguments)
        XCTAssertEqual(result.status, exitCode, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stdout, "", file: file, line: line)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("steerlens: ") && result.stderr.contains("hint: "), result.stderr, file: file, line: line)
        for fragment in fragments { XCTAssertTrue(result.stderr.contains(fragment), "'\(fragment)' in \(result.stderr)", file: file, line: line) }
    }

    func model(_ name: String) -> URL { Self.directory.appendingPathComponent(name) }

    func testNotAnHDF5File() throws {
        try Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 2654435761) }).write(to: model("random.h5"))
        try assertModelFails(["inspect", model("random.h5").path], mentioning: ["not an HDF5 file"])
        try assertModelFails(["predict", Self.pilotnetFrames.path, "--model", model("random.h5").path], mentioning: ["not an HDF5 file"])
    }

    func testTruncatedModel() throws {
        let bytes = try Data(contentsOf: Self.pilotnet.appendingPathComponent("model.h5"))
        try bytes.prefix(bytes.count / 2).write(to: model("truncated.h5"))
        try assertModelFails(["inspect", model("truncated.h5").path], mentioning: ["truncated"])
    }

    func testHDF5WithoutAModel() throws {
        try KerasTestFiles.writeNonModel(to: model("data.h5"))
        try assertModelFails(["inspect", model("data.h5").path], mentioning: ["holds no Keras model"])
    }

    func testUnknownLayerClass() throws {
        let config = KerasTestFiles.sequential([#"{"class_name": "Conv3D", "config": {"name": "volume", "filters": 2, "batch_input_shape": [null, 4, 4, 4, 1]}}"#])
        try KerasTestFiles.writeModel(to: model("conv3d.h5"), config: config, weights: ["volume": []])
        try assertModelFails(["inspect", model("conv3d.h5").path], mentioning: ["'volume'", "'Conv3D'"])
    }

    func testUnresolvableLambdaAndItsOverride() throws {
        let config = KerasTestFiles.sequential([#"{"class_name": "Lambda", "config": {"name": "mystery", "function": ["bm90IGJ5dGVjb2Rl\n", null, null], "function_type": "lambda", "batch_input_shape": [null, 4, 4, 3]}}"#])
        try KerasTestFiles.writeModel(to: model("mystery.h5"), config: config, weights: ["mystery": []])
        try assertModelFails(["inspect", model("mystery.h5").path], mentioning: ["mystery", "--lambda"])
        let declared = try SteerLensBinary.run("inspect", model("mystery.h5").path, "--lambda", "mystery=x/127.5-1")
        XCTAssertEqual(declared.status, 0, declared.stderr)
        XCTAssertTrue(declared.stdout.contains("[--lambda]"), declared.stdout)
        let typo = try SteerLensBinary.run("inspect", model("mystery.h5").path, "--lambda", "mystery=x**2")
        XCTAssertEqual(typo.status, 64, typo.stderr)
    }

    func testWeightShapeMismatch() throws {
        var weights = KerasTestFiles.denseWeights()
        weights["d"]![0] = ("d/kernel:0", [2, 3], [Float](repeating: 0, count: 6))
        try KerasTestFiles.writeModel(to: model("mismatch.h5"), config: KerasTestFiles.denseConfig(), weights: weights)
        try assertModelFails(["inspect", model("mismatch.h5").path], mentioning: ["'d'", "d/kernel:0"])
    }

    func testInputShapeMismatch() throws {
        // A model on 3 features cannot take images.
        try KerasTestFiles.writeModel(to: model("dense.h5"), config: KerasTestFiles.denseConfig(), weights: KerasTestFiles.denseWeights())
        try assertModelFails(["predict", Self.pilotnetFrames.path, "--model", model("dense.h5").path], mentioning: ["3-channel or greyscale images"])
        // An explicit --resize that contradicts the model's input size.
        try assertModelFails(["predict", Self.pilotnetFrames.path, "--model", Self.pilotnet.appendingPathComponent("model.h5").path, "--resize", "200x66"],
                             mentioning: ["does not match the model input 64x32"])
    }
}
