import Analysis
import ArgumentParser
import Foundation
import Reporting

/// `steerlens compare`: a baseline and a candidate model on the same frames, as a CI gate.
struct Compare: ReportingCommand {
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
    var inputs: [String] = []

    @OptionGroup var fleet: FleetOptions

    @Option(help: ArgumentHelp("The model in production.", valueName: "file"))
    var baseline: String

    @Option(help: ArgumentHelp("The new model.", valueName: "file"))
    var candidate: String

    @Option(help: ArgumentHelp("Maps to compare, comma-separated.", valueName: "list"))
    var maps: String = "increase,decrease"

    @Flag(help: "Do not read the models' preprocessing sidecars.")
    var ignoreSidecar = false

    @Option(help: ArgumentHelp("Also run this stress suite (default, deeptest or a JSON file) on both models and fail when the candidate's violation rate rises (see stress).", valueName: "suite"))
    var stress: String?

    @OptionGroup var batch: BatchOptions
    @OptionGroup var thresholdOptions: ThresholdOptions
    @OptionGroup var output: ComparisonOutputOptions
    @OptionGroup var labels: LabelOptions
    @OptionGroup var loading: ModelLoadingOptions
    @OptionGroup var selection: FrameSelectionOptions
    @OptionGroup var preprocessing: PreprocessOptions

    func validate() throws {
        try fleet.validate(inputs: inputs, out: output.directory.out)
    }

    func execute() throws {
        let kinds = try parsedMapKinds(maps)
        let thresholds = try thresholdOptions.resolved()
        let labelTrack = try labels.track()
        let request = ExplanationRequest(kinds: kinds)
        let baselineRunner = try loading.session(path: baseline, request: request, ignoreSidecar: ignoreSidecar, preprocessing: preprocessing)
        let candidateRunner = try loading.session(path: candidate, request: request, ignoreSidecar: ignoreSidecar, preprocessing: preprocessing)
        func comparison(labels track: LabelTrack?, from path: String?, junit: String?) -> ComparisonRun {
            ComparisonRun(comparer: ClipComparer(selection: selection.readOptions, batchSize: batch.batchSize, labelsPath: path, labelField: labels.dataset.labelField),
                          labels: track, kinds: kinds, thresholds: thresholds, version: SteerLens.version, junit: junit)
        }
        if let out = output.directory.out, fleet.manifest != nil {
            let models = [baseline, candidate] + [baselineRunner.sidecarPath, candidateRunner.sidecarPath, loading.architecture].compactMap { $0 }
            return try fleet.run(command: "compare", out: out, modelFiles: models) { entry, destination in
                let clipLabels = try entry.labels.map { try LabelTrack.load(URL(fileURLWithPath: $0)) } ?? labelTrack
                _ = try comparison(labels: clipLabels, from: entry.labels ?? labels.labels, junit: nil)
                    .compare([entry.clip], baseline: (baseline, baselineRunner), candidate: (candidate, candidateRunner), destination: destination, overwrite: false)
            }
        }
        let run = comparison(labels: labelTrack, from: labels.labels, junit: output.junit)
        let destination = output.directory.destination("compare", input: inputs[0])
        Interruption.shared.install()
        // A stress suite is read before the long comparison, so a bad file fails at once.
        let suite = try stress.map { try StressSuite.named($0) }
        let robustness = suite.map { suite in {
            try StressComparison.run(inputs, suite: suite, baseline: baselineRunner, candidate: candidateRunner, selection: selection.readOptions,
                                     batchSize: batch.batchSize, labels: labelTrack, labelsPath: labels.labels, labelField: labels.dataset.labelField,
                                     lambda: suite.lambda, delta: suite.delta(flag: nil, sidecar: baselineRunner.stressDefaults), thresholds: suite.thresholds)
        } }
        let report = try run.compare(inputs, baseline: (baseline, baselineRunner), candidate: (candidate, candidateRunner),
                                     destination: destination, overwrite: output.directory.overwrite, robustness: robustness)
        if let stress = report.stress {
            printError(stress.summary)
            for check in stress.checks where !check.passed { printError("regression: \(check)") }
        }
        try output.conclude(report, destination: destination)
    }
}
