import Foundation
import NeuralNet
import Reporting
import Saliency
import SteerLensSupport
import VideoIO

/// Decodes and preprocesses batches on a background thread, up to two batches ahead of the model, so
/// decoding overlaps the forward/backward pass. Owns the reader until ``stop()`` returns.
final class BatchPrefetcher: @unchecked Sendable {
    typealias Batch = (frames: [Frame], input: Tensor)
    private let queue = BoundedQueue<Result<Batch, Error>>(capacity: 2)
    private var stage: BackgroundStage?

    init(reader: any FrameSource, modelInput: ModelInput, batchSize: Int) {
        let queue = queue
        let source = UncheckedBox((reader, modelInput))
        stage = BackgroundStage(name: "steerlens-decode") {
            let (reader, modelInput) = source.value
            do {
                while true {
                    let frames = try reader.nextBatch(batchSize)
                    if frames.isEmpty { break }
                    guard queue.put(.success((frames, try modelInput.batch(frames)))) else { return }
                }
            } catch {
                queue.put(.failure(error))
            }
            queue.close()
        }
    }

    /// The next batch, `nil` at the end of the clip; rethrows a decoding error.
    func next() throws -> Batch? {
        guard let result = queue.take() else { return nil }
        return try result.get()
    }

    /// Stops the decoding thread (early or at the end) and waits for it.
    func stop() {
        queue.close()
        stage?.wait()
        stage = nil
    }
}

/// Draws overlays and encodes PNGs and the panel video on a background thread, in frame order, while
/// the model works on the next batch. A bounded queue keeps memory flat.
final class ImageWriterStage: @unchecked Sendable {
    private let queue = BoundedQueue<(Frame, [String: [Float]])>(capacity: 8)
    private let lock = NSLock()
    private var failure: Error?
    private var stage: BackgroundStage?
    private let overlays: UncheckedBox<OverlaySequence>

    init(overlays sequence: OverlaySequence) {
        overlays = UncheckedBox(sequence)
        let queue = queue, overlays = overlays
        stage = BackgroundStage(name: "steerlens-images") { [weak self] in
            while let (frame, maps) = queue.take() {
                do { try overlays.value.write(frame: frame, maps: maps) } catch {
                    self?.lock.withLock { self?.failure = self?.failure ?? error }
                    queue.close()
                }
            }
        }
    }

    /// Queues one frame's images; rethrows an earlier writing failure.
    func submit(_ frame: Frame, maps: [String: [Float]]) throws {
        if let failure = lock.withLock({ failure }) { throw failure }
        queue.put((frame, maps))
    }

    /// Writes what is queued, finishes the video, and rethrows any failure.
    func finish() throws {
        queue.close()
        stage?.wait()
        stage = nil
        if let failure = lock.withLock({ failure }) { throw failure }
        try overlays.value.finish()
    }

    /// Stops without finishing (after an error elsewhere).
    func cancel() {
        queue.close()
        stage?.wait()
        stage = nil
    }
}

/// Hands a value to another thread when the code guarantees only one thread uses it at a time.
final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
