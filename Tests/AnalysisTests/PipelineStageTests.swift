import Foundation
import Saliency
import SteerLensSupport
import VideoIO
import XCTest
@testable import Analysis

/// A clip made in memory: `count` frames of `width`×`height` whose pixels all equal the frame index
/// (mod 256); fails with `failure` when asked for frame `failsAt`. Counts the frames handed out, so
/// tests can see how far ahead the decoding thread ran.
private final class FakeSource: FrameSource, @unchecked Sendable {
    let count: Int, width: Int, height: Int
    let failsAt: Int?
    private let lock = NSLock()
    private var delivered = 0
    /// The nice value of the thread that read the first frame.
    private(set) var readerNiceValue: Int32?
    var info: VideoStreamInfo { preconditionFailure("the stages never ask the source for its info") }
    let options: ReadOptions
    var decodeErrorCount: Int { 0 }
    var readErrorCount: Int { 0 }
    var decodedFrameCount: Int { deliveredFrameCount }
    var deliveredFrameCount: Int { lock.withLock { delivered } }

    init(count: Int, width: Int = 4, height: Int = 2, failsAt: Int? = nil, options: ReadOptions = ReadOptions()) {
        (self.count, self.width, self.height, self.failsAt, self.options) = (count, width, height, failsAt, options)
    }

    func read(into frame: inout Frame) throws -> Bool {
        let index = deliveredFrameCount
        if index == 0 { readerNiceValue = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }
        if index == failsAt { throw FakeFailure(index: index) }
        guard index < count else { return false }
        frame = Frame(index: index, time: Double(index) / 10, width: width, height: height,
                      pixels: [UInt8](repeating: UInt8(index % 256), count: width * height * 3))
        lock.withLock { delivered += 1 }
        return true
    }
}

private struct FakeFailure: Error, Equatable {
    let index: Int
}

final class PipelineStageTests: XCTestCase {
    private func modelInput(width: Int = 4, height: Int = 2) throws -> ModelInput {
        try ModelInput(inputShape: [height, width, 3], preprocess: Preprocess())
    }

    /// Every frame arrives once, in order, in batches of `batchSize` (the last one shorter), and each
    /// frame's preprocessed values sit in its own slot of every model input's batch.
    func testBatchesKeepFrameOrderForEveryModelInput() throws {
        let prefetcher = BatchPrefetcher(reader: FakeSource(count: 10), modelInputs: [try modelInput(), try modelInput()], batchSize: 4,
                                         keepsPixels: { $0 % 3 == 0 })
        defer { prefetcher.stop() }
        var indices: [Int] = [], sizes: [Int] = []
        while let (frames, inputs) = try prefetcher.next() {
            sizes.append(frames.count)
            XCTAssertEqual(inputs.count, 2)
            for (slot, frame) in frames.enumerated() {
                indices.append(frame.index)
                XCTAssertEqual(frame.pixels.isEmpty, frame.index % 3 != 0, "only the frames keepsPixels selects keep their pixels")
                for input in inputs {
                    XCTAssertEqual(input.shape, [frames.count, 2, 4, 3])
                    XCTAssertEqual(Set(input.scalars[(slot * 24)..<((slot + 1) * 24)]), [Float(frame.index)])
                }
            }
        }
        XCTAssertEqual(indices, Array(0..<10))
        XCTAssertEqual(sizes, [4, 4, 2])
    }

    /// Batches handed back (``BatchPrefetcher/recycle(_:)``) are written into again, never under a caller
    /// that still holds them: batches let go of arrive with their own frames' values, and batches kept
    /// keep theirs.
    func testRecycledBatchesNeverChangeUnderTheirHolders() throws {
        for holds in [false, true] {
            let prefetcher = BatchPrefetcher(reader: FakeSource(count: 20), modelInputs: [try modelInput()], batchSize: 3, keepsPixels: { _ in false })
            defer { prefetcher.stop() }
            var held: [Batch] = [], indices: [Int] = []
            while let batch = try prefetcher.next() {
                XCTAssertEqual(try values(of: batch), batch.frames.map { Float($0.index) })
                indices += batch.frames.map(\.index)
                prefetcher.recycle(batch.inputs)
                if holds { held.append(batch) }
            }
            XCTAssertEqual(indices, Array(0..<20))
            for batch in held { XCTAssertEqual(try values(of: batch), batch.frames.map { Float($0.index) }, "a held batch was overwritten") }
        }
        typealias Batch = BatchPrefetcher.Batch
        /// Each slot's one value (every value of a slot is its frame's index), or an error when a slot mixes values.
        func values(of batch: Batch) throws -> [Float] {
            try batch.frames.indices.map { slot in
                let slotValues = Set(batch.inputs[0].scalars[(slot * 24)..<((slot + 1) * 24)])
                guard slotValues.count == 1, let value = slotValues.first else { throw FakeFailure(index: slot) }
                return value
            }
        }
    }

