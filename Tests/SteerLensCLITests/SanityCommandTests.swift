import Foundation
import TestSupport
import XCTest

/// `steerlens sanity` through the binary: outputs, one line per map, exit codes for bad input.
final class SanityCommandTests: XCTestCase {
    func testWritesSanityJSONAndPageAndPrintsOneLinePerMap() throws {
        let out = AnalyzeReportTests.directory.appendingPathComponent("sanity")
        let result = try SteerLensBinary.run(["sanity", AnalyzeReportTests.model, AnalyzeReportTests.hostileClip.path, "--frames", "3", "--every", "10",
                                              "--maps", "increase,decrease", "--out", out.path, "--overwrite"])
        XCTAssertTrue([0, 1].contains(result.status), result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, result.stdout)
        XCTAssertTrue(lines[0].hasPrefix("increase: fully randomised Spearman"), result.stdout)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("sanity.json"))) as? [String: Any]
        XCTAssertEqual(json?["frames"] as? [Int], [0, 10, 20])
        let cascade = try XCTUnwrap(json?["cascade"] as? [[String: Any]])
        XCTAssertFalse(cascade.isEmpty)
        let flagged = try XCTUnwrap(json?["flagged"] as? [String])
        XCTAssertEqual(result.status, flagged.isEmpty ? 0 : 1, "exit 1 exactly when a map is flagged")
        let page = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertEqual(HTMLStructure(page).problems, [])
        XCTAssertTrue(HTMLStructure(page).hasElement(id: "cascade"))
    }

    func testBadInputsExitWithTheirCodesAndWriteNothing() throws {
        let out = AnalyzeReportTests.directory.appendingPathComponent("sanity-bad")
        let missing = try SteerLensBinary.run(["sanity", "/nonexistent/model.h5", AnalyzeReportTests.hostileClip.path, "--out", out.path])
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
        let usage = try SteerLensBinary.run(["sanity", AnalyzeReportTests.model, AnalyzeReportTests.hostileClip.path, "--frames", "0", "--out", out.path])
        XCTAssertEqual(usage.status, 64, usage.stderr)
        let notAVideo = try SteerLensBinary.run(["sanity", AnalyzeReportTests.model, AnalyzeReportTests.labels.path, "--out", out.path])
        XCTAssertEqual(notAVideo.status, 65, notAVideo.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }
}
