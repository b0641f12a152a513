import ArgumentParser
import Foundation
import Reporting
import NeuralNet
import Saliency
import SteerLensSupport
import VideoIO

/// `steerlens check`: a model against a recorded `analyze` run, so CI needs no copy of the old model.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare a model against a recorded analyze run (its run.json and saliency-grid.npy) and fail (exit 1) on a regression.",
        discussion: "Frames are matched by index; use the same clip and frame selection as the recorded run. Thresholds, outputs and exit codes as for compare."
    )

    @Argument(help: "The clips the recorded run analysed.")
    var inputs: [String]

    @Option(help: ArgumentHelp("The recorded run: an analyze output directory or its run.json.", valueName: "dir|file"))
    var baselineRun: String

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: ArgumentHelp("Frames per forward/backward pass.", valueName: "N"))
    var batchSize: Int = 32

    @OptionGroup var thresholdOptions: ThresholdOptions
    @OptionGroup var output: ComparisonOutputOptions
    @OptionGroup var selection: FrameSelectionOptions
    @OptionGroup var preprocessing: PreprocessOptions
    @OptionGroup var datasetLabels: DatasetLabelOptions

    func run() throws {
        try reportingFailures("check") {
            let recorded = try RecordedRun.load(baselineRun)
            var request = recorded.request
            // The candidate may name its steering head differently: --output picks it; by default the
            // output of the recorded name.
            if let output = modelOptions.output { request.output = output }
            let kinds = request.kinds
            let thresholds = try thresholdOptions.resolved()
            let labels = try output.labels.map { try LabelTrack.load(URL(fileURLWithPath: $0)) }
            let runner = try ModelRunner(path: modelOptions.model, loading: modelOptions.loading, preprocessing: preprocessing, request: request,
                                         ignoreSidecar: modelOptions.ignoreSidecar, bins: modelOptions.bins)
            let destination = URL(fileURLWithPath: output.out ?? "Reports/check-" + ClipNaming.stem(inputs[0]))
            Interruption.shared.install()
            let report = try OutputDirectory.produce(destination, overwrite: output.overwrite) { staging -> ComparisonReport in
                let clips = try inputs.map { try check($0, recorded: recorded, runner: runner, labels: labels, kinds: kinds, thresholds: thresholds) }
                let report = ComparisonReport(steerlensVersion: SteerLens.version, baseline: recorded.path, candidate: modelOptions.model,
                                              thresholds: thresholds, kinds: kinds.map(\.name), clips: clips)
                let highlighted = Dictionary(uniqueKeysWithValues: clips.map { ($0.clip, ComparisonPage.highlightedFrames($0, kinds: kinds.map(\.name))) })
                try ComparisonOutput.write(report, into: staging, options: output, images: [:], highlighted: highlighted)
                return report
            }
            try ComparisonOutput.conclude(report, destination: destination, options: output)
        }
    }

    func check(_ input: String, recorded: RecordedRun, runner: ModelRunner, labels: LabelTrack?, kinds: [SaliencyMapKind],
               thresholds: ComparisonThresholds) throws -> ClipComparison {
        let reader = try FrameSources.open(input, options: selection.readOptions)
        let labels = try InputLabels.resolve(file: labels, filePath: output.labels, field: datasetLabels.labelField, reader: reader).track
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
            printError("steerlens: warning: \(compared.count) frames matched, the recorded run has \(recorded.frames.count)")
        }
        return ClipComparison(clip: input, frames: compared, kinds: kinds.map(\.name), thresholds: thresholds)
    }
}

/// A finished `analyze` run read back: what it explained, its predictions and saliency grids by frame
/// index.
struct RecordedRun {
    let path: String
    /// The recorded maps and objective, to be recomputed exactly with the candidate.
    let request: ExplanationRequest
    let gridSize: PixelSize
    let frames: [Int: (prediction: Double, grids: [[Float]])]

