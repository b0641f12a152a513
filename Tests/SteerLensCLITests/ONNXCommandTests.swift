import Foundation
import SteerLensSupport
import TestSupport
import VideoIO
import XCTest

/// ONNX models through the built binary: `inspect`, `predict`, `analyze`, `compare` and `check` on the
/// demo model exported from Keras to ONNX with the same weights (Datasets/scripts/export_demo_onnx.py),
/// the PyTorch fixtures (extra speed input, greyscale), and bad ONNX files (exit 65/64, one line).
final class ONNXCommandTests: XCTestCase {
    static let directory: URL = try! TestPaths.scratchDirectory("onnx-commands")
    static let models = TestPaths.repository.appendingPathComponent("Datasets/models")
    static let onnx = models.appendingPathComponent("pilotnet-demo.onnx").path
    static let keras = models.appendingPathComponent("pilotnet-demo.h5").path
    static let fixtures = TestPaths.fixtures.appendingPathComponent("onnx")

    static let clip: URL = {
        let url = directory.appendingPathComponent("clip.mp4")
        try! TestClips.writeVideo(to: url, count: 12, size: PixelSize(width: 160, height: 90), encoding: .h264(frameRate: Rational(10, 1)))
        return url
    }()

    func path(_ name: String) -> String { Self.directory.appendingPathComponent(name).path }

    func predictions(_ arguments: [String]) throws -> [Double] {
        let result = try SteerLensBinary.run(["predict", Self.clip.path] + arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.split(separator: "\n").dropFirst().map { Double($0.split(separator: ",")[2])! }
    }

    func testInspectShowsTheONNXGraphAsTheEngineRunsIt() throws {
        let result = try SteerLensBinary.run("inspect", Self.onnx)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("format:     ONNX opset 17, producer pytorch"), result.stdout)
        XCTAssertTrue(result.stdout.contains("inputs:     image (66, 200, 3)"), result.stdout)
        XCTAssertEqual(result.stdout.components(separatedBy: " Conv2D ").count - 1, 5, result.stdout)
        let keras = try SteerLensBinary.run("inspect", Self.keras)
        func parameters(_ text: String) -> Substring? { text.split(separator: "\n").first { $0.hasPrefix("parameters:") } }
        XCTAssertEqual(parameters(result.stdout), parameters(keras.stdout), "same network, same parameter count")
    }

    func testPredictMatchesTheKerasModelWithTheSameWeights() throws {
        let onnx = try predictions(["--model", Self.onnx]), keras = try predictions(["--model", Self.keras])
        XCTAssertEqual(onnx.count, 12)
        for (a, b) in zip(onnx, keras) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testCompareKerasBaselineWithONNXCandidatePassesAndCheckReplaysAnONNXRun() throws {
        let compared = try SteerLensBinary.run(["compare", Self.clip.path, "--baseline", Self.keras, "--candidate", Self.onnx,
                                                "--out", path("compare"), "--max-delta", "0.0001", "--min-correlation", "0.999"])
        XCTAssertEqual(compared.status, 0, compared.stderr)
        let recorded = path("recorded")
        let analysed = try SteerLensBinary.run(["analyze", Self.clip.path, "--model", Self.onnx, "--out", recorded, "--png-every", "0", "--quiet"])
        XCTAssertEqual(analysed.status, 0, analysed.stderr)
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: recorded + "/run.json")))
        let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.repository.appendingPathComponent("docs/schemas/run.schema.json")))
        XCTAssertEqual(Array(SchemaCheck.problems(document, schema: try XCTUnwrap(schema as? [String: Any])).prefix(10)), [], "an ONNX run.json matches the schema")
        XCTAssertEqual(((document as? [String: Any])?["model"] as? [String: Any])?["format"] as? String, "ONNX opset 17")
        let checked = try SteerLensBinary.run(["check", Self.clip.path, "--baseline-run", recorded, "--model", Self.onnx, "--out", path("check")])
        XCTAssertEqual(checked.status, 0, checked.stderr)
    }

    func testExtraInputNeedsAValue() throws {
        let donkey = Self.fixtures.appendingPathComponent("donkey_two_outputs_opset17/model.onnx").path
        let missing = try SteerLensBinary.run("predict", Self.clip.path, "--model", donkey)
        XCTAssertEqual(missing.status, 64, missing.stderr)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("'speed'") && missing.stderr.contains("--input speed=VALUE"), missing.stderr)
        let slow = try predictions(["--model", donkey, "--input", "speed=0", "--output", "throttle"])
        let fast = try predictions(["--model", donkey, "--input", "speed=3", "--output", "throttle"])
        XCTAssertEqual(slow.count, 12)
        XCTAssertNotEqual(slow, fast, "the speed reaches the graph")
        let unknown = try SteerLensBinary.run("predict", Self.clip.path, "--model", donkey, "--input", "gear=1")
        XCTAssertEqual(unknown.status, 64, unknown.stderr)
    }

    func testGreyscaleModelNeedsColorGray() throws {
        let gray = Self.fixtures.appendingPathComponent("resnet_gray_opset17/model.onnx").path
        let rgb = try SteerLensBinary.run("predict", Self.clip.path, "--model", gray)
        XCTAssertEqual(rgb.status, 65, rgb.stderr)
        XCTAssertTrue(rgb.stderr.contains("--color gray"), rgb.stderr)
        let analysed = try SteerLensBinary.run(["analyze", Self.clip.path, "--model", gray, "--color", "gray", "--out", path("gray"), "--quiet"])
        XCTAssertEqual(analysed.status, 0, analysed.stderr)
        let png = try FileManager.default.subpathsOfDirectory(atPath: path("gray")).first { $0.hasSuffix(".png") }
        XCTAssertNotNil(png, "overlays are drawn for greyscale models too")
    }

    func testBadONNXFilesExit65WithOneLine() throws {
        let unsupported = try SteerLensBinary.run("inspect", Self.fixtures.appendingPathComponent("errors/unsupported_op.onnx").path)
        XCTAssertEqual(unsupported.status, 65)
        XCTAssertTrue(unsupported.stderr.contains("'gelu_erf'") && unsupported.stderr.contains("'Erf'"), unsupported.stderr)
        XCTAssertEqual(unsupported.stderr.split(separator: "\n").count, 1, unsupported.stderr)
        let garbage = Self.directory.appendingPathComponent("garbage.onnx")
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }).write(to: garbage)
        let malformed = try SteerLensBinary.run("predict", Self.clip.path, "--model", garbage.path)
        XCTAssertEqual(malformed.status, 65, malformed.stderr)
        XCTAssertTrue(malformed.stderr.contains("is not a valid ONNX model"), malformed.stderr)
    }
}
