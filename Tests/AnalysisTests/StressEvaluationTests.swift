import Analysis
import Foundation
import Reporting
import Transforms
import XCTest

/// The metamorphic relations and suites of `stress`, on hand-made predictions.
final class StressEvaluationTests: XCTestCase {
    func suite(_ specifications: [String], thresholds: StressThresholds = StressThresholds()) throws -> StressSuite {
        StressSuite(name: "test", settings: try specifications.map { StressSetting(try TransformParser.parse($0)) }, thresholds: thresholds)
    }

    func testDeepTestRelationUsesLambdaTimesTheOriginalMSE() throws {
        // Original errors 0.1 and −0.1 → MSE 0.01; λ 5 → a transformed squared error above 0.05 violates.
        let frames = [StressClipPredictions.FrameRecord(index: 0, time: 0, original: 0.1, label: 0),
                      .init(index: 1, time: 0.1, original: -0.1, label: 0)]
        // |error| 0.2 (0.04 ≤ 0.05, holds) and 0.3 (0.09 > 0.05, violates).
        let clip = StressClipPredictions(clip: "c", frames: frames, transformed: [[0.2, 0.3]])
        let evaluation = StressEvaluation(suite: try suite(["rotation:3"]), lambda: 5, delta: 0.01, clips: [clip])
        XCTAssertEqual(StressEvaluation.originalMSE(clip)!, 0.01, accuracy: 1e-12)
        XCTAssertFalse(evaluation.check(clip, setting: 0, row: 0, mse: 0.01).violated)
        XCTAssertTrue(evaluation.check(clip, setting: 0, row: 1, mse: 0.01).violated)
        let summary = evaluation.summarize(thresholds: StressThresholds())
        XCTAssertEqual(summary.settings[0].violations, 1)
        XCTAssertEqual(summary.settings[0].relation, "labels")
        XCTAssertEqual(summary.violationRate, 0.5)
        XCTAssertFalse(summary.checks[0].passed, "0.5 > the default limit 0.2")
    }

    func testWithoutLabelsDeltaBoundsTheChangeAndFlipExpectsTheMirrorAngle() throws {
        let frames = [StressClipPredictions.FrameRecord(index: 0, time: 0, original: 0.3, label: nil),
                      .init(index: 1, time: 0.1, original: -0.2, label: nil)]
        // Setting 0 (brightness): changes 0.05 (holds) and 0.15 (violates). Setting 1 (flip): −0.28 holds (|−0.28 + 0.3| = 0.02), 0.5 violates (0.3).
        let clip = StressClipPredictions(clip: "c", frames: frames, transformed: [[0.35, -0.05], [-0.28, 0.5]])
        var limits = StressThresholds()
        limits.maxViolationRate = 0.5
        limits.maxFlipViolationRate = 0.4
        let evaluation = StressEvaluation(suite: try suite(["brightness:10", "flip"]), lambda: 5, delta: 0.1, clips: [clip])
        let summary = evaluation.summarize(thresholds: limits)
        XCTAssertEqual(summary.settings.map(\.relation), ["delta", "flip"])
        XCTAssertEqual(summary.settings.map(\.violations), [1, 1])
        XCTAssertEqual(summary.settings[1].maxAbsoluteChange, 0.3, accuracy: 1e-12)
        XCTAssertEqual(summary.violationRate, 0.5, "the flip is not part of the overall rate")
        XCTAssertEqual(summary.flipViolationRate, 0.5)
        XCTAssertEqual(summary.checks.map(\.passed), [true, false])
        // Worst cases: violating first, one per setting, the largest change first.
        let worst = evaluation.worstCases(count: 5)
        XCTAssertEqual(worst.map(\.setting), [1, 0])
        XCTAssertEqual(worst.map(\.row), [1, 1])
        let csv = evaluation.csv().split(separator: "\n")
        XCTAssertEqual(csv.count, 1 + 4)
        XCTAssertEqual(csv[4], "c,1,0.100000,,-0.2,flip,0.5,1")
    }

    func testBuiltInSuites() throws {
        let deepTest = try StressSuite.named("deeptest")
        XCTAssertEqual(deepTest.settings.count, 70)
        XCTAssertEqual(Set(deepTest.settings.map(\.specification)).count, 70)
        XCTAssertEqual(deepTest.settings.first?.specification, "translation:10,10")
        XCTAssertTrue(deepTest.settings.contains { $0.specification == "contrast:1.6" })
        XCTAssertTrue(deepTest.settings.contains { $0.specification == "scale:6" })
        XCTAssertTrue(deepTest.settings.contains { $0.specification == "shear:0.3" })
        let standard = try StressSuite.named("default")
        XCTAssertEqual(standard.settings.count, 70 + StressSuite.beyondDeepTestSpecifications.count)
        XCTAssertEqual(Set(standard.settings.map(\.group)).count, 16)
    }

    func testSuiteFileErrorsNameTheProblem() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stress-suite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [(String, String, Int32)] = [
            ("not json", "is not a JSON object", 65), (#"{"transforms": ["sepia:3"]}"#, "unknown transform 'sepia'", 65),
            (#"{"transforms": []}"#, "has no transforms", 65), (#"{"transform": ["flip"]}"#, "unknown key 'transform'", 65),
            (#"{"transforms": ["flip"], "thresholds": {"maxViolationRate": 2}}"#, "within 0…1", 65),
            (#"{"include": "deeptest", "lambda": "five"}"#, "lambda must be a number", 65),
        ]
        for (index, (text, expected, code)) in cases.enumerated() {
            let file = folder.appendingPathComponent("suite\(index).json")
            try Data(text.utf8).write(to: file)
            XCTAssertThrowsError(try StressSuite.named(file.path), text) { error in
                let failure = error as? StressSuiteError
                XCTAssertEqual(failure?.kind.exitCode, code, text)
                XCTAssertTrue(failure?.message.contains(expected) == true, "\(text): \(failure?.message ?? "\(error)")")
                XCTAssertFalse(failure?.message.contains("\n") ?? true)
            }
        }
        XCTAssertEqual((try? StressSuite.named(folder.appendingPathComponent("missing.json").path)).map { _ in 0 }, nil)
        let suite = folder.appendingPathComponent("ok.json")
        try Data(#"{"name": "mine", "include": "deeptest", "transforms": ["fog:0.5"], "lambda": 3, "delta": 0.2, "thresholds": {"maxSettingViolationRate": 0.5}}"#.utf8).write(to: suite)
        let loaded = try StressSuite.named(suite.path)
        XCTAssertEqual(loaded.name, "mine")
        XCTAssertEqual(loaded.settings.count, 71)
        XCTAssertEqual(loaded.lambda, 3)
        XCTAssertEqual(loaded.delta, 0.2)
        XCTAssertEqual(loaded.thresholds.maxSettingViolationRate, 0.5)
        XCTAssertEqual(loaded.thresholds.maxViolationRate, 0.2)
    }
}
