import XCTest
@testable import Reporting

/// The lines `steerlens` prints about finished reports (the README transcripts quote them).
final class ConsoleSummaryTests: XCTestCase {
    func testThresholdCheckNamesValueAndLimit() {
        let check = ThresholdCheck(name: "max |delta|", value: 0.250_71, limit: 0.15, comparison: "≤", passed: false)
        XCTAssertEqual(check.description, "max |delta| = 0.2507, limit ≤ 0.15")
    }

    func testComparisonRegressionsNameClipAndOnlyFailedChecks() {
        let frames = [ComparedFrame(frame: 0, time: 0, baseline: 0, candidate: 0.3, label: nil, correlation: [:], topIoU: [:]),
                      ComparedFrame(frame: 1, time: 0.1, baseline: 0, candidate: 0.01, label: nil, correlation: [:], topIoU: [:])]
        let clip = ClipComparison(clip: "a.mp4", frames: frames, kinds: [], thresholds: ComparisonThresholds())
        let report = ComparisonReport(steerlensVersion: "test", baseline: "b.h5", candidate: "c.h5", thresholds: ComparisonThresholds(), kinds: [], clips: [clip])
        XCTAssertEqual(report.regressions, ["a.mp4: max |delta| = 0.3, limit ≤ 0.15", "a.mp4: p95 |delta| = 0.3, limit ≤ 0.05"])
        let calm = ClipComparison(clip: "b.mp4", frames: [frames[1]], kinds: [], thresholds: ComparisonThresholds())
        XCTAssertEqual(ComparisonReport(steerlensVersion: "test", baseline: "b.h5", candidate: "c.h5", thresholds: ComparisonThresholds(), kinds: [],
                                        clips: [calm]).regressions, [])
    }

    func testStressTableQuotesSpecificationsWithCommasAndSummaryAddsFlip() {
        func setting(_ specification: String) -> StressReport.SettingSummary {
            .init(specification: specification, transform: "t", parameter: "p", relation: "delta", frames: 10, violations: 3, violationRate: 0.3,
                  meanAbsoluteChange: 0.012_34, maxAbsoluteChange: 0.1)
        }
        var report = StressReport(steerlensVersion: "test", suite: "s", model: "m.h5", lambda: 5, delta: 0.1, thresholds: StressThresholds(),
                                  settings: [setting("translation:10,0"), setting("blur:mean3")], clips: [], violationRate: 0.3,
                                  flipViolationRate: nil, worst: [], checks: [], elapsedSeconds: 1)
        XCTAssertEqual(report.tableLines, ["transform,violation_rate,violations,frames,mean_abs_change,relation",
                                           "\"translation:10,0\",0.3000,3,10,0.0123,delta", "blur:mean3,0.3000,3,10,0.0123,delta"])
        XCTAssertEqual(report.summary, "violation rate 0.3000 (2 settings)")
        report.flipViolationRate = 0.05
        XCTAssertEqual(report.summary, "violation rate 0.3000 (2 settings), flip violation rate 0.0500")
    }

    func testFleetSummaryCountsStatusesAndListsProblems() {
        var missing = FleetReport.Clip(status: "missing", id: "c2", clip: "b.mp4")
        missing.detail = "no result"
        let failed = ThresholdCheck(name: "max |delta|", value: 0.2, limit: 0.15, comparison: "≤", passed: false)
        let report = FleetReport(steerlensVersion: "test", command: "compare", manifest: "m.csv",
                                 clips: [.init(status: "complete", id: "c1", clip: "a.mp4"), missing, .init(status: "stale", id: "c3", clip: "c.mp4")],
                                 frames: 48, metrics: nil, thresholds: nil, checks: [failed], mae: nil, worstClips: [], worstFrames: [], litter: ["clips/.c4.tmp"])
        XCTAssertEqual(report.summary, "merged 3 clips (1 complete, 1 missing, 0 incomplete, 0 failed, 1 stale), 48 frames")
        XCTAssertEqual(report.problems, ["missing: c2 (b.mp4): no result", "stale: c3 (c.mp4): ",
                                         "warning: left by a worker that died: clips/.c4.tmp", "regression: fleet: max |delta| = 0.2, limit ≤ 0.15"])
    }

    func testSanityLinesFlagMapsThatStillCorrelate() {
        let step = SanityReport.Step(layer: "dense", randomised: ["dense"], maps: ["increase": .init(spearman: 0.7234, ssim: 0.0441),
                                                                                 "decrease": .init(spearman: 0.1, ssim: 0.2)])
        let report = SanityReport(steerlensVersion: "test", model: "m.h5", clip: "a.mp4", frames: [0], maps: ["increase", "decrease"],
                                  initialiser: "glorot", seed: 0, threshold: 0.5, cascade: [step])
        XCTAssertEqual(report.summaryLines, ["increase: fully randomised Spearman 0.723, SSIM 0.044 — FLAGGED (maps do not depend on the weights)",
                                             "decrease: fully randomised Spearman 0.100, SSIM 0.200 — ok"])
    }

    func testMaintainScaleNamesMapToDisplayScales() {
        XCTAssertEqual(MaintainScale.allCases.map(\.displayScale), [.percentile(99), .logarithmic, .exact])
        XCTAssertEqual(MaintainScale(rawValue: "log"), .log)
    }
}
