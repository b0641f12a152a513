import Analysis
import ArgumentParser
import Foundation
import Reporting
import Saliency
import SteerLensSupport

/// `steerlens stress`: metamorphic testing of a model under a suite of image transformations.
struct Stress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model on every frame under a suite of image transformations and fail (exit 1) when its metamorphic relations break too often.",
        discussion: """
        Suites: deeptest (DeepTest's 70 settings: translation, scale, shear, rotation, contrast, \
        brightness, blur), default (deeptest plus fog, rain, night, lens dirt, JPEG/H.264 \
        re-compression, roll, pitch and flip) or a JSON file. With labels a transformed frame violates \
        when (prediction − label)² > λ·MSE of the originals; without, when |transformed − original| > \
        δ; the flip when |flipped + original| > δ. Writes OUT/index.html, stress.json, stress.csv and \
        the worst frames with maps; exit 0 within thresholds, 1 when one fails, 64–74 for usage and \
        input errors.
        """
    )

    @Argument(help: "Video files, images, image-sequence patterns or datasets.")
    var inputs: [String]

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: ArgumentHelp("default, deeptest, or a JSON suite file.", valueName: "suite"))
    var suite: String = "default"

    @Option(help: ArgumentHelp("Steering labels (frame,steering / time_s,steering CSV or driving_log.csv): DeepTest's λ·MSE relation.", valueName: "file"))
    var labels: String?

    @Option(name: .customLong("mse-lambda"), help: ArgumentHelp("DeepTest's λ: with labels a frame violates when its squared error exceeds λ × the originals' MSE (default: the suite's, else 5).", valueName: "λ"))
    var mseLambda: Double?

    @Option(help: ArgumentHelp("Largest allowed |transformed − original| without labels, and |flipped + original| (default: the suite's, else the model sidecar's stress.delta, else 0.1).", valueName: "δ"))
    var delta: Double?

    @Option(help: ArgumentHelp("JSON file with thresholds (keys maxViolationRate, maxSettingViolationRate, maxFlipViolationRate); default: the suite's.", valueName: "file"))
    var thresholds: String?

    @Option(help: ArgumentHelp("Output directory (default Reports/stress-<first input stem>/).", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("Also write JUnit XML (one test case per threshold and per setting) to this file.", valueName: "file"))
    var junit: String?

    @Flag(help: "Replace an output directory that exists and is not empty.")
    var overwrite = false

    @Option(help: ArgumentHelp("Maps drawn for the worst frames, comma-separated.", valueName: "list"))
    var maps: String = "increase"

    @Option(help: ArgumentHelp("Decoded frames per batch: each setting's transformed batch is one forward pass.", valueName: "N"))
    var batchSize: Int = 96

    @OptionGroup var selection: FrameSelectionOptions
    @OptionGroup var preprocessing: PreprocessOptions
    @OptionGroup var datasetLabels: DatasetLabelOptions

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        if let mseLambda, !(mseLambda >= 0) { throw ValidationError("--mse-lambda must not be negative") }
        if let delta, !(delta >= 0) { throw ValidationError("--delta must not be negative") }
    }

    func run() throws {
        try reportingFailures("stress") {
            let started = Date()
            let suite = try StressSuite.named(self.suite)
            let limits = try thresholds.map { try StressThresholds.load(URL(fileURLWithPath: $0)) } ?? suite.thresholds
            let kinds = try parsedMapKinds(maps)
            let labelTrack = try labels.map { try LabelTrack.load(URL(fileURLWithPath: $0)) }
            let session = try modelOptions.session(request: ExplanationRequest(kinds: kinds, output: modelOptions.output, explainsBin: false),
                                                   explains: true, preprocessing: preprocessing)
            let runner = StressRunner(suite: suite, session: session, selection: selection.readOptions, batchSize: batchSize,
                                      labelsPath: labels, labelField: datasetLabels.labelField)
            let run = StressRun(runner: runner, lambda: mseLambda ?? suite.lambda, delta: suite.delta(flag: delta, sidecar: session.stressDefaults),
                                thresholds: limits, version: SteerLens.version)
            Interruption.shared.install()
            let evaluation = try run.evaluate(inputs, labels: labelTrack, progress: printError)
            let destination = URL(fileURLWithPath: out ?? "Reports/stress-" + ClipNaming.stem(inputs[0]))
            let report = try run.write(evaluation, model: modelOptions.model, destination: destination, overwrite: overwrite, junit: junit, started: started)
            try StressOutput.conclude(report, destination: destination)
        }
    }
}

/// Prints a stress run's table and verdict.
enum StressOutput {
    /// The violation table on standard output, the verdict on standard error; exit 1 when a threshold fails.
    static func conclude(_ report: StressReport, destination: URL) throws {
        try StandardOutput.line("transform,violation_rate,violations,frames,mean_abs_change,relation")
        for setting in report.settings {
            try StandardOutput.line(String(format: "%@,%.4f,%d,%d,%.4f,%@", setting.specification.contains(",") ? "\"\(setting.specification)\"" : setting.specification,
                                           setting.violationRate, setting.violations, setting.frames, setting.meanAbsoluteChange, setting.relation))
        }
        printError("report: \(destination.appendingPathComponent("index.html").path)")
        var summary = String(format: "violation rate %.4f (%d settings)", report.violationRate, report.settings.count)
        if let flip = report.flipViolationRate { summary += String(format: ", flip violation rate %.4f", flip) }
        printError(summary)
        guard report.passed else {
            for check in report.checks where !check.passed {
                printError(String(format: "fail: %@ = %.4g, limit %@ %.4g", check.name, check.value, check.comparison, check.limit))
            }
            throw ExitCode(1)
        }
        printError("pass: every stress threshold holds")
    }
}
