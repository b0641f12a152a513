import Analysis
import ArgumentParser
import Foundation

/// `steerlens check`: a model against a recorded `analyze` run, so CI needs no copy of the old model.
struct Check: ReportingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare a model against a recorded analyze run (its run.json and saliency-grid.npy) and fail (exit 1) on a regression.",
        discussion: "Frames are matched by index; use the same clip and frame selection as the recorded run. Thresholds, outputs and exit codes as for compare."
    )

    @Argument(help: "The clips the recorded run analysed.")
    var inputs: [String]

    @Option(help: ArgumentHelp("The recorded run: an analyze output directory or its run.json.", valueName: "dir|file"))
    var baselineRun: String

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var batch: BatchOptions
    @OptionGroup var thresholdOptions: ThresholdOptions
    @OptionGroup var output: ComparisonOutputOptions
    @OptionGroup var labels: LabelOptions
    @OptionGroup var selection: FrameSelectionOptions
    @OptionGroup var preprocessing: PreprocessOptions

    func execute() throws {
        let recorded = try RecordedRun.load(baselineRun)
        var request = recorded.request
        // The candidate may name its steering head differently: --output picks it; by default the
        // output of the recorded name.
        if let output = modelOptions.output { request.output = output }
        let kinds = request.kinds
        let thresholds = try thresholdOptions.resolved()
        let labelTrack = try labels.track()
        let runner = try modelOptions.session(request: request, explains: true, preprocessing: preprocessing)
        let comparer = ClipComparer(selection: selection.readOptions, batchSize: batch.batchSize, labelsPath: labels.labels, labelField: labels.dataset.labelField)
        let run = ComparisonRun(comparer: comparer, labels: labelTrack, kinds: kinds, thresholds: thresholds, version: SteerLens.version, junit: output.junit)
        let destination = output.directory.destination("check", input: inputs[0])
        Interruption.shared.install()
        let report = try run.check(inputs, recorded: recorded, candidate: (modelOptions.model, runner), destination: destination,
                                   overwrite: output.directory.overwrite, warn: printError)
        try output.conclude(report, destination: destination)
    }
}
