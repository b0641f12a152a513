import Foundation
import NeuralNet
import Reporting
import SteerLensSupport
import Synchronization
import Transforms
import VideoIO

/// One clip through a stress suite: every selected frame's prediction, then the same frames under
/// every transform setting (forward passes only), batched.
///
/// The clip streams: a background thread decodes frames one ahead, and each frame's items — the frame
/// itself, then the frame under every setting — queue up behind the previous frame's, to be cut into
/// model batches of `batchSize` items. Each batch's items are transformed and preprocessed on the next
/// free worker (``Parallelism/forEachLane(_:_:)``, one per core) into one `[N, H, W, C]` tensor and go
/// through the model forward. Frames are decoded only while the queue holds fewer items than a batch
/// and its frames fewer than ``windowBytes`` of pixels, so a run holds a few full-size frames whatever
/// their size (DeepTest's 70 settings: two or three). Frame order keeps a frame in the cores' caches
/// for all its settings. Maps are computed later, and only for the worst cases (``StressWorstCases``).
public struct StressRunner {
    public let suite: StressSuite
    public let session: ModelSession
    /// Which frames of each clip.
    public let selection: ReadOptions
    /// Items (a frame, or a frame under one setting) per forward pass.
    public let batchSize: Int
    /// `--labels`' path, and `--label-field` for datasets.
    public let labelsPath: String?, labelField: String?
    /// Pixel bytes of decoded frames waiting for their items, beyond which no further frame is decoded
    /// until a batch is done (a batch is then cut short: the boundaries depend on the clip, not on timing).
    public let windowBytes: Int

    /// What each setting's items (the last slot: the frames themselves) last took to transform and
    /// preprocess, so that a batch's items are taken longest first.
    let itemCosts: ItemCosts

    public init(suite: StressSuite, session: ModelSession, selection: ReadOptions, batchSize: Int, labelsPath: String? = nil, labelField: String? = nil,
                windowBytes: Int = 64 << 20) {
        (self.suite, self.session, self.selection, self.batchSize) = (suite, session, selection, batchSize)
        (self.labelsPath, self.labelField, self.windowBytes) = (labelsPath, labelField, windowBytes)
        itemCosts = ItemCosts(kinds: suite.settings.count + 1)
    }

    /// One queued item: the frame (its slot in `open`) alone or under one setting.
    private struct Item {
        let slot: Int, setting: Int?
        let frame: Frame
    }

    /// A decoded frame whose predictions are not all in yet (`bytes`: its pixels').
    private struct OpenFrame {
        let index: Int, time: Double, bytes: Int
        var original = Double.nan
        var transformed: [Double]
    }

