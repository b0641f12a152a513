import ArgumentParser
import Foundation
import Reporting
import Saliency
import SteerLensSupport
import VideoIO

/// `steerlens compare`: a baseline and a candidate model on the same frames, as a CI gate.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a baseline and a candidate model on the same clips and fail (exit 1) when the candidate regresses.",
        discussion: """
        Both models see the same decoded frames (one decoding pass), each with its own preprocessing \
        (its sidecar, then the shared flags). Per frame: both predictions, their delta, errors against \
        --labels, and saliency drift per map (Pearson correlation and top-10 % IoU of the maps drawn on \
        a common frame grid). Writes OUT/index.html, OUT/comparison.json and overlays of the frames \
        that differ most; exit 0 within thresholds, 1 on a regression, 64–74 for usage and input errors.
        """
    )

    @Argument(help: "Video files, images, or image-sequence patterns.")
    var inputs: [String]

    @Option(help: ArgumentHelp("The model in production.", valueName: "file"))
    var baseline: String

    @Option(help: ArgumentHelp("The new model.", valueName: "file"))
    var candidate: String

    @Option(help: ArgumentHelp("Maps to compare, comma-separated.", valueName: "list"))
    var maps: String = "increase,decrease"

    @Flag(help: "Do not read the models' preprocessing sidecars.")
    var ignoreSidecar = false

    @Option(help: ArgumentHelp("Frames per forward/backward pass.", valueName: "N"))
    var batchSize: Int = 32

    @OptionGroup var thresholdOptions: ThresholdOptions
    @OptionGroup var output: ComparisonOutputOptions
    @OptionGroup var loading: ModelLoadingOptions
    @OptionGroup var selection: FrameSelectionOptions
    @OptionGroup var preprocessing: PreprocessOptions
    @OptionGroup var datasetLabels: DatasetLabelOptions

    func run() throws {
        try reportingFailures("compare") {
            let kinds = try maps.split(separator: ",").map { try SaliencyMapKind.named($0.trimmingCharacters(in: .whitespaces)) }
            let thresholds = try thresholdOptions.resolved()
            let labels = try output.labels.map { try LabelTrack.load(URL(fileURLWithPath: $0)) }
            let request = ExplanationRequest(kinds: kinds)
            let baselineRunner = try ModelRunner(path: baseline, loading: loading, preprocessing: preprocessing, request: request, ignoreSidecar: ignoreSidecar)
            let candidateRunner = try ModelRunner(path: candidate, loading: loading, preprocessing: preprocessing, request: request, ignoreSidecar: ignoreSidecar)
            let destination = URL(fileURLWithPath: output.out ?? "Reports/compare-" + ClipNaming.stem(inputs[0]))
            Interruption.shared.install()
            let report = try OutputDirectory.produce(destination, overwrite: output.overwrite) { staging -> ComparisonReport in
                var clips: [ClipComparison] = [], images: [String: String] = [:], highlighted: [String: [Int]] = [:]
                for input in inputs {
                    let clip = try compare(input, baseline: baselineRunner, candidate: candidateRunner, labels: labels, kinds: kinds, thresholds: thresholds)
                    clips.append(clip)
                    let frames = ComparisonPage.highlightedFrames(clip, kinds: kinds.map(\.name))
                    highlighted[input] = frames
                    let folder = ClipNaming.stem(input)
                    images[input] = folder
                    try writeOverlays(input, frames: frames, runners: [("baseline", baselineRunner), ("candidate", candidateRunner)],
                                      into: staging.appendingPathComponent(folder))
                }
                let report = ComparisonReport(steerlensVersion: SteerLens.version, baseline: baseline, candidate: candidate,
                                              thresholds: thresholds, kinds: kinds.map(\.name), clips: clips)
                try ComparisonOutput.write(report, into: staging, options: output, images: images, highlighted: highlighted)
                return report
            }
            try ComparisonOutput.conclude(report, destination: destination, options: output)
        }
    }

    /// One decoding pass through both models.
    func compare(_ input: String, baseline: ModelRunner, candidate: ModelRunner, labels: LabelTrack?, kinds: [SaliencyMapKind],
                 thresholds: ComparisonThresholds) throws -> ClipComparison {
        let reader = try FrameSources.open(input, options: selection.readOptions)
        let labels = try InputLabels.resolve(file: labels, filePath: output.labels, field: datasetLabels.labelField, reader: reader).track
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
        }
        guard !compared.isEmpty else { throw VideoError.noDecodableFrames(path: input, decodeErrors: reader.decodeErrorCount + reader.readErrorCount) }
        return ClipComparison(clip: input, frames: compared, kinds: kinds.map(\.name), thresholds: thresholds)
    }

    /// Second pass over the clip for the highlighted frames only: overlays of each model, 480 px wide.
    func writeOverlays(_ input: String, frames wanted: [Int], runners: [(String, ModelRunner)], into folder: URL) throws {
        guard !wanted.isEmpty else { return }
        let reader = try FrameSources.open(input, options: selection.readOptions)
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
                                               settings: OverlaySequence.Settings(displayScales: [SaliencyMapKind.maintain.name: .percentile(99)], width: min(480, first.width)),
                                               projection: MapProjection(geometry: geometry), kinds: runner.engine.kinds.map(\.name), framesPerSecond: 0)
            for (frame, result) in zip(frames, try runner.explain(frames, grid: SaliencyGrid(geometry: geometry))) {
                try sequence.write(frame: frame, maps: result.maps)
            }
            try sequence.finish()
        }
    }
}

/// Folder and report names derived from inputs.
enum ClipNaming {
    /// The stem of an input: its file name without extension, or an image sequence's folder name.
    static func stem(_ input: String) -> String {
        let url = URL(fileURLWithPath: input)
        return input.contains("%") ? url.deletingLastPathComponent().lastPathComponent : url.deletingPathExtension().lastPathComponent
    }
}
