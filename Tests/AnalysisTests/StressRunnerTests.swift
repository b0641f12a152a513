import Foundation
import Reporting
import SteerLensSupport
import TestSupport
import Transforms
import VideoIO
import XCTest
@testable import Analysis

/// `StressRunner` on the demo clip and model: every (frame, setting) prediction lands in its own cell
/// although the model batches cut across frames and settings, and however few frames the window holds.
final class StressRunnerTests: XCTestCase {
    func testEachPredictionIsItsFramesUnderItsSetting() throws {
        let session = try ModelSession.open(TestPaths.repository.appendingPathComponent("Datasets/models/pilotnet-demo.h5").path,
                                            file: ModelFileOptions(), ignoreSidecar: false, request: ExplanationRequest(kinds: [], explainsBin: false),
                                            explains: false, preprocessing: PreprocessOverrides())
        let clip = TestPaths.repository.appendingPathComponent("Datasets/demo/drive.mp4").path
        let settings = try ["flip", "brightness:60", "rotation:9"].map { StressSetting(try TransformParser.parse($0)) }
        let selection = ReadOptions(every: 300, maxFrames: 3)
        // 3 frames × (itself + 3 settings) = 12 items in model batches of 3: the batches mix frames and settings.
        let runner = StressRunner(suite: StressSuite(name: "test", settings: settings), session: session, selection: selection, batchSize: 3)
        var scratch: [Float] = []
        let result = try runner.run(clip, labels: LabelTrack?.none)
        // A window of one byte holds one frame at a time: each batch is that frame's items alone.
        let narrow = try StressRunner(suite: runner.suite, session: session, selection: selection, batchSize: 8, windowBytes: 1).run(clip, labels: LabelTrack?.none)
        XCTAssertEqual(narrow.frames.map(\.index), result.frames.map(\.index))
        for (a, b) in zip(narrow.frames, result.frames) { XCTAssertEqual(a.original, b.original, accuracy: 1e-5) }
        for (a, b) in zip(narrow.transformed.joined(), result.transformed.joined()) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        // The demo model's `x/127.5 − 1` is applied as the batch is written, to the same predictions.
        XCTAssertEqual(session.predictionInput.preprocess.scale, Float(1 / 127.5))
        let frames = try FrameSources.open(clip, options: selection).nextBatch(3)
        let plain = try session.modelInput.batch(frames)
        XCTAssertEqual(try runner.predictions(try runner.inputBatch(frames.map { ($0, nil) }, reusing: &scratch)),
                       try session.predict(plain).scalars.map(Double.init))
        XCTAssertEqual(result.frames.map(\.index), frames.map(\.index))
        XCTAssertEqual(result.transformed.map(\.count), [3, 3, 3])
        var spread: Set<Int> = []
        for (f, frame) in frames.enumerated() {
            var storage: [Float] = []
            let original = try runner.predictions(try runner.inputBatch([(frame, nil)], reusing: &storage))[0]
            XCTAssertEqual(result.frames[f].original, original, accuracy: 1e-5, "frame \(frame.index)")
            for (s, setting) in settings.enumerated() {
                // The frame alone under the setting; a batch of its own sums in its own order.
                let alone = try runner.predictions(try runner.inputBatch([(frame, setting.transform)], reusing: &storage))[0]
                XCTAssertEqual(result.transformed[s][f], alone, accuracy: 1e-5, "frame \(frame.index), \(setting.transform.specification)")
                spread.insert(Int((alone * 1e4).rounded()))
            }
        }
        XCTAssertGreaterThan(spread.count, 6, "the cells must differ, or a mix-up would go unseen")
    }

    /// Items are taken costliest kind first, by what their kind took last; equal and unmeasured costs
    /// keep batch order, and a kind's cost is its latest item's.
    func testItemsAreTakenLongestFirst() {
        let costs = StressRunner.ItemCosts(kinds: 4)
        XCTAssertEqual(costs.longestFirst([3, 0, 1, 0]), [0, 1, 2, 3])
        costs.record(kinds: [0, 1, 2, 1], spent: [50, 900, 700, 300])
        XCTAssertEqual(costs.longestFirst([0, 1, 2, 3, 2]), [2, 4, 1, 0, 3], "kind 1 last took 300, kind 3 is not measured yet")
        costs.record(kinds: [3], spent: [2_000])
        XCTAssertEqual(costs.longestFirst([0, 1, 2, 3]), [3, 2, 1, 0])
    }
}
