import Foundation
import TestSupport
import XCTest

/// `steerlens stress` and `--transform` through the built binary, on the demo clip and models.
final class StressCommandTests: XCTestCase {
    let datasets = TestPaths.repository.appendingPathComponent("Datasets")
    var clip: String { datasets.appendingPathComponent("demo/drive.mp4").path }
    var model: String { datasets.appendingPathComponent("models/pilotnet-demo.h5").path }
    var labels: String { datasets.appendingPathComponent("demo/labels.csv").path }

    func writeSuite(_ text: String, in folder: URL, name: String = "suite.json") throws -> String {
        let file = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file.path
    }

    func testFailingSuiteWritesEveryOutputAndExitsOne() throws {
        let folder = try TestPaths.temporaryDirectory(self)
        let suite = try writeSuite(#"{"name": "quick", "transforms": ["brightness:60", "blur:mean3", "translation:10,10", "flip"], "thresholds": {"maxViolationRate": 0.1}}"#, in: folder)
        let out = folder.appendingPathComponent("report"), junit = folder.appendingPathComponent("stress.xml")
        let result = try SteerLensBinary.run(["stress", clip, "--model", model, "--labels", labels, "--suite", suite, "--every", "150",
                                              "--max-frames", "6", "--out", out.path, "--junit", junit.path])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("fail: violation rate = "), result.stderr)
        // The table on stdout: a header and one row per setting.
        let rows = result.stdout.split(separator: "\n")
        XCTAssertEqual(rows.first, "transform,violation_rate,violations,frames,mean_abs_change,relation")
        XCTAssertEqual(rows.count, 5)
        // With labels and a flip: originalMSE, labels of the worst cases and flipViolationRate are present.
        try assertMatchesStressSchema(out.appendingPathComponent("stress.json"), expecting: ["flipViolationRate"])

        struct Report: Decodable {
            struct Setting: Decodable { let specification: String; let frames: Int; let violations: Int; let relation: String }
            struct Worst: Decodable { let specification: String; let images: [String]; let correlation: [String: Double] }
            let settings: [Setting]; let worst: [Worst]; let passed: Bool; let violationRate: Double; let flipViolationRate: Double?
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: out.appendingPathComponent("stress.json")))
        XCTAssertFalse(report.passed)
        XCTAssertEqual(report.settings.map(\.specification), ["brightness:60", "blur:mean3", "translation:10,10", "flip"])
        XCTAssertEqual(report.settings.map(\.frames), [6, 6, 6, 6])
        XCTAssertEqual(report.settings.map(\.relation), ["labels", "labels", "labels", "flip"])
        XCTAssertNotNil(report.flipViolationRate)
        XCTAssertEqual(report.worst.count, 4)
        for worst in report.worst {
            XCTAssertEqual(worst.images.count, 4)
            XCTAssertNotNil(worst.correlation["increase"])
            for image in worst.images {
                let size = try pngDimensions(out.appendingPathComponent(image))
                XCTAssertEqual(size.width, 640, image)
            }
        }
        let csv = try String(contentsOf: out.appendingPathComponent("stress.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 1 + 6 * 4)
        let html = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("class=\"heatmap\"") && html.contains("<svg") && html.contains("FAIL"))
        let xml = try String(contentsOf: junit, encoding: .utf8)
        XCTAssertTrue(xml.contains("<failure") && xml.contains("testcase name=\"flip\""))
        let schema = try Command.run("xmllint", ["--noout", "--schema", TestPaths.repository.appendingPathComponent("Tests/Fixtures/junit/junit.xsd").path, junit.path])
        XCTAssertEqual(schema.status, 0, schema.stderr)
    }

