import Foundation
import Reporting
import Saliency
import SteerLensSupport
import VideoIO
import XCTest
@testable import Analysis

final class ImageWriterStageTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("steerlens-images-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func makeSequence() throws -> OverlaySequence {
        let geometry = try Preprocess(size: PixelSize(width: 4, height: 2)).geometry(for: PixelSize(width: 8, height: 4))
        return try OverlaySequence(directory: directory, settings: OverlaySequence.Settings(), projection: MapProjection(geometry: geometry),
                                   kinds: [.increase], framesPerSecond: 10)
    }

    private func frame(_ index: Int) -> Frame {
        Frame(index: index, time: Double(index), width: 8, height: 4, pixels: [UInt8](repeating: UInt8(index), count: 8 * 4 * 3))
    }

    /// Two workers write every submitted frame's images, and every frame's pixel bytes go back to the budget.
    func testWorkersWriteEveryFrameAndGiveBytesBack() throws {
        let budget = ByteBudget(capacity: 20 * 96)
        for _ in 0..<20 { XCTAssertTrue(budget.tryTake(96)) }
        XCTAssertFalse(budget.tryTake(1))
        let stage = try ImageWriterStage(workers: 2, pixelBudget: budget, makeSequence: makeSequence)
        for index in 0..<20 { try stage.submit(frame(index), maps: [.increase: (0..<8).map(Float.init)]) }
        try stage.finish()
        for folder in ["frames", "increase"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(folder).path).sorted()
            XCTAssertEqual(names, (0..<20).map { String(format: "%06d.png", $0) })
        }
        XCTAssertTrue(budget.tryTake(20 * 96), "every written frame gave its bytes back")
    }

    /// A worker's failure (here: `frames` is a file, not a folder) reaches the producer on a later submit
    /// or at the latest from `finish()`, the queue no longer blocks the producer, and every frame's pixel
    /// bytes go back to the budget: those written, those dropped after the failure and the one refused.
    func testWriterFailureReachesTheProducerAndGivesEveryByteBack() throws {
        try Data("in the way".utf8).write(to: directory.appendingPathComponent("frames"))
        let budget = ByteBudget(capacity: 50 * 96)
        let stage = try ImageWriterStage(workers: 2, pixelBudget: budget, makeSequence: makeSequence)
        var failure: Error?
        do {
            for index in 0..<50 {
                XCTAssertTrue(budget.tryTake(96))
                try stage.submit(frame(index), maps: [.increase: [Float](repeating: 0, count: 8)])
            }
            try stage.finish()
        } catch {
            failure = error
        }
        XCTAssertNotNil(failure)
        stage.cancel()
        XCTAssertEqual(budget.heldBytes, 0, "a frame's pixel bytes were not given back")
    }

    /// A frame submitted after a worker's failure is on record (not while the producer waits on a full
    /// queue) is refused with that failure, and its pixel bytes go back to the budget at once.
    func testSubmitAfterARecordedFailureGivesTheFrameBack() throws {
        try Data("in the way".utf8).write(to: directory.appendingPathComponent("frames"))
        let budget = ByteBudget(capacity: 2 * 96)
        let stage = try ImageWriterStage(workers: 1, pixelBudget: budget, makeSequence: makeSequence)
        XCTAssertTrue(budget.tryTake(96))
        try stage.submit(frame(0), maps: [.increase: [Float](repeating: 0, count: 8)])
        // The worker fails on frame 0 and then gives its bytes back: the failure is recorded by then.
        let deadline = Date().addingTimeInterval(10)
        while budget.heldBytes > 0, Date() < deadline { usleep(1_000) }
        XCTAssertEqual(budget.heldBytes, 0, "the worker gave frame 0 back")
        XCTAssertTrue(budget.tryTake(96))
        XCTAssertThrowsError(try stage.submit(frame(1), maps: [.increase: [Float](repeating: 0, count: 8)]))
        XCTAssertEqual(budget.heldBytes, 0, "the refused frame's pixel bytes were not given back")
        stage.cancel()
    }

    /// `cancel()` after an error elsewhere stops the workers without waiting for more frames.
    func testCancelReturnsWithWorkersIdle() throws {
        let stage = try ImageWriterStage(workers: 2, makeSequence: makeSequence)
        try stage.submit(frame(0), maps: [.increase: [Float](repeating: 0, count: 8)])
        let started = Date()
        stage.cancel()
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    /// Workers given a clock charge drawing to `overlays`, PNG compression to `encoding` and files to
    /// `writing`; the files are the same bytes as without a clock.
    func testClockChargesOverlaysEncodingAndWriting() throws {
        let clock = StageClock()
        let geometry = try Preprocess(size: PixelSize(width: 200, height: 66)).geometry(for: PixelSize(width: 640, height: 360))
        var files: [Data] = []
        for (name, clock) in [("plain", nil), ("clocked", clock)] {
            let folder = directory.appendingPathComponent(name)
            let stage = try ImageWriterStage(workers: 2) {
                try OverlaySequence(directory: folder, settings: OverlaySequence.Settings(), projection: MapProjection(geometry: geometry),
                                    kinds: [.increase], framesPerSecond: 10, clock: clock)
            }
            for index in 0..<6 {
                let image = Frame(index: index, time: 0, width: 640, height: 360, pixels: (0..<(640 * 360 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) })
                try stage.submit(image, maps: [.increase: (0..<(200 * 66)).map { Float($0 % 97) / 96 }])
            }
            try stage.finish()
            files.append(try Data(contentsOf: folder.appendingPathComponent("increase/000005.png")))
        }
        XCTAssertEqual(files[0], files[1])
        let times = clock.snapshot()
        for stage in [StageClock.Stage.overlays, .encoding, .writing] { XCTAssertGreaterThan(times.seconds[stage]!, 0, stage.rawValue) }
        XCTAssertEqual(times.seconds[.network], 0)
    }
}