    static func load(_ location: String) throws -> RecordedRun {
        var url = URL(fileURLWithPath: location)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw RecordedRunError(path: location, detail: "it does not exist", kind: .missingInput)
        }
        if !isDirectory.boolValue { url = url.deletingLastPathComponent() }
        let runURL = url.appendingPathComponent("run.json"), gridURL = url.appendingPathComponent("saliency-grid.npy")
        let report: RunReport
        do { report = try JSONDecoder().decode(RunReport.self, from: Data(contentsOf: runURL)) } catch {
            throw RecordedRunError(path: runURL.path, detail: "cannot read it as an analyze run.json (\(error.localizedDescription))")
        }
        let grid: NPYArray
        do { grid = try NPYArray(contentsOf: gridURL) } catch {
            throw RecordedRunError(path: gridURL.path, detail: "cannot read the recorded saliency grid (\(error))")
        }
        let request = try explanationRequest(report.settings.explanation, runURL: runURL)
        let kinds = request.kinds.map(\.name)
        guard grid.shape.count == 4, grid.shape[0] == report.frames.count, grid.shape[1] == kinds.count else {
            throw RecordedRunError(path: gridURL.path, detail: "its shape \(grid.shape) does not match \(report.frames.count) frames and \(kinds.count) maps in run.json")
        }
        let (rows, columns) = (grid.shape[2], grid.shape[3]), cells = rows * columns
        var frames: [Int: (Double, [[Float]])] = [:]
        for (index, entry) in report.frames.enumerated() {
            let grids = kinds.indices.map { kind in Array(grid.values[((index * kinds.count + kind) * cells)..<((index * kinds.count + kind + 1) * cells)]) }
            frames[entry.frame] = (entry.prediction, grids)
        }
        return RecordedRun(path: url.path, request: request, gridSize: PixelSize(width: columns, height: rows), frames: frames)
    }

    /// The recorded explanation as a request, or an error when `check` could not reproduce it.
    private static func explanationRequest(_ explanation: RunReport.Explanation?, runURL: URL) throws -> ExplanationRequest {
        guard let explanation else {
            throw RecordedRunError(path: runURL.path, detail: "it does not record what its maps explain (written by an older SteerLens)",
                                   hint: "record the baseline again with `steerlens analyze`")
        }
        var request = ExplanationRequest(kinds: [])
        for map in explanation.maps {
            guard let modifier = GradientModifier(rawValue: map.modifier) else {
                throw RecordedRunError(path: runURL.path, detail: "its map '\(map.name)' uses an unknown gradient modifier '\(map.modifier)'")
            }
            request.kinds.append(SaliencyMapKind(name: map.name, modifier: modifier))
        }
        if let modifier = explanation.backpropModifier {
            guard let parsed = BackpropModifier(argument: modifier) else {
                throw RecordedRunError(path: runURL.path, detail: "it uses an unknown backprop modifier '\(modifier)'")
            }
            request.backpropModifier = parsed
        }
        if explanation.keepChannels {
            throw RecordedRunError(path: runURL.path, detail: "its maps keep the colour channels (--keep-channels), which check cannot compare",
                                   hint: "record the baseline without --keep-channels")
        }
        switch (explanation.output, explanation.layer, explanation.filter) {
        case (let output?, nil, nil):
            (request.output, request.unit) = (output, explanation.unit ?? 0)
        case (nil, let layer?, let filter?):
            request.filter = (layer, filter)
        default:
            throw RecordedRunError(path: runURL.path, detail: "its explanation names neither an output nor a layer filter")
        }
        return request
    }
}

/// A recorded run that cannot be used as a baseline.
struct RecordedRunError: SteerLensError {
    let path: String
    let detail: String
    var kind: FailureKind = .badInput
    var hint = "pass the output directory of `steerlens analyze` (it holds run.json and saliency-grid.npy)"
    var message: String { "recorded run '\(path)': \(detail)" }

    init(path: String, detail: String, kind: FailureKind = .badInput, hint: String? = nil) {
        (self.path, self.detail, self.kind) = (path, detail, kind)
        if let hint { self.hint = hint }
    }
}