    func testPassingSuiteWithoutLabelsExitsZero() throws {
        let folder = try TestPaths.temporaryDirectory(self)
        let suite = try writeSuite(#"{"transforms": ["blur:gaussian3"], "delta": 0.05, "thresholds": {"maxViolationRate": 0}}"#, in: folder)
        let result = try SteerLensBinary.run(["stress", clip, "--model", model, "--suite", suite, "--every", "200", "--max-frames", "4",
                                              "--out", folder.appendingPathComponent("report").path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("blur:gaussian3,0.0000,0,4,"), result.stdout)
        XCTAssertTrue(result.stdout.hasSuffix(",delta\n"), result.stdout)
        try assertMatchesStressSchema(folder.appendingPathComponent("report/stress.json"), expecting: [])
    }

    /// stress.json matches `docs/schemas/stress.schema.json`, holds the `expecting` optional keys, and
    /// the check can fail (a document without `settings` or with an unknown key does not match).
    func assertMatchesStressSchema(_ file: URL, expecting keys: [String], line: UInt = #line) throws {
        let schema = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.repository.appendingPathComponent("docs/schemas/stress.schema.json"))) as? [String: Any])
        var document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        XCTAssertEqual(Array(SchemaCheck.problems(document, schema: schema).prefix(10)), [], "stress.json does not match docs/schemas/stress.schema.json", line: line)
        for key in keys { XCTAssertNotNil(document[key], "stress.json has no \(key)", line: line) }
        document["settings"] = nil
        document["surprise"] = 1
        XCTAssertEqual(SchemaCheck.problems(document, schema: schema).sorted(), ["$: missing settings", "$: unexpected key surprise"], line: line)
    }

    func testBadSuitesAndTransformsFailWithOneLine() throws {
        let folder = try TestPaths.temporaryDirectory(self)
        let unknown = try writeSuite(#"{"transforms": ["sepia:1"]}"#, in: folder, name: "unknown.json")
        let broken = try writeSuite("{", in: folder, name: "broken.json")
        let thresholds = try writeSuite(#"{"maxViolations": 1}"#, in: folder, name: "thresholds.json")
        let out = folder.appendingPathComponent("never")
        let cases: [([String], Int32, String)] = [
            (["stress", clip, "--model", model, "--suite", unknown, "--out", out.path], 65, "unknown transform 'sepia'"),
            (["stress", clip, "--model", model, "--suite", broken, "--out", out.path], 65, "is not a JSON object"),
            (["stress", clip, "--model", model, "--suite", folder.appendingPathComponent("none.json").path, "--out", out.path], 66, "does not exist"),
            (["stress", clip, "--model", model, "--suite", "deeptest", "--thresholds", thresholds, "--out", out.path], 65, "unknown threshold 'maxViolations'"),
            (["predict", clip, "--model", model, "--transform", "sepia:1"], 64, "unknown transform 'sepia'"),
            (["frames", clip, "--out", out.path, "--transform", "rotation:x"], 64, "'x' is not a number"),
            (["analyze", clip, "--model", model, "--transform", "blur:mean9", "--out", out.path], 64, "blur takes one of"),
        ]
        for (arguments, status, expected) in cases {
            let result = try SteerLensBinary.run(arguments)
            XCTAssertEqual(result.status, status, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(expected), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(arguments) wrote output")
        }
    }

    func testTransformFlagReachesTheFrames() throws {
        let folder = try TestPaths.temporaryDirectory(self)
        let plain = try SteerLensBinary.run(["predict", clip, "--model", model, "--every", "300", "--max-frames", "3"])
        let flipped = try SteerLensBinary.run(["predict", clip, "--model", model, "--every", "300", "--max-frames", "3", "--transform", "flip"])
        XCTAssertEqual(plain.status, 0, plain.stderr); XCTAssertEqual(flipped.status, 0, flipped.stderr)
        func values(_ text: String) -> [Double] { text.split(separator: "\n").dropFirst().map { Double($0.split(separator: ",")[2])! } }
        XCTAssertEqual(values(plain.stdout).count, 3)
        XCTAssertNotEqual(values(plain.stdout), values(flipped.stdout))
        // scale:2 doubles the frame the preprocessing sees: frames without --resize writes 1280x720.
        let out = folder.appendingPathComponent("frames")
        let frames = try SteerLensBinary.run(["frames", clip, "--out", out.path, "--max-frames", "1", "--transform", "scale:2"])
        XCTAssertEqual(frames.status, 0, frames.stderr)
        let size = try pngDimensions(out.appendingPathComponent("000000.png"))
        XCTAssertEqual(size.width, 1280); XCTAssertEqual(size.height, 720)
    }
}

/// `compare --stress`: the same grid on both demo models.
final class CompareStressTests: XCTestCase {
    let datasets = TestPaths.repository.appendingPathComponent("Datasets")

    func testCompareRunsTheSuiteOnBothModels() throws {
        let folder = try TestPaths.temporaryDirectory(self)
        let suite = folder.appendingPathComponent("suite.json")
        try Data(#"{"transforms": ["brightness:60", "rotation:9"]}"#.utf8).write(to: suite)
        let out = folder.appendingPathComponent("report")
        let arguments = ["compare", datasets.appendingPathComponent("demo/drive.mp4").path,
                         "--baseline", datasets.appendingPathComponent("models/pilotnet-demo.h5").path,
                         "--candidate", datasets.appendingPathComponent("models/pilotnet-demo-candidate.h5").path,
                         "--every", "150", "--max-frames", "6", "--out", out.path]
        let junit = folder.appendingPathComponent("junit.xml")
        let result = try SteerLensBinary.run(arguments + ["--stress", suite.path, "--junit", junit.path])
        XCTAssertTrue([0, 1].contains(result.status), result.stderr)
        XCTAssertTrue(result.stderr.contains("stress (suite): violation rate baseline "), result.stderr)
        struct Comparison: Decodable {
            struct Report: Decodable { let stress: Robustness }
            struct Robustness: Decodable {
                struct Setting: Decodable { let specification: String; let baselineViolationRate: Double; let candidateViolationRate: Double }
                let settings: [Setting]; let passed: Bool; let baselineViolationRate: Double; let candidateViolationRate: Double; let delta: Double
            }
            let passed: Bool; let report: Report
        }
        let comparison = try Data(contentsOf: out.appendingPathComponent("comparison.json"))
        let robustness = try JSONDecoder().decode(Comparison.self, from: comparison).report.stress
        XCTAssertEqual(robustness.settings.map(\.specification), ["brightness:60", "rotation:9"])
        // Without labels both models are judged by δ = 0.1 on the same 6 frames.
        XCTAssertEqual(robustness.delta, 0.1)
        let mean = (robustness.settings.map(\.candidateViolationRate).reduce(0, +)) / 2
        XCTAssertEqual(robustness.candidateViolationRate, mean, accuracy: 1e-12)
        // A robustness regression fails the comparison: exit 1, comparison.json's passed, the JUnit suite, the page.
        if !robustness.passed {
            XCTAssertEqual(result.status, 1)
            XCTAssertFalse(try JSONDecoder().decode(Comparison.self, from: comparison).passed)
        }
        let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.repository.appendingPathComponent("docs/schemas/comparison.schema.json")))
        XCTAssertEqual(Array(SchemaCheck.problems(try JSONSerialization.jsonObject(with: comparison), schema: try XCTUnwrap(schema as? [String: Any])).prefix(10)), [])
        let xml = try String(contentsOf: junit, encoding: .utf8)
        XCTAssertTrue(xml.contains(#"<testsuite name="stress suite""#), xml)
        XCTAssertEqual(xml.contains(#"classname="steerlens.stress"><failure"#) || xml.contains("<failure message=\"stress violation rate"), !robustness.passed, xml)
        let page = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertTrue(page.contains("Robustness: stress suite suite"), "the comparison page shows the stress verdict")
        XCTAssertTrue(page.contains("<td>rotation:9</td>"))

        // A bad suite fails before anything is compared or written.
        let broken = folder.appendingPathComponent("broken.json")
        try Data("[]".utf8).write(to: broken)
        let other = folder.appendingPathComponent("other")
        let failed = try SteerLensBinary.run(Array(arguments.dropLast(2)) + ["--out", other.path, "--stress", broken.path])
        XCTAssertEqual(failed.status, 65, failed.stderr)
        XCTAssertEqual(failed.stderr.split(separator: "\n").count, 1, failed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: other.path))
    }
}
