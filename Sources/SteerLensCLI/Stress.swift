import Analysis
import ArgumentParser
import Foundation
import Reporting

/// `steerlens stress`: metamorphic testing of a model under a suite of image transformations.
struct Stress: ReportingCommand {
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

    @Option(name: .customLong("mse-lambda"), help: ArgumentHelp("DeepTest's λ: with labels a frame violates when its squared error exceeds λ × the originals' MSE (default: the suite's, else 5).", valueName: "λ"))
    var mseLambda: Double?

    @Option(help: ArgumentHelp("Largest allowed |transformed − original| without labels, and |flipped + original| (default: the suite's, else the model sidecar's stress.delta, else 0.1).", valueName: "δ"))
    var delta: Double?

    @Option(help: ArgumentHelp("JSON file with thresholds (keys maxViolationRate, maxSettingViolationRate, maxFlipViolationRate); default: the suite's.", valueName: "file"))
    var thresholds: String?

    @Option(help: ArgumentHelp("Also write JUnit XML (one test case per threshold and per setting) to this file.", valueName: "file"))
    var junit: String?

    @Option(help: ArgumentHelp("Maps drawn for the worst frames, comma-separated.", valueName: "list"))
    var maps: String = "increase"

    @Option(help: ArgumentHelp("Items per forward pass: each frame, then the frame under every setting in turn, N of them a pass across frames.", valueName: "N"))
    var batchSize: Int = 96

    @OptionGroup var output: ReportDirectoryOptions
    @OptionGroup var labels: LabelOptions
    @OptionGroup var selection: FrameSelectionOptions
    @OptionGroup var preprocessing: PreprocessOptions

    func validate() throws {
        try BatchOptions.validate(batchSize)
        // The bounds of a suite file's "lambda" and "delta".
        let range = StressSuite.parameterRange
        if let mseLambda, !range.contains(mseLambda) { throw ValidationError("--mse-lambda must be within 0…1000000, got \(mseLambda)") }
        if let delta, !range.contains(delta) { throw ValidationError("--delta must be within 0…1000000, got \(delta)") }
    }

    func execute() throws {
        let started = Date()
        let suite = try StressSuite.named(self.suite)
        let limits = try thresholds.map { try StressThresholds.load(URL(fileURLWithPath: $0)) } ?? suite.thresholds
        let kinds = try parsedMapKinds(maps)
        let labelTrack = try labels.track()
        let session = try modelOptions.session(request: ExplanationRequest(kinds: kinds, output: modelOptions.output, explainsBin: false),
                                               explains: true, preprocessing: preprocessing)
        let runner = StressRunner(suite: suite, session: session, selection: selection.readOptions, batchSize: batchSize,
                                  labelsPath: labels.labels, labelField: labels.dataset.labelField)
        let run = StressRun(runner: runner, lambda: mseLambda ?? suite.lambda, delta: suite.delta(flag: delta, sidecar: session.stressDefaults),
                            thresholds: limits, version: SteerLens.version)
        Interruption.shared.install()
        let evaluation = try run.evaluate(inputs, labels: labelTrack, progress: printError)
        let destination = output.destination("stress", input: inputs[0])
        let report = try run.write(evaluation, model: modelOptions.model, destination: destination, overwrite: output.overwrite, junit: junit, started: started)
        // The violation table on standard output, the verdict on standard error.
        for line in report.tableLines { try StandardOutput.line(line) }
        printError("report: \(destination.appendingPathComponent("index.html").path)")
        printError(report.summary)
        guard report.passed else {
            for check in report.checks where !check.passed { printError("fail: \(check)") }
            throw ExitCode(1)
        }
        printError("pass: every stress threshold holds")
    }
}
