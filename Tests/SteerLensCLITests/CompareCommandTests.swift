import Foundation
import SteerLensSupport
import TestSupport
import VideoIO
import XCTest

/// `steerlens compare` and `check` through the binary, on project-made models that share an input
/// size: pilotnet_relu and pilotnet_elu from the saliency fixtures.
final class CompareCommandTests: XCTestCase {
    static let directory: URL = try! TestPaths.scratchDirectory("compare")
    static let relu = TestPaths.fixtures.appendingPathComponent("saliency/pilotnet_relu/model.h5").path
    static let elu = TestPaths.fixtures.appendingPathComponent("saliency/pilotnet_elu/model.h5").path
    static let schema = TestPaths.fixtures.appendingPathComponent("junit/junit.xsd").path

    /// 40 frames whose file name is hostile HTML.
    static let clip: URL = {
        let url = directory.appendingPathComponent("<script>alert(1)</script>.mp4")
        try! TestClips.writeVideo(to: url, count: 40, size: PixelSize(width: 128, height: 64), encoding: .h264(frameRate: Rational(20, 1)))
        return url
    }()

    func path(_ name: String) -> String { Self.directory.appendingPathComponent(name).path }

    struct Output: Decodable {
        struct Report: Decodable {
            struct Clip: Decodable {
                struct Frame: Decodable { let delta: Double; let correlation: [String: Double]; let topIoU: [String: Double] }
                let frames: [Frame]
            }
            let clips: [Clip]
        }
        let passed: Bool
        let report: Report
    }

    func assertValidJUnit(_ file: String, failures: Int?, line: UInt = #line) throws {
        let result = try Command.run("xmllint", ["--noout", "--schema", Self.schema, file])
        XCTAssertEqual(result.status, 0, "JUnit XML does not validate: \(result.stderr)", line: line)
        let xml = try String(contentsOfFile: file, encoding: .utf8)
        if let failures { XCTAssertEqual(xml.components(separatedBy: "<failure ").count - 1, failures, line: line) }
        XCTAssertFalse(xml.contains("<script>"), "clip names are escaped in XML", line: line)
    }

