import Foundation
import SteerLensSupport
import TestSupport
import XCTest

/// `--bins MIN:MAX:N` (and the sidecar's `bins`) on a DonkeyCar-style categorical model: predictions are
/// the expected angle Σ pᵢ·cᵢ and saliency explains it, both against TensorFlow
/// (`Tests/Fixtures/keras/categorical_head`: `expected_angle.npy`, `expected_angle_gradient.npy`).
final class ClassifierHeadTests: XCTestCase {
    static let directory: URL = try! TestPaths.scratchDirectory("classifier-head")
    static let fixture = TestPaths.kerasFixtures.appendingPathComponent("categorical_head")
    static let frames: URL = FixtureFrames.write(fixture.appendingPathComponent("input.npy"), as: "categorical")
    static let model = fixture.appendingPathComponent("model.h5").path

    private func predictions(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [Float] {
        let result = try SteerLensBinary.run(["predict", Self.frames.path] + arguments)
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "frame,time_s,prediction", file: file, line: line)
        return lines.dropFirst().map { Float($0.split(separator: ",")[2])! }
    }

    func testPredictGivesTheExpectedAngle() throws {
        let expected = try NPYArray(contentsOf: Self.fixture.appendingPathComponent("expected_angle.npy")).values
        for arguments in [["--bins", "-1:1:15"], ["--bins", "-1:1:15", "--output", "angle_out"], ["--bins", "-1:1:15", "--output", "0"]] {
            let angles = try predictions(["--model", Self.model] + arguments)
            let comparison = TensorComparison("expected angle", actual: angles, expected: expected, shape: [2])
            XCTAssertTrue(comparison.passed, comparison.description)
        }
        // Without bins the first output is the 15 probabilities, not an angle.
        let plain = try SteerLensBinary.run(["predict", Self.frames.path, "--model", Self.model])
        XCTAssertTrue(plain.stdout.hasPrefix("frame,time_s,prediction_0,"), plain.stdout)
    }

