import Foundation
import NeuralNet
import Reporting
import Saliency
import SteerLensSupport
import VideoIO

/// Decodes and preprocesses batches on a background thread, one batch ahead of the model(s), so decoding
/// overlaps the forward/backward passes. Each frame is preprocessed once per model input (`compare`
/// feeds two models that may crop and resize differently).
///
/// Memory stays flat: frames that `keepsPixels` does not select (no images will be drawn for them) drop
/// their full-size pixels once preprocessed, and the kept ones take their bytes from `pixelBudget`
/// (given back by whoever drops them, e.g. ``ImageWriterStage``). When the budget is spent a batch is
/// delivered early, shorter than `batchSize`: with images for every frame the image writers are the
/// bottleneck anyway, and a 4K clip cannot pile up gigabytes of frames. Owns the reader until ``stop()``.
final class BatchPrefetcher: @unchecked Sendable {
    /// The frames and, per model input, their batch `[N, H, W, C]`.
    typealias Batch = (frames: [Frame], inputs: [Tensor])
    private let queue = BoundedQueue<Result<Batch, Error>>(capacity: 1)
    private let pixelBudget: ByteBudget?
    private var stage: BackgroundStage?

    /// - Parameters:
    ///   - keepsPixels: whether the n-th delivered frame (0-based) keeps its pixels.
    ///   - pixelBudget: bytes of kept pixels allowed in flight, or `nil` for no limit.
    init(reader: any FrameSource, modelInputs: [ModelInput], batchSize: Int, pixelBudget: ByteBudget? = nil,
         keepsPixels: @escaping @Sendable (Int) -> Bool) {
        let queue = queue
        self.pixelBudget = pixelBudget
        let source = UncheckedBox((reader, modelInputs))
        stage = BackgroundStage(name: "steerlens-decode") {
            let (reader, modelInputs) = source.value
            let itemCounts = modelInputs.map { $0.shape.reduce(1, *) }
            var delivered = 0
            // Frames are decoded into `decoded`, whose pixel storage is reused when the frame drops its pixels.
            var decoded = Frame(index: 0, time: 0, width: 0, height: 0, pixels: [])
            var carried = false  // `decoded` did not fit in the previous batch's pixel budget
            do {
                while true {
                    var frames: [Frame] = [], batches = itemCounts.map { [Float](repeating: 0, count: batchSize * $0) }
                    while frames.count < batchSize {
                        if !carried { guard try reader.read(into: &decoded) else { break } }
                        carried = false
                        let keeps = keepsPixels(delivered + frames.count)
                        if keeps, let pixelBudget, !pixelBudget.tryTake(decoded.pixels.count) {
                            if !frames.isEmpty {
                                carried = true
                                break
                            }
                            guard pixelBudget.take(decoded.pixels.count) else { return }
                        }
                        // Preprocess each frame as it is decoded, so at most one full-size frame is alive
                        // besides the kept ones.
                        for (index, (modelInput, itemCount)) in zip(modelInputs, itemCounts).enumerated() {
                            try batches[index].withUnsafeMutableBufferPointer { buffer in
                                let slot = UnsafeMutableBufferPointer(rebasing: buffer[(frames.count * itemCount)..<((frames.count + 1) * itemCount)])
                                try modelInput.preprocess.apply(to: decoded, into: slot)
                            }
                        }
                        if keeps {
                            frames.append(decoded)
                            decoded.pixels = []  // the batch owns them now
                        } else {
                            var frame = decoded
                            frame.pixels = []
                            frames.append(frame)
                        }
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
        pixelBudget?.close()
        stage?.wait()
        stage = nil
    }
}

/// Draws overlays and encodes PNGs on background threads while the model works on the next batch.
/// With several workers each owns an ``OverlaySequence`` (its own PNG encoder) and frames are spread
/// over them; a panel video needs frames in order, so it gets exactly one worker. A bounded queue keeps
/// memory flat; each written frame's pixel bytes go back to `pixelBudget` (see ``BatchPrefetcher``).
final class ImageWriterStage: @unchecked Sendable {
    private let queue = BoundedQueue<(Frame, [String: [Float]])>(capacity: 4)
    private let lock = NSLock()
    private var failure: Error?
    private var stages: [BackgroundStage] = []
    private let sequences: [UncheckedBox<OverlaySequence>]

    /// - Parameter makeSequence: builds one worker's sequence; called `workers` times.
    init(workers: Int, pixelBudget: ByteBudget? = nil, makeSequence: () throws -> OverlaySequence) rethrows {
        sequences = try (0..<max(workers, 1)).map { _ in UncheckedBox(try makeSequence()) }
        let queue = queue
        stages = sequences.enumerated().map { index, sequence in
            BackgroundStage(name: "steerlens-images-\(index)") { [weak self] in
                while let (frame, maps) = queue.take() {
                    do { try sequence.value.write(frame: frame, maps: maps) } catch {
                        self?.lock.withLock { self?.failure = self?.failure ?? error }
                        queue.close()
                    }
                    pixelBudget?.giveBack(frame.pixels.count)
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