    /// Predictions of one clip under every setting. `progress` hears the frames done so far.
    public func run(_ input: String, labels: LabelTrack?, progress: (Int) -> Void = { _ in }) throws -> StressClipPredictions {
        var options = selection
        options.decoderNiceIncrement = ThreadPriority.backgroundIncrement
        let reader = try FrameSources.open(input, options: options)
        let labels = try InputLabels.resolve(file: labels, filePath: labelsPath, field: labelField, reader: reader).track
        _ = try session.modelInput.preprocess.geometry(for: PixelSize(width: reader.info.displayWidth, height: reader.info.displayHeight))
        let framesPerSecond = reader.info.framesPerSecond
        let decoder = BatchPrefetcher(reader: reader, modelInputs: [], batchSize: 1) { _ in true }
        defer {
            decoder.stop()
            reader.printWarnings()
        }
        var frames: [StressClipPredictions.FrameRecord] = []
        var transformed = [[Double]](repeating: [], count: suite.settings.count)
        // Frames decoded and not yet finished (`open[0]` is slot `firstSlot`; `openBytes` their pixels),
        // and their items still to predict.
        var open: [OpenFrame] = [], firstSlot = 0, openBytes = 0, queue: [Item] = [], clipEnded = false
        // The last batch's input storage, which the next batch is written into.
        var spareInput: [Float] = []
        while true {
            try Interruption.shared.check(progress: "after \(frames.count) frames of \(input)")
            while !clipEnded && queue.count < batchSize && (queue.isEmpty || openBytes < windowBytes) {
                guard let frame = try decoder.next()?.frames.first else { clipEnded = true; break }
                let slot = firstSlot + open.count
                open.append(OpenFrame(index: frame.index, time: frame.time, bytes: frame.pixels.count,
                                      transformed: [Double](repeating: .nan, count: suite.settings.count)))
                openBytes += frame.pixels.count
                queue.append(Item(slot: slot, setting: nil, frame: frame))
                queue += suite.settings.indices.map { Item(slot: slot, setting: $0, frame: frame) }
            }
            if queue.isEmpty { break }
            let batch = queue.prefix(batchSize)
            let input = try inputBatch(batch.map { ($0.frame, $0.setting.map { suite.settings[$0].transform }) }, reusing: &spareInput,
                                       costKinds: batch.map { $0.setting ?? suite.settings.count })
            let values = try predictions(input)
            spareInput = input.scalars
            for (item, value) in zip(batch, values) {
                if let setting = item.setting { open[item.slot - firstSlot].transformed[setting] = value } else { open[item.slot - firstSlot].original = value }
            }
            queue.removeFirst(batch.count)
            // Every frame before the first queued item's is finished, in frame order.
            let finished = (queue.first?.slot ?? firstSlot + open.count) - firstSlot
            for frame in open.prefix(finished) {
                openBytes -= frame.bytes
                frames.append(.init(index: frame.index, time: frame.time, original: frame.original,
                                    label: labels?.steering(frame: frame.index, time: frame.time, framesPerSecond: framesPerSecond)))
                for index in suite.settings.indices { transformed[index].append(frame.transformed[index]) }
            }
            open.removeFirst(finished)
            firstSlot += finished
            if finished > 0 { progress(frames.count) }
        }
        guard !frames.isEmpty else { throw reader.nothingDeliveredError(path: input) }
        return StressClipPredictions(clip: input, frames: frames, transformed: transformed)
    }

    /// The prediction per frame of a batch from ``inputBatch(_:reusing:costKinds:)``.
    func predictions(_ input: Tensor) throws -> [Double] {
        let values = try session.predict(predictionBatch: input)
        return (0..<input.batchSize).map { Double(values.scalars[$0 * values.itemCount + session.predictionUnit]) }
    }