    func testBaselineAgainstItselfPasses() throws {
        let out = path("self"), junit = path("self.xml")
        let result = try SteerLensBinary.run(["compare", Self.clip.path, "--baseline", Self.relu, "--candidate", Self.relu,
                                              "--out", out, "--junit", junit, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let output = try JSONDecoder().decode(Output.self, from: Data(result.stdout.utf8))
        XCTAssertTrue(output.passed)
        let frames = output.report.clips[0].frames
        XCTAssertEqual(frames.count, 40)
        XCTAssertTrue(frames.allSatisfy { $0.delta == 0 }, "deltas exactly 0")
        XCTAssertTrue(frames.allSatisfy { $0.correlation.values.allSatisfy { $0 == 1 } && $0.topIoU.values.allSatisfy { $0 == 1 } }, "correlations 1")
        try assertValidJUnit(junit, failures: 0)
        let html = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        XCTAssertEqual(HTMLStructure(html).problems, [])
        XCTAssertFalse(html.contains("<script>alert(1)</script>"))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;.mp4"))
        XCTAssertEqual(HTMLStructure(html).all("script").count, 0, "the comparison page runs no script")
    }

    func testDifferentModelFailsWithTheThresholdsNamed() throws {
        let out = path("regression"), junit = path("regression.xml")
        let result = try SteerLensBinary.run(["compare", Self.clip.path, "--baseline", Self.relu, "--candidate", Self.elu,
                                              "--out", out, "--junit", junit, "--max-delta", "0.001", "--min-correlation", "0.999"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("regression: ") && result.stderr.contains("max |delta|"), result.stderr)
        XCTAssertTrue(result.stderr.contains("mean increase map correlation"), result.stderr)
        try assertValidJUnit(junit, failures: nil)
        let html = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        XCTAssertTrue(html.contains("FAIL"))
        // Overlays of the most different frames, baseline and candidate.
        let images = try FileManager.default.subpathsOfDirectory(atPath: out).filter { $0.hasSuffix(".png") }
        XCTAssertTrue(images.contains { $0.contains("/baseline/increase/") } && images.contains { $0.contains("/candidate/increase/") }, "\(images)")
    }

    func testCheckAgainstARecordedRun() throws {
        let recorded = path("recorded-relu")
        let analysed = try SteerLensBinary.run(["analyze", Self.clip.path, "--model", Self.relu, "--out", recorded, "--png-every", "0"])
        XCTAssertEqual(analysed.status, 0, analysed.stderr)

        let same = try SteerLensBinary.run(["check", Self.clip.path, "--baseline-run", recorded, "--model", Self.relu, "--out", path("check-same"), "--json"])
        XCTAssertEqual(same.status, 0, same.stderr)
        let output = try JSONDecoder().decode(Output.self, from: Data(same.stdout.utf8))
        XCTAssertTrue(output.report.clips[0].frames.allSatisfy { $0.delta == 0 && $0.correlation.values.allSatisfy { $0 == 1 } })
        XCTAssertEqual(output.report.clips[0].frames.count, 40)

        let recordedCandidate = path("recorded-elu")
        XCTAssertEqual(try SteerLensBinary.run(["analyze", Self.clip.path, "--model", Self.elu, "--out", recordedCandidate, "--png-every", "0"]).status, 0)
        let regressed = try SteerLensBinary.run(["check", Self.clip.path, "--baseline-run", recordedCandidate + "/run.json", "--model", Self.relu,
                                                 "--out", path("check-regressed"), "--max-delta", "0.001", "--junit", path("check.xml")])
        XCTAssertEqual(regressed.status, 1, regressed.stderr)
        try assertValidJUnit(path("check.xml"), failures: nil)
    }

    /// A run recorded with `--transform` records it in run.json, and `check` applies it again: the same
    /// model shows no drift, though the transform changes its predictions.
    func testCheckAppliesTheRecordedTransforms() throws {
        let recorded = path("recorded-bright"), plain = path("recorded-plain")
        let analysed = try SteerLensBinary.run(["analyze", Self.clip.path, "--model", Self.relu, "--out", recorded, "--png-every", "0",
                                                "--transform", "brightness:80", "--transform", "blur:mean3"])
        XCTAssertEqual(analysed.status, 0, analysed.stderr)
        XCTAssertEqual(try SteerLensBinary.run(["analyze", Self.clip.path, "--model", Self.relu, "--out", plain, "--png-every", "0"]).status, 0)
        struct Run: Decodable {
            struct Settings: Decodable { let transforms: [String]? }
            struct Frame: Decodable { let prediction: Double }
            let settings: Settings
            let frames: [Frame]
        }
        func run(_ folder: String) throws -> Run { try JSONDecoder().decode(Run.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/run.json"))) }
        let (bright, untransformed) = (try run(recorded), try run(plain))
        XCTAssertEqual(bright.settings.transforms, ["brightness:80", "blur:mean3"])
        XCTAssertNil(untransformed.settings.transforms)
        XCTAssertTrue(zip(bright.frames, untransformed.frames).contains { $0.prediction != $1.prediction }, "the transforms must change the predictions")

        let same = try SteerLensBinary.run(["check", Self.clip.path, "--baseline-run", recorded, "--model", Self.relu, "--out", path("check-bright"), "--json"])
        XCTAssertEqual(same.status, 0, same.stderr)
        let output = try JSONDecoder().decode(Output.self, from: Data(same.stdout.utf8))
        XCTAssertEqual(output.report.clips[0].frames.count, 40)
        XCTAssertTrue(output.report.clips[0].frames.allSatisfy { $0.delta == 0 && $0.correlation.values.allSatisfy { $0 == 1 } })
    }

    /// `check` recomputes exactly what the recorded run explained — its output and unit, a layer
    /// filter, a backprop modifier — so a model checked against its own recording shows no drift.
    func testCheckReproducesTheRecordedExplanation() throws {
        let twoOutputs = TestPaths.fixtures.appendingPathComponent("saliency/two_outputs/model.h5").path
        let recordings: [(model: String, flags: [String])] = [
            (twoOutputs, ["--output", "aux", "--unit", "2", "--maps", "increase,absolute"]),
            (Self.relu, ["--backprop-modifier", "guided"]),
            (Self.relu, ["--layer", "conv2", "--filter", "3", "--maps", "relu"]),
        ]
        for (index, recording) in recordings.enumerated() {
            let recorded = path("recorded-explanation-\(index)")
            let analysed = try SteerLensBinary.run(["analyze", Self.clip.path, "--model", recording.model, "--out", recorded, "--png-every", "0"] + recording.flags)
            XCTAssertEqual(analysed.status, 0, analysed.stderr)
            let same = try SteerLensBinary.run(["check", Self.clip.path, "--baseline-run", recorded, "--model", recording.model,
                                                "--out", path("check-explanation-\(index)"), "--json"])
            XCTAssertEqual(same.status, 0, "\(recording.flags): \(same.stderr)")
            let output = try JSONDecoder().decode(Output.self, from: Data(same.stdout.utf8))
            XCTAssertEqual(output.report.clips[0].frames.count, 40)
            XCTAssertTrue(output.report.clips[0].frames.allSatisfy { $0.delta == 0 && $0.correlation.values.allSatisfy { $0 == 1 } },
                          "\(recording.flags): the recomputed maps and predictions equal the recorded ones")
        }
        // --output picks the candidate's head (recorded: aux, unit 2): the one-unit steering head has no unit 2…
        let narrow = try SteerLensBinary.run(["check", Self.clip.path, "--baseline-run", path("recorded-explanation-0"), "--model", twoOutputs,
                                              "--output", "steering", "--out", path("check-narrow-output")])
        XCTAssertEqual(narrow.status, 64, narrow.stderr)
        XCTAssertTrue(narrow.stderr.contains("output 'steering' has 1 units, unit 2 does not exist"), narrow.stderr)
        // …and aux (unit 0, as recorded) checked against a recorded steering head is another prediction.
        let steering = path("recorded-steering")
        XCTAssertEqual(try SteerLensBinary.run(["analyze", Self.clip.path, "--model", twoOutputs, "--out", steering, "--png-every", "0"]).status, 0)
        let other = try SteerLensBinary.run(["check", Self.clip.path, "--baseline-run", steering, "--model", twoOutputs, "--output", "aux",
                                             "--max-delta", "0.0001", "--out", path("check-other-output")])
        XCTAssertEqual(other.status, 1, other.stderr)
        let unknown = try SteerLensBinary.run(["check", Self.clip.path, "--baseline-run", path("recorded-explanation-0"), "--model", Self.relu,
                                               "--out", path("check-unknown-output")])
        XCTAssertEqual(unknown.status, 64, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("no output 'aux'"), unknown.stderr)
    }

    /// A run.json without a machine-readable explanation (older SteerLens) is refused, not guessed.
    func testCheckRefusesARecordingItCannotReproduce() throws {
        let recorded = path("recorded-old")
        XCTAssertEqual(try SteerLensBinary.run(["analyze", Self.clip.path, "--model", Self.relu, "--out", recorded, "--png-every", "0"]).status, 0)
        let runURL = URL(fileURLWithPath: recorded).appendingPathComponent("run.json")
        var run = try JSONSerialization.jsonObject(with: Data(contentsOf: runURL)) as! [String: Any]
        var settings = run["settings"] as! [String: Any]
        settings.removeValue(forKey: "explanation")
        run["settings"] = settings
        try JSONSerialization.data(withJSONObject: run).write(to: runURL)
        let refused = try SteerLensBinary.run(["check", Self.clip.path, "--baseline-run", recorded, "--model", Self.relu, "--out", path("check-old")])
        XCTAssertEqual(refused.status, 65, refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("does not record what its maps explain"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("check-old")))
    }

    /// run.json carries its layout version; `check` refuses one it does not know (a future or an unversioned
    /// file) by name, before reading anything else.
    func testCheckRefusesAnUnknownRunJSONVersion() throws {
        let recorded = path("recorded-versions")
        XCTAssertEqual(try SteerLensBinary.run(["analyze", Self.clip.path, "--model", Self.relu, "--out", recorded, "--png-every", "0"]).status, 0)
        let runURL = URL(fileURLWithPath: recorded).appendingPathComponent("run.json")
        let original = try JSONSerialization.jsonObject(with: Data(contentsOf: runURL)) as! [String: Any]
        XCTAssertEqual(original["schemaVersion"] as? Int, 1)
        for (version, expected) in [(2 as Int?, "schemaVersion 2 is not one this SteerLens reads (1)"), (nil, "has no schemaVersion")] {
            var run = original
            run["schemaVersion"] = version
            try JSONSerialization.data(withJSONObject: run).write(to: runURL)
            let refused = try SteerLensBinary.run(["check", Self.clip.path, "--baseline-run", recorded, "--model", Self.relu, "--out", path("check-version")])
            XCTAssertEqual(refused.status, 65, refused.stderr)
            XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
            XCTAssertTrue(refused.stderr.contains(expected), refused.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("check-version")))
        }
    }

    func testBadThresholdsAndRecordedRuns() throws {
        try "{\"maxDelta\": 0.1, \"maxDleta\": 2}".write(toFile: path("typo.json"), atomically: true, encoding: .utf8)
        let typo = try SteerLensBinary.run(["compare", Self.clip.path, "--baseline", Self.relu, "--candidate", Self.relu, "--thresholds", path("typo.json"), "--out", path("typo")])
        XCTAssertEqual(typo.status, 65, typo.stderr)
        XCTAssertTrue(typo.stderr.contains("maxDleta"), typo.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("typo")))

        let missing = try SteerLensBinary.run(["check", Self.clip.path, "--baseline-run", path("no-such-run"), "--model", Self.relu, "--out", path("nothing")])
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
    }
}