    /// A model input with a sidecar's `mean`/`std` gets the same normalised values from the prefetcher
    /// (`analyze`, `compare`) as from ``ModelInput/batch(_:)`` (`predict`).
    func testBatchesAreNormalisedAsTheModelInputAsks() throws {
        let normalised = try ModelInput(inputShape: [2, 4, 3], preprocess: Preprocess(),
                                        normalization: ChannelNormalization(mean: [100, 50, 0], std: [2, 4, 0.5]))
        let prefetcher = BatchPrefetcher(reader: FakeSource(count: 5), modelInputs: [normalised, try modelInput()], batchSize: 2, keepsPixels: { _ in true })
        defer { prefetcher.stop() }
        var batches = 0
        while let (frames, inputs) = try prefetcher.next() {
            XCTAssertEqual(inputs[0], try normalised.batch(frames))
            XCTAssertEqual(inputs[1], try modelInput().batch(frames))
            XCTAssertNotEqual(inputs[0], inputs[1])
            batches += 1
        }
        XCTAssertEqual(batches, 3)
    }

    /// Asked to by the reader's options, the decoding thread runs a few nice levels below the consumer's threads (so it fills idle
    /// cores instead of pre-empting the network's lanes); by default at their level.
    func testDecodingThreadRunsAtTheRequestedLowerPriority() throws {
        let own = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        for increment: Int32 in [0, 4] {
            let source = FakeSource(count: 3, options: ReadOptions(decoderNiceIncrement: increment))
            let prefetcher = BatchPrefetcher(reader: source, modelInputs: [try modelInput()], batchSize: 2, keepsPixels: { _ in false })
            while try prefetcher.next() != nil {}
            prefetcher.stop()
            XCTAssertEqual(source.readerNiceValue, min(own + increment, 19))
        }
        XCTAssertEqual(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0), own, "the consumer keeps its priority")
    }

    /// The decoder runs at most one batch ahead: with nobody taking batches it stops decoding.
    func testDecodingWaitsForTheConsumer() throws {
        let source = FakeSource(count: 100)
        let prefetcher = BatchPrefetcher(reader: source, modelInputs: [try modelInput()], batchSize: 5, keepsPixels: { _ in false })
        Thread.sleep(forTimeInterval: 0.2)
        // One batch queued, one being filled (blocked on the full queue): never more than 10 frames.
        XCTAssertLessThanOrEqual(source.deliveredFrameCount, 10)
        _ = try prefetcher.next()
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertLessThanOrEqual(source.deliveredFrameCount, 15)
        prefetcher.stop()
    }

    /// Kept pixels take bytes from the budget: when it is spent, batches come early and shorter, and the
    /// decoder waits until someone gives bytes back.
    func testByteBudgetShortensBatchesAndHoldsTheDecoder() throws {
        let frameBytes = 4 * 2 * 3
        let budget = ByteBudget(capacity: 3 * frameBytes)
        let source = FakeSource(count: 12)
        let prefetcher = BatchPrefetcher(reader: source, modelInputs: [try modelInput()], batchSize: 8, pixelBudget: budget,
                                         keepsPixels: { _ in true })
        defer { prefetcher.stop() }
        let first = try XCTUnwrap(try prefetcher.next())
        XCTAssertEqual(first.frames.map(\.index), [0, 1, 2], "the batch ends where the budget does")
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertLessThanOrEqual(source.deliveredFrameCount, 4, "no bytes given back: the decoder holds the next frame and waits")
        var seen = first.frames.map(\.index)
        budget.giveBack(first.frames.count * frameBytes)
        while let (frames, _) = try prefetcher.next() {
            seen += frames.map(\.index)
            XCTAssertLessThanOrEqual(frames.count, 3)
            budget.giveBack(frames.count * frameBytes)
        }
        XCTAssertEqual(seen, Array(0..<12), "a frame held back by the budget is delivered later, not lost")
    }

    /// A later stage that fails holding kept frames never gives their bytes back; its `cancel()`, from its
    /// own thread, releases the decoder waiting for them, and the consumer's `next` ends instead of waiting.
    func testCancelReleasesADecoderWaitingForPixelBytes() throws {
        let budget = ByteBudget(capacity: 3 * 4 * 2 * 3)
        let source = FakeSource(count: 100)
        let prefetcher = BatchPrefetcher(reader: source, modelInputs: [try modelInput()], batchSize: 8, pixelBudget: budget,
                                         keepsPixels: { _ in true })
        XCTAssertEqual(try XCTUnwrap(try prefetcher.next()).frames.count, 3)
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertLessThanOrEqual(source.deliveredFrameCount, 4, "the decoder waits for bytes that never come back")
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { prefetcher.cancel() }
        var later = 0
        while let (frames, _) = try prefetcher.next() { later += frames.count }
        XCTAssertEqual(later, 0, "nothing was decoded after the budget ran out")
        prefetcher.stop()
        XCTAssertLessThanOrEqual(source.deliveredFrameCount, 4)
    }

    /// Batch boundaries depend on the clip and the budget's size, never on when bytes come back: a
    /// consumer that returns them one frame at a time, late, sees the same batches as one that returns
    /// them at once (results to the last bit depend on how many items share a batch).
    func testBatchBoundariesDoNotDependOnTiming() throws {
        let frameBytes = 4 * 2 * 3
        for trickles in [false, true] {
            let budget = ByteBudget(capacity: 5 * frameBytes)
            let prefetcher = BatchPrefetcher(reader: FakeSource(count: 12), modelInputs: [try modelInput()], batchSize: 8, pixelBudget: budget,
                                             keepsPixels: { _ in true })
            defer { prefetcher.stop() }
            var sizes: [Int] = []
            while let (frames, _) = try prefetcher.next() {
                sizes.append(frames.count)
                for _ in frames {
                    if trickles { Thread.sleep(forTimeInterval: 0.01) }
                    budget.giveBack(trickles ? frameBytes : 0)
                }
                if !trickles { budget.giveBack(frames.count * frameBytes) }
            }
            XCTAssertEqual(sizes, [5, 5, 2], trickles ? "bytes returned one frame at a time" : "bytes returned at once")
        }
    }

    /// With a clock, the decoding thread's CPU time is charged to `decode` (reading) and `preprocess`
    /// (filling the batch), and the batches are the same as without one.
    func testClockChargesDecodeAndPreprocess() throws {
        var results: [[Float]] = []
        var times: StageTimes?
        for clock in [nil, StageClock()] {
            let prefetcher = BatchPrefetcher(reader: FakeSource(count: 40, width: 640, height: 320), modelInputs: [try modelInput()], batchSize: 8,
                                             clock: clock, keepsPixels: { _ in false })
            defer { prefetcher.stop() }
            var scalars: [Float] = []
            while let (_, inputs) = try prefetcher.next() { scalars += inputs[0].scalars }
            results.append(scalars)
            times = clock?.snapshot()
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertGreaterThan(times!.seconds[.decode]!, 0)
        XCTAssertGreaterThan(times!.seconds[.preprocess]!, 0)
        for stage in [StageClock.Stage.network, .maps, .overlays, .encoding, .writing] { XCTAssertEqual(times!.seconds[stage], 0, stage.rawValue) }
    }

    /// A decoding error reaches the consumer after the batches before it, and ends the stream.
    func testDecodingErrorPropagatesAfterEarlierBatches() throws {
        let prefetcher = BatchPrefetcher(reader: FakeSource(count: 20, failsAt: 6), modelInputs: [try modelInput()], batchSize: 4,
                                         keepsPixels: { _ in false })
        defer { prefetcher.stop() }
        XCTAssertEqual(try prefetcher.next()?.frames.map(\.index), [0, 1, 2, 3])
        XCTAssertThrowsError(try prefetcher.next()) { XCTAssertEqual($0 as? FakeFailure, FakeFailure(index: 6)) }
        XCTAssertNil(try prefetcher.next())
    }

    /// Stopping early (cancellation) ends the decoding thread even while it waits on a full queue or a
    /// spent budget, and returns promptly.
    func testStopEndsABlockedDecoder() throws {
        for budget in [nil, ByteBudget(capacity: 24)] {
            let source = FakeSource(count: 1_000)
            let prefetcher = BatchPrefetcher(reader: source, modelInputs: [try modelInput()], batchSize: 4, pixelBudget: budget,
                                             keepsPixels: { _ in true })
            _ = try prefetcher.next()
            let started = Date()
            prefetcher.stop()
            XCTAssertLessThan(Date().timeIntervalSince(started), 2)
            let decoded = source.deliveredFrameCount
            Thread.sleep(forTimeInterval: 0.05)
            XCTAssertEqual(source.deliveredFrameCount, decoded, "nothing is decoded after stop()")
            XCTAssertLessThan(decoded, 20)
        }
    }

    /// Interruption is a flag the frame loops check between batches: once requested, `check` throws
    /// ``Interrupted`` carrying the progress text, and `reportingFailures` turns that into exit 130.
    func testInterruptedCarriesProgressAndExitCode() {
        XCTAssertEqual(Interrupted.exitCode, 130)
        XCTAssertEqual(Interrupted(progress: "after 3 frames").progress, "after 3 frames")
        XCTAssertNoThrow(try Interruption().check(progress: "never requested"))
    }
}
