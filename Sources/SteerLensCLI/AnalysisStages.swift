import Foundation
import NeuralNet
import Reporting
import Saliency
import SteerLensSupport
import VideoIO

/// Decodes and preprocesses batches on a background thread, one batch ahead of the model(s), so decoding
/// overlaps the forward/backward passes. Each frame is preprocessed once per model input (`compare`
/// feeds two models that may crop and resize differently). Frames that `keepsPixels` does not select (no
/// images will be drawn for them) drop their full-size pixels once preprocessed, to keep memory flat.
/// Owns the reader until ``stop()`` returns.
final class BatchPrefetcher: @unchecked Sendable {
    /// The frames and, per model input, their batch `[N, H, W, C]`.
    typealias Batch = (frames: [Frame], inputs: [Tensor])
    private let queue = BoundedQueue<Result<Batch, Error>>(capacity: 1)
    private var stage: BackgroundStage?

    /// - Parameter keepsPixels: whether the n-th delivered frame (0-based) keeps its pixels.
    init(reader: any FrameSource, modelInputs: [ModelInput], batchSize: Int, keepsPixels: @escaping @Sendable (Int) -> Bool) {
        let queue = queue
        let source = UncheckedBox((reader, modelInputs))
        stage = BackgroundStage(name: "steerlens-decode") {
            let (reader, modelInputs) = source.value
            let itemCounts = modelInputs.map { $0.shape.reduce(1, *) }
            var delivered = 0
            do {
                while true {
                    // Preprocess each frame as it is decoded, so at most one full-size frame is alive
                    // unless its pixels are needed for images.
                    var frames: [Frame] = [], batches = itemCounts.map { [Float](repeating: 0, count: batchSize * $0) }
                    while frames.count < batchSize, var frame = try reader.next() {
                        for (index, (modelInput, itemCount)) in zip(modelInputs, itemCounts).enumerated() {
                            try batches[index].withUnsafeMutableBufferPointer { buffer in
                                let slot = UnsafeMutableBufferPointer(rebasing: buffer[(frames.count * itemCount)..<((frames.count + 1) * itemCount)])
                                try modelInput.preprocess.apply(to: frame, into: slot)
                            }
                        }
                        if !keepsPixels(delivered + frames.count) { frame.pixels = [] }
                        frames.append(frame)
                    }
                    if frames.isEmpty { break }
                    delivered += frames.count
                    for index in batches.indices { batches[index].removeLast((batchSize - frames.count) * itemCounts[index]) }
                    let inputs = zip(modelInputs, batches).map { Tensor(shape: [frames.count] + $0.shape, scalars: $1) }
                    guard queue.put(.success((frames, inputs))) else { return }
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

/// Draws overlays and encodes PNGs on background threads while the model works on the next batch.
/// With several workers each owns an ``OverlaySequence`` (its own PNG encoder) and frames are spread
/// over them; a panel video needs frames in order, so it gets exactly one worker. Bounded queues keep
/// memory flat.
final class ImageWriterStage: @unchecked Sendable {
    private let queue = BoundedQueue<(Frame, [String: [Float]])>(capacity: 4)
    private let lock = NSLock()
    private var failure: Error?
    private var stages: [BackgroundStage] = []
    private let sequences: [UncheckedBox<OverlaySequence>]

    /// - Parameter makeSequence: builds one worker's sequence; called `workers` times.
    init(workers: Int, makeSequence: () throws -> OverlaySequence) rethrows {
        sequences = try (0..<max(workers, 1)).map { _ in UncheckedBox(try makeSequence()) }
        let queue = queue
        stages = sequences.enumerated().map { index, sequence in
            BackgroundStage(name: "steerlens-images-\(index)") { [weak self] in
                while let (frame, maps) = queue.take() {
                    do { try sequence.value.write(frame: frame, maps: maps) } catch {
                        self?.lock.withLock { self?.failure = self?.failure ?? error }
                        queue.close()
                    }
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
        cancel()
        if let failure = lock.withLock({ failure }) { throw failure }
        for sequence in sequences { try sequence.value.finish() }
    }

    /// Stops the workers after what is queued (used after an error elsewhere, without finishing the video).
    func cancel() {
        queue.close()
        for stage in stages { stage.wait() }
        stages = []
    }
}

/// Hands a value to another thread when the code guarantees only one thread uses it at a time.
final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
