import Foundation
import Reporting
import Saliency
import SteerLensSupport
import Transforms
import VideoIO

/// The frame loops of `compare` (a baseline and a candidate model on the same decoded frames) and
/// `check` (a model against a recorded run): per-frame predictions and saliency grids into a
/// ``ClipComparison``, checking for interruption between batches.
public struct ClipComparer {
    /// Which frames of each clip.
    public let selection: ReadOptions
    /// Frames per forward/backward pass.
    public let batchSize: Int
    /// `--labels`' path, for the labels' source; `--label-field`: the recorded field of a dataset input
    /// used as labels when no file is given.
    public let labelsPath: String?, labelField: String?
    /// Applied to every decoded frame before the preprocessing (`check` of a run recorded with `--transform`).
    public var transform: (any FrameTransform)?

    public init(selection: ReadOptions, batchSize: Int, labelsPath: String? = nil, labelField: String? = nil) {
        (self.selection, self.batchSize, self.labelsPath, self.labelField) = (selection, batchSize, labelsPath, labelField)
    }

    /// The clip's frames as both sides of a comparison see them.
    private func open(_ input: String) throws -> any FrameSource {
        try FrameSources.open(input, options: selection, transform: transform)
    }

    /// One decoding pass through both models.
    public func compare(_ input: String, baseline: ModelSession, candidate: ModelSession, labels: LabelTrack?, kinds: [SaliencyMapKind],
                 thresholds: ComparisonThresholds) throws -> ClipComparison {
        let reader = try open(input)
        let labels = try InputLabels.resolve(file: labels, filePath: labelsPath, field: labelField, reader: reader).track
        defer { reader.printWarnings() }
        let frameSize = PixelSize(width: reader.info.displayWidth, height: reader.info.displayHeight)
        // Both maps go onto one frame grid, so models with different crops or input sizes compare.
        let grid = SaliencyGrid(geometry: try baseline.modelInput.preprocess.geometry(for: frameSize))
        let candidateGrid = SaliencyGrid(geometry: try candidate.modelInput.preprocess.geometry(for: frameSize))
        var compared: [ComparedFrame] = []
        // Decoding and both preprocessings run one batch ahead, overlapping the two models' passes.
        let batches = BatchPrefetcher(reader: reader, modelInputs: [baseline.modelInput, candidate.modelInput], batchSize: batchSize,
                                      keepsPixels: { _ in false })
        defer { batches.stop() }
        while let (frames, inputs) = try batches.next() {
            try Interruption.shared.check(progress: "after \(compared.count) frames of \(input)")
            let baselineResults = try baseline.explain(inputs[0], grid: grid)
            let candidateResults = try candidate.explain(inputs[1], grid: candidateGrid)
            for (index, frame) in frames.enumerated() {
                let (base, cand) = (baselineResults[index], candidateResults[index])
                compared.append(ComparedFrame(frame: frame.index, time: frame.time, baseline: base.prediction, candidate: cand.prediction,
                                              label: labels?.steering(frame: frame.index, time: frame.time, framesPerSecond: reader.info.framesPerSecond),
                                              kinds: kinds.map(\.name), baselineGrids: base.grids, candidateGrids: cand.grids))
            }
            batches.recycle(inputs)
        }
        guard !compared.isEmpty else { throw reader.nothingDeliveredError(path: input) }
        return ClipComparison(clip: input, frames: compared, kinds: kinds.map(\.name), thresholds: thresholds)
    }

