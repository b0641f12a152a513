import Analysis
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
            let runner = try modelOptions.session(request: request, explains: true, preprocessing: preprocessing)
            let run = ComparisonRun(comparer: ClipComparer(selection: selection.readOptions, batchSize: batchSize, labelsPath: output.labels, labelField: datasetLabels.labelField), labels: labels, kinds: kinds,
                                    thresholds: thresholds, version: SteerLens.version, junit: output.junit)
            let destination = URL(fileURLWithPath: output.out ?? "Reports/check-" + ClipNaming.stem(inputs[0]))
            Interruption.shared.install()
            let report = try run.check(inputs, recorded: recorded, candidate: (modelOptions.model, runner), destination: destination,
                                       overwrite: output.overwrite, warn: printError)
            try ComparisonOutput.conclude(report, destination: destination, options: output)
        }
    }
}
