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
/// Per batch of decoded frames: the original batch and then, per setting, the transformed batch —
/// each frame transformed and preprocessed on its own worker (``Parallelism/forEachLane(_:_:)``, one
/// per core) into one `[N, H, W, C]` tensor — go through the model forward. Maps are computed later,
/// and only for the worst cases (``StressWorstCases``).
public struct StressRunner {
    public let suite: StressSuite
    public let session: ModelSession
    /// Which frames of each clip.
    public let selection: ReadOptions
    /// Frames per forward pass.
    public let batchSize: Int
    /// `--labels`' path, and `--label-field` for datasets.
    public let labelsPath: String?, labelField: String?

    public init(suite: StressSuite, session: ModelSession, selection: ReadOptions, batchSize: Int, labelsPath: String? = nil, labelField: String? = nil) {
        (self.suite, self.session, self.selection, self.batchSize) = (suite, session, selection, batchSize)
        (self.labelsPath, self.labelField) = (labelsPath, labelField)
    }

    /// Predictions of one clip under every setting. `progress` hears the frames done so far.
    public func run(_ input: String, labels: LabelTrack?, progress: (Int) -> Void = { _ in }) throws -> StressClipPredictions {
        let reader = try FrameSources.open(input, options: selection)
        let labels = try InputLabels.resolve(file: labels, filePath: labelsPath, field: labelField, reader: reader).track
        defer { reader.printWarnings() }
        _ = try session.modelInput.preprocess.geometry(for: PixelSize(width: reader.info.displayWidth, height: reader.info.displayHeight))
        var frames: [StressClipPredictions.FrameRecord] = []
        var transformed = [[Double]](repeating: [], count: suite.settings.count)
        while true {
            try Interruption.shared.check(progress: "after \(frames.count) frames of \(input)")
            let batch = try reader.nextBatch(batchSize)
            if batch.isEmpty { break }
            let original = try predictions(try inputBatch(batch, transform: nil))
            for (row, frame) in batch.enumerated() {
                frames.append(.init(index: frame.index, time: frame.time, original: original[row],
                                    label: labels?.steering(frame: frame.index, time: frame.time, framesPerSecond: reader.info.framesPerSecond)))
            }
            for (index, setting) in suite.settings.enumerated() {
                transformed[index] += try predictions(try inputBatch(batch, transform: setting.transform))
            }
            progress(frames.count)
        }
        guard !frames.isEmpty else { throw VideoError.noDecodableFrames(path: input, decodeErrors: reader.decodeErrorCount + reader.readErrorCount) }
        return StressClipPredictions(clip: input, frames: frames, transformed: transformed)
    }

    /// The prediction per frame of a preprocessed batch.
    func predictions(_ input: Tensor) throws -> [Double] {
        let values = try session.predict(input)
        return (0..<input.batchSize).map { Double(values.scalars[$0 * values.itemCount + session.predictionUnit]) }
    }

    /// `frames` transformed (or not) and preprocessed into one model batch, one worker per core, each
    /// taking the next frame when it is free (a worker whose core the decoder shares takes fewer).
    func inputBatch(_ frames: [Frame], transform: (any FrameTransform)?) throws -> Tensor {
        let modelInput = session.modelInput
        let itemCount = modelInput.shape.reduce(1, *)
        // Not zero-filled first (5 MB a batch, on one core while the other waits): every item's
        // preprocessing writes all of its values, and a batch with a failed item is thrown away.
        var scalars = [Float](unsafeUninitializedCapacity: frames.count * itemCount) { _, count in count = frames.count * itemCount }
        let lanes = min(max(Parallelism.laneCount, 1), frames.count)
        var failures = [Error?](repeating: nil, count: lanes)
        let next = Atomic<Int>(0)
        scalars.withUnsafeMutableBufferPointer { buffer in
            failures.withUnsafeMutableBufferPointer { failed in
                Parallelism.forEachLane(lanes) { lane in
                    do {
                        while true {
                            let item = next.add(1, ordering: .relaxed).oldValue
                            guard item < frames.count else { break }
                            try Self.modelInput(frames[item], transform: transform, preprocess: modelInput.preprocess,
                                                into: UnsafeMutableBufferPointer(rebasing: buffer[(item * itemCount)..<((item + 1) * itemCount)]))
                        }
                    } catch {
                        failed[lane] = error
                    }
                }
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
        modelInput.normalize(&scalars)
        return Tensor(shape: [frames.count] + modelInput.shape, scalars: scalars)
    }
}

extension StressRunner {
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