    func testSidecarBinsActLikeTheFlag() throws {
        let copy = Self.directory.appendingPathComponent("donkey.h5")
        if !FileManager.default.fileExists(atPath: copy.path) { try FileManager.default.copyItem(atPath: Self.model, toPath: copy.path) }
        try Data(#"{"output": "angle_out", "bins": "-1:1:15"}"#.utf8).write(to: URL(fileURLWithPath: copy.path + ".steerlens.json"))
        XCTAssertEqual(try predictions(["--model", copy.path]), try predictions(["--model", Self.model, "--bins", "-1:1:15"]))
        // A flag overrides the sidecar's bins (other centres give other angles).
        XCTAssertNotEqual(try predictions(["--model", copy.path, "--bins", "0:2:15"]), try predictions(["--model", copy.path]))
        try Data(#"{"bins": "1:-1:15"}"#.utf8).write(to: URL(fileURLWithPath: copy.path + ".steerlens.json"))
        let invalid = try SteerLensBinary.run(["predict", Self.frames.path, "--model", copy.path])
        XCTAssertEqual(invalid.status, 65, invalid.stderr)
        XCTAssertEqual(invalid.stderr.split(separator: "\n").count, 1, invalid.stderr)
        XCTAssertTrue(invalid.stderr.contains("bins must be MIN:MAX:N"), invalid.stderr)
    }

    func testBinsThatDoNotFitTheOutputAreAUsageError() throws {
        for arguments in [["--bins", "-1:1:7"], ["--bins", "-1:1:15", "--output", "throttle_out"]] {
            let result = try SteerLensBinary.run(["predict", Self.frames.path, "--model", Self.model] + arguments)
            XCTAssertEqual(result.status, 64, result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("--bins") && result.stderr.contains("hint: "), result.stderr)
        }
        let malformed = try SteerLensBinary.run(["predict", Self.frames.path, "--model", Self.model, "--bins", "15"])
        XCTAssertEqual(malformed.status, 64, malformed.stderr)
        XCTAssertTrue(malformed.stderr.contains("MIN:MAX:N"), malformed.stderr)
    }

    func testAnalyzeExplainsTheExpectedAngleOrOneBin() throws {
        let angle = Self.directory.appendingPathComponent("angle")
        let result = try SteerLensBinary.run(["analyze", Self.frames.path, "--model", Self.model, "--bins", "-1:1:15", "--out", angle.path,
                                              "--overwrite", "--save-maps", "npy", "--maps", "increase", "--png-every", "0", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let reference = try NPYArray(contentsOf: Self.fixture.appendingPathComponent("expected_angle_gradient.npy"))
        let perItem = reference.values.count / 2
        var firstGradient: [Float] = []
        for item in 0..<2 {
            let expected = Array(reference.values[(item * perItem)..<((item + 1) * perItem)])
            let ours = try NPYArray(contentsOf: angle.appendingPathComponent(String(format: "gradients/%06d.npy", item))).values
            if item == 0 { firstGradient = ours }
            let comparison = TensorComparison("dangle/dx[\(item)]", actual: ours, expected: expected, shape: [12, 16, 3],
                                              atol: 1e-4 * expected.map(abs).max()!, rtol: 0)
            XCTAssertTrue(comparison.passed, comparison.description)
        }
        let csv = try String(contentsOf: angle.appendingPathComponent("frames.csv"), encoding: .utf8)
        let expectedAngle = try NPYArray(contentsOf: Self.fixture.appendingPathComponent("expected_angle.npy")).values
        let recorded = csv.split(separator: "\n").dropFirst().map { Float($0.split(separator: ",")[2])! }
        for (a, b) in zip(recorded, expectedAngle) { XCTAssertEqual(a, b, accuracy: 1e-5) }

        // --unit 3 explains bin 3's probability instead; the recorded prediction is still the angle.
        let bin = Self.directory.appendingPathComponent("bin3")
        let binResult = try SteerLensBinary.run(["analyze", Self.frames.path, "--model", Self.model, "--bins", "-1:1:15", "--unit", "3",
                                                 "--out", bin.path, "--overwrite", "--save-maps", "npy", "--maps", "increase", "--png-every", "0", "--quiet"])
        XCTAssertEqual(binResult.status, 0, binResult.stderr)
        let binGradient = try NPYArray(contentsOf: bin.appendingPathComponent("gradients/000000.npy")).values
        XCTAssertNotEqual(binGradient, firstGradient)
        XCTAssertEqual(try String(contentsOf: bin.appendingPathComponent("frames.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
            .map { Float($0.split(separator: ",")[2])! }, recorded)
    }

    func testCheckAgainstARecordedRunUsesTheBins() throws {
        let recorded = Self.directory.appendingPathComponent("recorded")
        let analysed = try SteerLensBinary.run(["analyze", Self.frames.path, "--model", Self.model, "--bins", "-1:1:15", "--out", recorded.path,
                                                "--overwrite", "--png-every", "0", "--quiet"])
        XCTAssertEqual(analysed.status, 0, analysed.stderr)
        let same = try SteerLensBinary.run(["check", Self.frames.path, "--baseline-run", recorded.path, "--model", Self.model, "--bins", "-1:1:15",
                                            "--out", Self.directory.appendingPathComponent("check-same").path, "--overwrite", "--max-delta", "0"])
        XCTAssertEqual(same.status, 0, same.stderr)
        // Other bin centres give other angles: the recorded predictions no longer match.
        let shifted = try SteerLensBinary.run(["check", Self.frames.path, "--baseline-run", recorded.path, "--model", Self.model, "--bins", "0:2:15",
                                               "--out", Self.directory.appendingPathComponent("check-shifted").path, "--overwrite", "--max-delta", "0.5"])
        XCTAssertEqual(shifted.status, 1, shifted.stderr)
    }
}
