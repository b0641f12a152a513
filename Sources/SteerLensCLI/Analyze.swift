import ArgumentParser
import Foundation
import ModelImport
import NeuralNet
import Saliency
import SteerLensSupport
import VideoIO

extension BackpropModifier: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "guided": self = .guided
        case "rectified", "deconv": self = .rectified
        default: return nil
        }
    }
    public static var allValueStrings: [String] { ["guided", "rectified"] }
}

/// Output formats for raw maps.
enum MapFileFormat: String, ExpressibleByArgument, CaseIterable {
    case npy
}

/// `steerlens analyze`: saliency maps for every frame of one or more clips.
struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute increase / decrease / maintain saliency maps (keras-vis semantics) for every selected frame.",
        discussion: """
        One forward and one backward pass per batch serve every map. Writes DIR/frames.csv \
        (frame,time_s,prediction) and DIR/run.json; with --save-maps npy also DIR/maps/<kind>/<frame>.npy \
        (float32 H×W at model-input resolution, values in [0, 1]) and DIR/gradients/<frame>.npy (∂y/∂x, \
        float32 H×W×C). DIR defaults to Reports/<input-stem>/; with several inputs and --out, DIR is \
        OUT/<input-stem>/.
        """
    )

    @Argument(help: "Video files, images, or image-sequence patterns.")
    var inputs: [String]

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: ArgumentHelp("Unit of the chosen output to explain (for vector outputs).", valueName: "K"))
    var unit: Int = 0

    @Option(help: ArgumentHelp("Maps to compute, comma-separated: increase, decrease, maintain, or modifier names (absolute, relu, invert, negate, small_values, default).", valueName: "list"))
    var maps: String = "increase,decrease,maintain"

    @Option(name: .customLong("grad-modifier"), parsing: .singleValue,
            help: ArgumentHelp("Add a map for this keras-vis gradient modifier (repeatable).", valueName: "modifier"))
    var gradModifiers: [String] = []

    @Option(name: .customLong("backprop-modifier"), help: ArgumentHelp("guided or rectified (deconv) backpropagation through ReLU, ELU and LeakyReLU.", valueName: "kind"))
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

    @Option(help: ArgumentHelp("Frames per forward/backward pass.", valueName: "N"))
    var batchSize: Int = 32

    @OptionGroup var selection: FrameSelectionOptions
    @OptionGroup var preprocessing: PreprocessOptions

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard unit >= 0 else { throw ValidationError("--unit must not be negative") }
        if (layer == nil) != (filter == nil) { throw ValidationError("--layer and --filter go together") }
        _ = try mapKinds()
    }

    func mapKinds() throws -> [SaliencyMapKind] {
        var kinds: [SaliencyMapKind] = []
        for name in maps.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) + gradModifiers {
            let kind: SaliencyMapKind
            do { kind = try SaliencyMapKind.named(name) } catch let error as SaliencyError {
                throw ValidationError("\(error.message) (\(error.hint))")
            }
            if !kinds.contains(kind) { kinds.append(kind) }
        }
        guard !kinds.isEmpty else { throw ValidationError("--maps names no map") }
        return kinds
    }

    func run() throws {
        try reportingFailures {
            let loaded = try modelOptions.load()
            let sidecar = try modelOptions.sidecar()
            let outputIndex = try modelOptions.outputIndex(in: loaded.card, sidecar: sidecar)
            let objective: SaliencyObjective = layer.map { .filter(layer: $0, filter: filter!) } ?? .output(index: outputIndex, unit: unit)
            let engine = try SaliencyEngine(model: loaded.model, objective: objective, backpropModifier: backpropModifier,
                                            kinds: try mapKinds(), keepChannels: keepChannels)
            let modelInput = try ModelInput(model: loaded, preprocess: try preprocessing.preprocess(defaults: sidecar))
            let destinations = try inputs.map(destination(for:))
            for (input, destination) in zip(inputs, destinations) {
                try ClipAnalysis(input: input, destination: destination, engine: engine, modelInput: modelInput, card: loaded.card,
                                 sidecar: sidecar.map { _ in ModelSidecar.url(forModel: modelOptions.model).path },
                                 predictionOutput: outputIndex, predictionUnit: layer == nil ? unit : 0, saveMaps: saveMaps != nil,
                                 batchSize: batchSize, overwrite: overwrite, selection: selection.readOptions).run()
            }
        }
    }

    /// `--out` for one input, `--out/<stem>` for several, `Reports/<stem>` by default; the stem of an
    /// image-sequence pattern (`frames/%06d.png`) is its folder's name.
    func destination(for input: String) throws -> URL {
        let url = URL(fileURLWithPath: input)
        let stem = input.contains("%") ? url.deletingLastPathComponent().lastPathComponent : url.deletingPathExtension().lastPathComponent
        if let out { return inputs.count == 1 ? URL(fileURLWithPath: out) : URL(fileURLWithPath: out).appendingPathComponent(stem) }
        return URL(fileURLWithPath: "Reports").appendingPathComponent(stem)
    }
}
