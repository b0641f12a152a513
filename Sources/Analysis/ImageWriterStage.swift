import Foundation
import Reporting
import Saliency
import SteerLensSupport
import VideoIO

/// Draws overlays and encodes PNGs on background threads while the model works on the next batch.
/// With several workers each owns an ``OverlaySequence`` (its own PNG encoder) and frames are spread
/// over them; a panel video needs frames in order, so it gets exactly one worker. A bounded queue keeps
/// memory flat; each written frame's pixel bytes go back to `pixelBudget` (see ``BatchPrefetcher``).
public final class ImageWriterStage: @unchecked Sendable {
    private let queue = BoundedQueue<(Frame, [SaliencyMapKind: [Float]])>(capacity: 4)
    private let failure = FirstFailure()
    private let pixelBudget: ByteBudget?
    private var stages: [BackgroundStage] = []
    private let sequences: [UncheckedBox<OverlaySequence>]

    /// - Parameters:
    ///   - forecast: told the bytes of every frame's images.
    ///   - makeSequence: builds one worker's sequence; called `workers` times (give each the run's
    ///     ``StageClock`` to see where the workers' time goes).
    public init(workers: Int, pixelBudget: ByteBudget? = nil, forecast: DiskSpaceForecast? = nil, makeSequence: () throws -> OverlaySequence) rethrows {
        sequences = try (0..<max(workers, 1)).map { _ in UncheckedBox(try makeSequence()) }
        self.pixelBudget = pixelBudget
        let (queue, failure) = (queue, failure)
        stages = sequences.enumerated().map { index, sequence in
            BackgroundStage(name: "steerlens-images-\(index)") {
                while let (frame, maps) = queue.take() {
                    // Frames queued before a failure closed the queue are not written, only given back.
                    if !failure.occurred {
                        do {
                            let bytes = try sequence.value.write(frame: frame, maps: maps)  // not inside `forecast?.`: nil would skip it
                            forecast?.record(bytes: bytes)
                        } catch {
                            failure.record(error)
                            queue.close()
                        }
                    }
                    pixelBudget?.giveBack(frame.pixels.count)
                }
            }
        }
    }

    /// Queues one frame's images; rethrows an earlier writing failure (the frame's pixel bytes go back
    /// to the budget: no worker will).
    public func submit(_ frame: Frame, maps: [SaliencyMapKind: [Float]]) throws {
        // A failure recorded before this frame was queued, or a queue closed since: the frame is refused.
        if failure.occurred || !queue.put((frame, maps)) {
            pixelBudget?.giveBack(frame.pixels.count)
            try failure.rethrow()
        }
    }

    /// Writes what is queued, finishes the video, and rethrows any failure.
    public func finish() throws {
        cancel()
        try failure.rethrow()
        for sequence in sequences { try sequence.value.finish() }
    }

    /// Stops the workers after what is queued (used after an error elsewhere, without finishing the video).
    public func cancel() {
        queue.close()
        for stage in stages { stage.wait() }
        stages = []
    }
}

/// Hands a value to another thread when the code guarantees only one thread uses it at a time.
public final class UncheckedBox<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
