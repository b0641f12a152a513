import Analysis
import ArgumentParser
import Foundation
import NeuralNet
import Reporting
import Saliency
import SteerLensSupport

extension BackpropModifier: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { ["guided", "rectified"] }
}

/// Output formats for raw maps.
enum MapFileFormat: String, ExpressibleByArgument, CaseIterable {
    case npy
}

extension Colormap: ExpressibleByArgument {}

extension MaintainScale: ExpressibleByArgument {}

/// `steerlens analyze`: saliency maps for every frame of one or more clips.
struct Analyze: ReportingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute increase / decrease / maintain saliency maps (keras-vis semantics, or other --method) for every selected frame and write overlays and an HTML review report.",
        discussion: """
        One forward and one backward pass per batch serve every map. Writes DIR/index.html (the review \
        page), DIR/frames.csv (frame,time_s,prediction,label,error and map statistics), DIR/run.json, \
        DIR/frames/<frame>.png and DIR/<kind>/<frame>.png overlays (every --png-every frames); with \
        --save-maps npy also DIR/maps/<kind>/<frame>.npy (float32 H×W at model-input resolution, values \
        in [0, 1]) and DIR/gradients/<frame>.npy (∂y/∂x, float32 H×W×C). Other methods write \
        DIR/<method>/<kind>/<frame>.png and DIR/maps/<method>/<kind>/<frame>.npy. DIR defaults to \
        Reports/<input-stem>/; with several inputs and --out, DIR is OUT/<input-stem>/. The directory \
        appears only when the run completes; Ctrl-C exits 130 and leaves nothing.
        """
    )

    @Argument(help: "Video files, images, image-sequence patterns, folders of images, DonkeyCar tubs or driving_log.csv files.")
    var inputs: [String] = []

    @OptionGroup var fleet: FleetOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: ArgumentHelp("Unit of the chosen output to explain (for vector outputs; with --bins, the bin whose probability to explain instead of the expected angle). Default: 0.", valueName: "K"))
    var unit: Int?

    @Option(help: ArgumentHelp("Maps to compute, comma-separated: increase, decrease, maintain, or modifier names (absolute, relu, invert, negate, small_values, default).", valueName: "list"))
    var maps: String = "increase,decrease,maintain"

    @Option(name: .customLong("grad-modifier"), parsing: .singleValue,
            help: ArgumentHelp("Add a map for this keras-vis gradient modifier (repeatable).", valueName: "modifier"))
    var gradModifiers: [String] = []

    @Option(name: .customLong("backprop-modifier"), help: ArgumentHelp("guided or rectified (deconv) backpropagation through ReLU, ELU and LeakyReLU (also ReLU6, SELU, PReLU).", valueName: "kind"))
    var backpropModifier: BackpropModifier?

    @Option(help: ArgumentHelp("Explain the mean activation of a filter of this layer instead of an output (with --filter).", valueName: "name"))
    var layer: String?

    @Option(help: ArgumentHelp("Filter index for --layer.", valueName: "K"))
    var filter: Int?

    @Flag(help: "Keep the colour channels in the maps (keras-vis keepdims=True) instead of their maximum.")
    var keepChannels = false

    @Option(help: ArgumentHelp("Output directory (default Reports/<input-stem>/).", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("Also write the raw maps and gradients: npy.", valueName: "format"))
    var saveMaps: MapFileFormat?

    @Flag(help: "Replace output directories that exist and are not empty.")
    var overwrite = false

    @OptionGroup var batch: BatchOptions
    @OptionGroup var labels: LabelOptions

    @Option(help: ArgumentHelp("Write overlay PNGs for every N-th analysed frame; 0 writes none (maps, statistics and the report are still computed).", valueName: "N"))
    var pngEvery: Int = 1

    @Option(help: ArgumentHelp("Width of the written images in pixels (default: the frame's).", valueName: "pixels"))
    var pngWidth: Int?

    @Option(help: ArgumentHelp("PNG compression 0–9: 1 a fast run-length coder, 0 none, 2–9 libdeflate (smaller, slower).", valueName: "level"))
    var pngCompression: Int = 1

    @Option(help: ArgumentHelp("Overlay colormap: jet (keras-vis), turbo, inferno or viridis.", valueName: "name"))
    var colormap: Colormap = .jet

    @Option(help: ArgumentHelp("Weight of the colormap in overlays, 0–1 (keras-vis: 0.3).", valueName: "alpha"))
    var alpha: Double = 0.3

    @Option(help: ArgumentHelp("Display scale of the maintain overlay: percentile (99th, default), log, or exact keras-vis values.", valueName: "scale"))
    var maintainScale: MaintainScale = .percentile

    @Flag(help: "Also write side-by-side panels (frame | maps) as panel/<frame>.png.")
    var panel = false

    @Flag(help: "Also write the panels as an H.264 video, panel.mp4, which the report plays.")
    var video = false

    @Option(help: ArgumentHelp("Score the maps of every N-th analysed frame by deletion and insertion curves (38 forward passes per map, plus 38 for a random ranking and 2 for the frame and the baseline); 0 = off.", valueName: "N"))
    var faithfulnessEvery: Int = 60

    @Flag(help: "No progress output.")
    var quiet = false

    @Flag(help: .hidden)  // CPU time per pipeline stage after the summary (steerlens-bench analyze reads it).
    var stageTimes = false

    @OptionGroup var methodOptions: MethodOptions
    @OptionGroup var selection: FrameSelectionOptions
    @OptionGroup var preprocessing: PreprocessOptions
    @OptionGroup var transformOptions: TransformOptions

    func validate() throws {
        guard (unit ?? 0) >= 0 else { throw ValidationError("--unit must not be negative") }
        if (layer == nil) != (filter == nil) { throw ValidationError("--layer and --filter go together") }
        guard pngEvery >= 0 else { throw ValidationError("--png-every must be 0 (no images) or positive") }
        guard faithfulnessEvery >= 0 else { throw ValidationError("--faithfulness-every must be 0 (off) or positive") }
        if let pngWidth, !(16...8192).contains(pngWidth) { throw ValidationError("--png-width must be between 16 and 8192 pixels") }
        guard (0...9).contains(pngCompression) else { throw ValidationError("--png-compression must be between 0 and 9") }
        guard (0...1).contains(alpha) else { throw ValidationError("--alpha must be between 0 and 1") }
        _ = try mapKinds()
        try fleet.validate(inputs: inputs, out: out)
    }

    func mapKinds() throws -> [SaliencyMapKind] { try parsedMapKinds(maps, more: gradModifiers) }

    func execute() throws {
        // Two batches' maps are alive at once (the recorder runs a batch behind the network).
        AllocatorPolicy.keepFreedBatchBuffers()
        // With bins, --unit K explains bin K's probability while the prediction stays the expected angle.
        let request = ExplanationRequest(kinds: try mapKinds(), output: modelOptions.output, unit: unit ?? 0,
                                         filter: layer.map { ($0, filter!) }, backpropModifier: backpropModifier,
                                         keepChannels: keepChannels, explainsBin: unit != nil,
                                         methods: ExplanationMethod.requested(methodOptions.methods), methodSettings: methodOptions.settings)
        let session = try modelOptions.session(request: request, explains: true, preprocessing: preprocessing)
        let labelTrack = try labels.track()
        let destinations = inputs.map { ClipNaming.reportDirectory(for: $0, inputCount: inputs.count, out: out) }
        let images = OverlaySequence.Settings(overlay: Overlay(colormap: colormap, alpha: alpha),
                                              displayScales: [.maintain: maintainScale.displayScale],
                                              width: pngWidth, panel: panel, video: video, pngCompression: pngCompression)
        func analysis(of input: String, into destination: URL, labels track: LabelTrack?, from path: String?, overwrite: Bool, quiet: Bool) throws -> ClipAnalysis {
            let output = ClipAnalysis.OutputSettings(destination: destination, overwrite: overwrite, saveMaps: saveMaps != nil, images: images,
                                                     pngEvery: pngEvery, maintainScale: maintainScale.rawValue)
            var analysis = ClipAnalysis(input: input, session: session, output: output, labels: .init(track: track, path: path, field: labels.dataset.labelField),
                                        reading: .init(selection: selection.readOptions, batchSize: batch.batchSize, quiet: quiet), version: SteerLens.version)
            analysis.faithfulnessEvery = faithfulnessEvery
            analysis.transform = try transformOptions.chain()
            analysis.measuresStages = stageTimes
            return analysis
        }
        if let out, fleet.manifest != nil {
            let models = [modelOptions.model] + [modelOptions.loading.architecture, session.sidecarPath].compactMap { $0 }
            return try fleet.run(command: "analyze", out: out, modelFiles: models) { entry, destination in
                let clipLabels = try entry.labels.map { try LabelTrack.load(URL(fileURLWithPath: $0)) } ?? labelTrack
                let outcome = try analysis(of: entry.clip, into: destination, labels: clipLabels, from: entry.labels ?? labels.labels, overwrite: false, quiet: true).run()
                if !quiet { printError(outcome.summary) }
            }
        }
        Interruption.shared.install()
        for (input, destination) in zip(inputs, destinations) {
            let outcome = try analysis(of: input, into: destination, labels: labelTrack, from: labels.labels, overwrite: overwrite, quiet: quiet).run()
            printError(outcome.summary)
            try StandardOutput.line(outcome.index.path)
        }
    }
}