    /// Second pass over the clip for the highlighted frames only: overlays of each model, 480 px wide.
    public func writeOverlays(_ input: String, frames wanted: [Int], runners: [(String, ModelSession)], into folder: URL) throws {
        guard !wanted.isEmpty else { return }
        let reader = try open(input)
        let remaining = Set(wanted)
        var frames: [Frame] = []
        while frames.count < remaining.count, let frame = try reader.next() {
            if remaining.contains(frame.index) { frames.append(frame) }
        }
        guard let first = frames.first else { return }
        let frameSize = PixelSize(width: first.width, height: first.height)
        for (name, runner) in runners {
            let geometry = try runner.modelInput.preprocess.geometry(for: frameSize)
            let sequence = try OverlaySequence(directory: folder.appendingPathComponent(name),
                                               settings: OverlaySequence.Settings(displayScales: [.maintain: .percentile(99)], width: min(480, first.width)),
                                               projection: MapProjection(geometry: geometry), kinds: runner.explainer.kinds, framesPerSecond: 0)
            for (frame, result) in zip(frames, try runner.explain(frames, grid: SaliencyGrid(geometry: geometry))) {
                try sequence.write(frame: frame, maps: result.maps)
            }
            try sequence.finish()
        }
    }

    /// One pass of `session` over the clip, frame by frame against the recorded run (matched by index);
    /// `warn` hears of frames the recorded run has and the clip does not.
    public func check(_ input: String, recorded: RecordedRun, runner: ModelSession, labels: LabelTrack?, kinds: [SaliencyMapKind],
               thresholds: ComparisonThresholds, warn: (String) -> Void) throws -> ClipComparison {
        let reader = try open(input)
        let labels = try InputLabels.resolve(file: labels, filePath: labelsPath, field: labelField, reader: reader).track
        defer { reader.printWarnings() }
        let grid = SaliencyGrid(geometry: try runner.modelInput.preprocess.geometry(for: PixelSize(width: reader.info.displayWidth, height: reader.info.displayHeight)))
        guard grid.size == recorded.gridSize else {
            throw RecordedRunError(path: recorded.path, detail: "its saliency grid is \(recorded.gridSize), this clip's is \(grid.size): was it made from another clip?")
        }
        var compared: [ComparedFrame] = []
        while true {
            try Interruption.shared.check(progress: "after \(compared.count) frames of \(input)")
            let frames = try reader.nextBatch(batchSize)
            if frames.isEmpty { break }
            for (frame, result) in zip(frames, try runner.explain(frames, grid: grid)) {
                guard let base = recorded.frames[frame.index] else { continue }
                compared.append(ComparedFrame(frame: frame.index, time: frame.time, baseline: base.prediction, candidate: result.prediction,
                                              label: labels?.steering(frame: frame.index, time: frame.time, framesPerSecond: reader.info.framesPerSecond),
                                              kinds: kinds.map(\.name), baselineGrids: base.grids, candidateGrids: result.grids))
            }
        }
        guard !compared.isEmpty else {
            throw RecordedRunError(path: recorded.path, detail: "none of its frames were found in '\(input)'; use the clip and frame selection of the recorded run")
        }
        if compared.count != recorded.frames.count {
            warn("steerlens: warning: \(compared.count) frames matched, the recorded run has \(recorded.frames.count)")
        }
        return ClipComparison(clip: input, frames: compared, kinds: kinds.map(\.name), thresholds: thresholds)
    }
}

/// Folder and report names derived from inputs.
public enum ClipNaming {
    /// The stem of an input: its file name without extension, or an image sequence's folder name.
    public static func stem(_ input: String) -> String {
        let url = URL(fileURLWithPath: input)
        return input.contains("%") ? url.deletingLastPathComponent().lastPathComponent : url.deletingPathExtension().lastPathComponent
    }

    /// Where `analyze` writes `input`'s report: `out` for a single input, `out/<stem>` for one of several,
    /// `Reports/<stem>` without `out`.
    public static func reportDirectory(for input: String, inputCount: Int, out: String?) -> URL {
        guard let out else { return URL(fileURLWithPath: "Reports").appendingPathComponent(stem(input)) }
        return inputCount == 1 ? URL(fileURLWithPath: out) : URL(fileURLWithPath: out).appendingPathComponent(stem(input))
    }
}