    /// Each item's frame under its transform (or none), preprocessed (``ModelSession/predictionInput``) into one model batch,
    /// one worker per core, each taking the next item when it is free (a worker whose core the decoder
    /// shares takes fewer).
    /// With `costKinds` (each item's slot in ``itemCosts``) the items are taken longest first, by what
    /// their kind took last time, so no core is left with a 6× scale while the other waits; the batch is
    /// the same whatever the order. `storage`, when it has the batch's size, is written into instead of
    /// new memory (and left empty).
    func inputBatch(_ items: [(frame: Frame, transform: (any FrameTransform)?)], reusing storage: inout [Float], costKinds: [Int]? = nil) throws -> Tensor {
        let modelInput = session.predictionInput
        let itemCount = modelInput.shape.reduce(1, *)
        // Not zero-filled first (5 MB a batch, on one core while the other waits): every item's
        // preprocessing writes all of its values, and a batch with a failed item is thrown away.
        var scalars = storage.count == items.count * itemCount ? storage
            : [Float](unsafeUninitializedCapacity: items.count * itemCount) { _, count in count = items.count * itemCount }
        storage = []  // so `scalars` is not shared with the caller's copy
        let lanes = min(max(Parallelism.laneCount, 1), items.count)
        var failures = [Error?](repeating: nil, count: lanes)
        let order = costKinds.map(itemCosts.longestFirst) ?? Array(items.indices)
        var spent = [UInt64](repeating: 0, count: items.count)  // thread nanoseconds per item
        let next = Atomic<Int>(0)
        scalars.withUnsafeMutableBufferPointer { buffer in
            failures.withUnsafeMutableBufferPointer { failed in
                spent.withUnsafeMutableBufferPointer { spent in
                    Parallelism.forEachLane(lanes) { lane in
                        do {
                            while true {
                                let position = next.add(1, ordering: .relaxed).oldValue
                                guard position < items.count else { break }
                                let item = order[position], start = StageClock.threadNow()
                                try Self.modelInput(items[item].frame, transform: items[item].transform, preprocess: modelInput.preprocess,
                                                    into: UnsafeMutableBufferPointer(rebasing: buffer[(item * itemCount)..<((item + 1) * itemCount)]))
                                spent[item] = StageClock.threadNow() &- start
                            }
                        } catch {
                            failed[lane] = error
                        }
                    }
                }
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
        if let costKinds { itemCosts.record(kinds: costKinds, spent: spent) }
        modelInput.normalize(&scalars)
        return Tensor(shape: [items.count] + modelInput.shape, scalars: scalars)
    }
}

extension StressRunner {
    /// The last measured cost (thread CPU nanoseconds) of each kind of batch item, shared by the runs of
    /// one runner (every clip of a suite has the same kinds).
    final class ItemCosts: Sendable {
        private let nanoseconds: Mutex<[UInt64]>

        init(kinds: Int) { nanoseconds = Mutex([UInt64](repeating: 0, count: kinds)) }

        /// The positions of items of kinds `kinds`, costliest kind first (equal costs, and kinds not
        /// measured yet, keep their order).
        func longestFirst(_ kinds: [Int]) -> [Int] {
            let costs = nanoseconds.withLock { costs in kinds.map { costs[$0] } }
            return kinds.indices.sorted { costs[$0] > costs[$1] || (costs[$0] == costs[$1] && $0 < $1) }
        }

        /// Keeps what each item (of kind `kinds[i]`) took, `spent[i]`.
        func record(kinds: [Int], spent: [UInt64]) {
            nanoseconds.withLock { costs in for (kind, time) in zip(kinds, spent) { costs[kind] = time } }
        }
    }

    /// The model input of `frame` under `transform` (Float32 HWC, see ``Preprocess/apply(to:into:)``):
    /// a ``CubicScale``'s rows go straight into the resize (the scaled frame, up to 36× the pixels, is
    /// never held); any other transform computes the rows of the crop (``transformForModel(_:transform:preprocess:)``).
    public static func modelInput(_ frame: Frame, transform: (any FrameTransform)?, preprocess: Preprocess, into output: UnsafeMutableBufferPointer<Float>) throws {
        if let scale = transform as? CubicScale { return try scale.modelInput(frame, preprocess: preprocess, into: output) }
        let (band, bandPreprocess) = try transformForModel(frame, transform: transform, preprocess: preprocess)
        try bandPreprocess.apply(to: band, into: output)
    }

    /// `transform` applied to `frame` for the model: only the rows the preprocessing's crop keeps are
    /// transformed (``FrameTransform/apply(_:rows:)``), and the preprocessing crops the columns of that
    /// band — the model input is the same bytes as from the whole transformed frame.
    public static func transformForModel(_ frame: Frame, transform: (any FrameTransform)?, preprocess: Preprocess) throws -> (Frame, Preprocess) {
        guard let transform else { return (frame, preprocess) }
        let size = transform.outputSize(width: frame.width, height: frame.height)
        let geometry = try preprocess.geometry(for: PixelSize(width: size.width, height: size.height))
        let band = try transform.apply(frame, rows: geometry.cropY..<(geometry.cropY + geometry.cropSize.height))
        var bandPreprocess = preprocess
        bandPreprocess.crop = CropInsets(top: 0, bottom: 0, left: geometry.cropX, right: size.width - geometry.cropX - geometry.cropSize.width)
        return (band, bandPreprocess)
    }
}

/// What a stress run measured on one clip: per frame the original prediction and label, per setting
/// the transformed predictions (in frame order).
public struct StressClipPredictions: Sendable {
    public struct FrameRecord: Sendable {
        public let index: Int
        public let time: Double
        public let original: Double
        public let label: Double?

        public init(index: Int, time: Double, original: Double, label: Double?) {
            (self.index, self.time, self.original, self.label) = (index, time, original, label)
        }
    }

    public let clip: String
    public let frames: [FrameRecord]
    /// `[setting][frame]`.
    public let transformed: [[Double]]

    public init(clip: String, frames: [FrameRecord], transformed: [[Double]]) {
        (self.clip, self.frames, self.transformed) = (clip, frames, transformed)
    }
}
