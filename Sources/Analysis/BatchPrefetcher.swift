import Foundation
import NeuralNet
import Reporting
import Saliency
import SteerLensSupport
import Synchronization
import VideoIO

/// Decodes and preprocesses batches on a background thread, one batch ahead of the model(s), so decoding
/// overlaps the forward/backward passes. Each frame is preprocessed once per model input (`compare`
/// feeds two models that may crop and resize differently), and each batch normalised as that input's
/// sidecar asks (``ModelInput/normalize(_:)``): the same values as ``ModelInput/batch(_:)``.
///
/// Memory stays flat: frames that `keepsPixels` does not select (no images will be drawn for them) drop
/// their full-size pixels once preprocessed, and the kept ones take their bytes from `pixelBudget`
/// (given back by whoever drops them, e.g. ``ImageWriterStage``). A batch whose kept frames would not
/// fit in the whole budget is delivered early, shorter than `batchSize` (a 4K clip cannot pile up
/// gigabytes of frames); when the budget is merely spent by earlier batches, the decoder waits — with
/// images for every frame the image writers are the bottleneck anyway. So batch boundaries depend on
/// the clip, never on timing, and a run's numbers are reproducible bit for bit (the network's sums
/// depend slightly on how many items share a batch). Owns the reader until ``stop()``.
///
/// A caller that is done with a batch's inputs hands them back (``recycle(_:)``): the next batch built
/// is written into their storage instead of newly allocated memory, which the kernel would fault in
/// page by page (a batch of a full-frame 160×320 model is 20 MB).
public final class BatchPrefetcher: @unchecked Sendable {
    /// The frames and, per model input, their batch `[N, H, W, C]`.
    public typealias Batch = (frames: [Frame], inputs: [Tensor])
    private let queue = BoundedQueue<Result<Batch, Error>>(capacity: 1)
    private let pixelBudget: ByteBudget?
    private var stage: BackgroundStage?
    private let returned = ReturnedStorage()

    /// - Parameters:
    ///   - keepsPixels: whether the n-th delivered frame (0-based) keeps its pixels.
    ///   - pixelBudget: bytes of kept pixels allowed in flight, or `nil` for no limit.
    ///   - clock: charged with the decoding thread's `decode` and `preprocess` CPU time, if given.
    ///
    /// The decoding thread runs `reader.options.decoderNiceIncrement` nice levels below the caller's, like
    /// FFmpeg's decoder threads.
    public init(reader: any FrameSource, modelInputs: [ModelInput], batchSize: Int, pixelBudget: ByteBudget? = nil,
         clock: StageClock? = nil, keepsPixels: @escaping @Sendable (Int) -> Bool) {
        let queue = queue
        self.pixelBudget = pixelBudget
        let source = UncheckedBox((reader, modelInputs))
        let decoderNiceIncrement = reader.options.decoderNiceIncrement
        let returned = returned
        stage = BackgroundStage(name: "steerlens-decode") {
            // However the thread ends (the clip's end, an error, ``cancel()``), the consumer's `next` returns.
            defer { queue.close() }
            ThreadPriority.lowerCurrentThread(by: decoderNiceIncrement)
            let (reader, modelInputs) = source.value
            let itemCounts = modelInputs.map(\.itemCount)
            var delivered = 0
            // Frames are decoded into `decoded`, whose pixel storage is reused when the frame drops its pixels.
            var decoded = Frame(index: 0, time: 0, width: 0, height: 0, pixels: [])
            var carried = false  // `decoded` did not fit in the previous batch's pixel budget
            do {
                while true {
                    // Not zero-filled: the preprocessing writes each delivered frame's slot whole (its
                    // `write` requires the slot's exact size), and slots no frame filled are cut off below.
                    let reused = returned.take()
                    var frames: [Frame] = [], batches = itemCounts.enumerated().map { index, count in
                        if index < reused.count, reused[index].count == batchSize * count { return reused[index] }
                        return [Float](unsafeUninitializedCapacity: batchSize * count) { _, initialized in initialized = batchSize * count }
                    }
                    var keptBytes = 0  // pixel bytes this batch holds
                    while frames.count < batchSize {
                        if !carried { guard try clock.measure(.decode, { try reader.read(into: &decoded) }) else { break } }
                        carried = false
                        let keeps = keepsPixels(delivered + frames.count)
                        if keeps, let pixelBudget {
                            // A batch ends early only where its own frames would overfill the budget, never
                            // because of how fast others give bytes back: batch boundaries, and so every
                            // result to the last bit, depend on the clip alone. Otherwise the decoder waits.
                            if !frames.isEmpty && keptBytes + decoded.pixels.count > pixelBudget.capacity {
                                carried = true
                                break
                            }
                            guard pixelBudget.take(decoded.pixels.count) else { return }
                            keptBytes += decoded.pixels.count
                        }
                        // Preprocess each frame as it is decoded, so at most one full-size frame is alive
                        // besides the kept ones.
                        try clock.measure(.preprocess) {
                            for (index, modelInput) in modelInputs.enumerated() {
                                try batches[index].withUnsafeMutableBufferPointer { try modelInput.write(decoded, item: frames.count, of: $0) }
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
                    for index in batches.indices {
                        batches[index].removeLast((batchSize - frames.count) * itemCounts[index])
                        clock.measure(.preprocess) { modelInputs[index].normalize(&batches[index]) }
                    }
                    let inputs = zip(modelInputs, batches).map { Tensor(shape: [frames.count] + $0.shape, scalars: $1) }
                    guard queue.put(.success((frames, inputs))) else { return }
                }
            } catch {
                queue.put(.failure(error))
            }
        }
    }

    /// Hands a delivered batch's inputs back for a later batch to be written into. Safe whoever else still
    /// holds them: their storage is copied on write then (a copy instead of a fresh allocation).
    public func recycle(_ inputs: [Tensor]) {
        returned.put(inputs.map(\.scalars))
    }

    /// The next batch, `nil` at the end of the clip; rethrows a decoding error.
    public func next() throws -> Batch? {
        guard let result = queue.take() else { return nil }
        return try result.get()
    }

    /// Stops the decoding thread (early or at the end) and waits for it.
    public func stop() {
        cancel()
        stage?.wait()
        stage = nil
    }

    /// Tells the decoding thread to stop, without waiting: from any thread, e.g. a later stage that failed
    /// while holding kept frames, whose pixel bytes the decoder may be waiting for. `next` then returns
    /// what is queued, then `nil`.
    public func cancel() {
        queue.close()
        pixelBudget?.close()
    }
}

/// The storage of the batch handed back last (one array per model input), taken by the next batch built.
private final class ReturnedStorage: Sendable {
    private let arrays = Mutex<[[Float]]>([])

    func put(_ value: [[Float]]) { arrays.withLock { $0 = value } }

    /// What was handed back, once (empty when nothing was).
    func take() -> [[Float]] { arrays.withLock { arrays in defer { arrays = [] }; return arrays } }
}
