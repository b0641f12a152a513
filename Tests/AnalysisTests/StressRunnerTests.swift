import Foundation
import Reporting
import SteerLensSupport
import TestSupport
import Transforms
import VideoIO
import XCTest
@testable import Analysis

/// `StressRunner` on the demo clip and model: every (frame, setting) prediction lands in its own cell
/// although the model batches cut across frames and settings.
final class StressRunnerTests: XCTestCase {
    func testEachPredictionIsItsFramesUnderItsSetting() throws {
        let session = try ModelSession.open(TestPaths.repository.appendingPathComponent("Datasets/models/pilotnet-demo.h5").path,
                                            file: ModelFileOptions(), ignoreSidecar: false, request: ExplanationRequest(kinds: [], explainsBin: false),
                                            explains: false, preprocessing: PreprocessOverrides())
        let clip = TestPaths.repository.appendingPathComponent("Datasets/demo/drive.mp4").path
        let settings = try ["flip", "brightness:60", "rotation:9"].map { StressSetting(try TransformParser.parse($0)) }
        let selection = ReadOptions(every: 300, maxFrames: 3)
        // 3 frames × 3 settings = 9 items in model batches of 4: the batches mix frames and settings.
        let runner = StressRunner(suite: StressSuite(name: "test", settings: settings), session: session, selection: selection, batchSize: 4)
        let result = try runner.run(clip, labels: LabelTrack?.none)
        let frames = try FrameSources.open(clip, options: selection).nextBatch(3)
        XCTAssertEqual(result.frames.map(\.index), frames.map(\.index))
        XCTAssertEqual(result.transformed.map(\.count), [3, 3, 3])
        var spread: Set<Int> = []
        for (f, frame) in frames.enumerated() {
            let original = try runner.predictions(try runner.inputBatch([(frame, nil)]))[0]
            XCTAssertEqual(result.frames[f].original, original, accuracy: 1e-5, "frame \(frame.index)")
            for (s, setting) in settings.enumerated() {
                // The frame alone under the setting; a batch of its own sums in its own order.
                let alone = try runner.predictions(try runner.inputBatch([(frame, setting.transform)]))[0]
                XCTAssertEqual(result.transformed[s][f], alone, accuracy: 1e-5, "frame \(frame.index), \(setting.transform.specification)")
                spread.insert(Int((alone * 1e4).rounded()))
            }
        }
        XCTAssertGreaterThan(spread.count, 6, "the cells must differ, or a mix-up would go unseen")
    }
}
