import Analysis
import ArgumentParser
import Foundation

/// `steerlens predict`: the model's steering output for every frame.
struct Predict: ReportingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model on every selected frame and print frame,time_s,prediction as CSV.",
        discussion: "Frames are cropped, resized to the model's input size and colour-converted as the options say; the model's own layers (Lambda, Rescaling, Cropping2D...) do the rest."
    )

    @Argument(help: "Video file, image, image-sequence pattern, folder of images, DonkeyCar tub or driving_log.csv.")
    var input: String?

    @OptionGroup var fleet: FleetOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: ArgumentHelp("Write the CSV to this file instead of standard output.", valueName: "file"))
    var csv: String?

    @Option(help: ArgumentHelp("With --manifest: the fleet's output folder (OUT/clips/<id>/predictions.csv).", valueName: "dir"))
    var out: String?

    @OptionGroup var batch: BatchOptions
    @OptionGroup var selection: FrameSelectionOptions
    @OptionGroup var preprocessing: PreprocessOptions
    @OptionGroup var datasetLabels: DatasetLabelOptions
    @OptionGroup var transformOptions: TransformOptions

    func validate() throws {
        try fleet.validate(inputs: input.map { [$0] } ?? [], out: out)
        if out != nil && fleet.manifest == nil { throw ValidationError("--out goes with --manifest; use --csv FILE for one input") }
        if csv != nil && fleet.manifest != nil { throw ValidationError("--csv is for one input; with --manifest each clip gets OUT/clips/<id>/predictions.csv") }
    }

    func execute() throws {
        let session = try modelOptions.session(request: ExplanationRequest(kinds: [], output: modelOptions.output, explainsBin: false),
                                               explains: false, preprocessing: preprocessing)
        if let out, fleet.manifest != nil {
            guard transformOptions.transforms.isEmpty else { throw ValidationError("--transform does not apply to fleet runs (--manifest) yet: run the transformed clips one by one") }
            let models = [modelOptions.model] + [modelOptions.loading.architecture, session.sidecarPath].compactMap { $0 }
            return try fleet.run(command: "predict", out: out, modelFiles: models) { entry, destination in
                try FleetPredictions.write(entry.clip, labels: entry.labels, labelField: datasetLabels.labelField, session: session,
                                           selection: selection.readOptions, batchSize: batch.batchSize, to: destination)
            }
        }
        guard let input else { throw ValidationError("give an input") }
        let table = PredictionTable(input: input, session: session, selection: selection.readOptions, batchSize: batch.batchSize,
                                    transform: try transformOptions.chain(), labelField: datasetLabels.labelField)
        let note = try csv.map { try table.write(to: URL(fileURLWithPath: $0)) } ?? table.write { try StandardOutput.line($0) }
        if let note { printError("steerlens: warning: \(note) in '\(input)'") }
    }
}
