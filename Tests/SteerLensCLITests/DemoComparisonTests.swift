import Foundation
import TestSupport
import XCTest

/// The demo regression gate: the candidate demo model was trained without left curves, so comparing
/// it with the baseline on the demo clip must fail and point at left-curve frames.
final class DemoComparisonTests: XCTestCase {
    let datasets = TestPaths.repository.appendingPathComponent("Datasets")

    func testCandidateStarvedOfLeftCurvesIsCaught() throws {
        let out = try TestPaths.scratchDirectory("demo-compare")
        let result = try SteerLensBinary.run([
            "compare", datasets.appendingPathComponent("demo/drive.mp4").path,
            "--baseline", datasets.appendingPathComponent("models/pilotnet-demo.h5").path,
            "--candidate", datasets.appendingPathComponent("models/pilotnet-demo-candidate.h5").path,
            "--labels", datasets.appendingPathComponent("demo/labels.csv").path,
            "--every", "3", "--out", out.appendingPathComponent("report").path, "--json",
        ])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("regression: ") && result.stderr.contains("max |delta|"), result.stderr)

        // The frames that differ most are left curves (Datasets/demo/scene.csv: frame,situation,…).
        let scene = try String(contentsOf: datasets.appendingPathComponent("demo/scene.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        let situation = Dictionary(uniqueKeysWithValues: scene.map { (Int($0[0])!, String($0[1])) })
        struct Output: Decodable {
            struct Report: Decodable { struct Clip: Decodable { struct Frame: Decodable { let frame: Int; let delta: Double }; let frames: [Frame] }; let clips: [Clip] }
            let report: Report
        }
        let frames = try JSONDecoder().decode(Output.self, from: Data(result.stdout.utf8)).report.clips[0].frames
        let worst = frames.sorted { abs($0.delta) > abs($1.delta) }.prefix(20)
        let leftCurves = worst.filter { situation[$0.frame] == "left_curve" }.count
        XCTAssertGreaterThanOrEqual(leftCurves, 16, "the 20 largest deltas: \(worst.map { "\($0.frame) \(situation[$0.frame] ?? "?")" })")
        let html = try String(contentsOf: out.appendingPathComponent("report/index.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("FAIL"))
    }
}
