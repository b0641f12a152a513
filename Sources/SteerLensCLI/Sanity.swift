import Analysis
import ArgumentParser
import Foundation
import Saliency

/// `steerlens sanity`: the cascading model-parameter randomisation test of Adebayo et al. 2018.
struct Sanity: ReportingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that the saliency maps depend on the model's weights: re-initialise its layers cascading from the output and compare the maps (Adebayo et al. 2018).",
        discussion: """
        Every Conv2D and Dense layer is re-initialised in turn from the output down (Glorot uniform \
        kernels, zero biases, seeded); after each step every map is recomputed on the same frames and \
        compared with the trained model's (mean Spearman rank correlation and SSIM). Writes \
        DIR/sanity.json and DIR/index.html; prints one line per map. Exits 1 when a map still \
        correlates with the trained maps (Spearman ≥ --threshold) after every layer is randomised.
        """
    )

    @Argument(help: "Keras model file (.h5 or .keras).")
    var model: String

    @Argument(help: "Video file, image sequence, folder of images, DonkeyCar tub or driving_log.csv.")
    var input: String

    @Option(help: ArgumentHelp("Maps to check, comma-separated (as analyze --maps).", valueName: "list"))
    var maps: String = "increase,decrease,maintain"

    @Option(name: .customLong("method"), parsing: .singleValue,
            help: ArgumentHelp("Explanation method to check (repeatable, with analyze's default settings; default gradient).", valueName: "name"))
    var methods: [ExplanationMethod] = []

    @Option(help: ArgumentHelp("Model output to explain: its index or name (default: the sidecar's, else the first).", valueName: "index|name"))
    var output: String?

    @Option(help: ArgumentHelp("Frames to compare (the first N selected; use --every to spread them).", valueName: "N"))
    var frames: Int = 8

    @Option(help: ArgumentHelp("Seed of the re-initialisation.", valueName: "S"))
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Flag a map whose mean Spearman correlation with the fully randomised model's maps is at least this.", valueName: "r"))
    var threshold: Double = 0.5

    @Flag(help: "Do not read the model's preprocessing sidecar (<model>.steerlens.json).")
    var ignoreSidecar = false

    @OptionGroup var directory: ReportDirectoryOptions
    @OptionGroup var loading: ModelLoadingOptions
    @OptionGroup var selection: FrameSelectionOptions
    @OptionGroup var preprocessing: PreprocessOptions

    func validate() throws {
        guard frames >= 1 else { throw ValidationError("--frames must be at least 1") }
        guard (-1...1).contains(threshold) else { throw ValidationError("--threshold must be between -1 and 1") }
        _ = try kinds()
    }

    func kinds() throws -> [SaliencyMapKind] { try parsedMapKinds(maps) }

    func execute() throws {
        let request = ExplanationRequest(kinds: try kinds(), output: output)
        let session = try loading.session(path: model, request: request, ignoreSidecar: ignoreSidecar, preprocessing: preprocessing)
        let check = try SanityCheck(session: session, methods: ExplanationMethod.requested(methods), seed: seed, threshold: threshold)
        Interruption.shared.install()
        let destination = directory.destination("sanity", input: input)
        let report = try check.run(input: input, selection: selection.readOptions, frames: frames, modelInput: session.modelInput, modelPath: model,
                                   version: SteerLens.version, destination: destination, overwrite: directory.overwrite)
        for line in report.summaryLines { try StandardOutput.line(line) }
        try StandardOutput.line(destination.appendingPathComponent("index.html").path)
        if !report.flagged.isEmpty { throw ExitCode(1) }
    }
}
