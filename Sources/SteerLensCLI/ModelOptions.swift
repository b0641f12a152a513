import Analysis
import ArgumentParser
import Saliency
import Foundation

/// How to load a Keras or ONNX model (shared by every command that takes one).
struct ModelLoadingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("JSON architecture (model.to_json()) for a weights-only .h5 file.", valueName: "file"))
    var architecture: String?

    @Option(name: .customLong("lambda"), parsing: .singleValue,
            help: ArgumentHelp("Declare a Lambda layer SteerLens cannot read: NAME=EXPR, e.g. lambda_1='x/127.5-1', "
                               + "lambda_2='resize(66,200,bilinear)', lambda_3='crop(60,-25,0,320)'; ';' chains steps. Repeatable.",
                               valueName: "name=expr"))
    var lambdas: [String] = []

    @Option(name: .customLong("input"), parsing: .singleValue,
            help: ArgumentHelp("Fix an extra ONNX model input for every frame: NAME=VALUE, e.g. speed=0.5. Repeatable.", valueName: "name=value"))
    var inputs: [String] = []

    func validate() throws {
        _ = try file()
    }

    /// What the flags say about reading a model file.
    func file() throws -> ModelFileOptions {
        try validating { try ModelFileOptions(architecture: architecture, lambdas: lambdas, inputs: inputs) }
    }

    /// The session of the model at `path` (`compare`, `check`, `sanity`): its sidecar unless `ignoreSidecar`, then the flags.
    func session(path: String, request: ExplanationRequest, ignoreSidecar: Bool, bins: String? = nil, explains: Bool = true,
                 preprocessing: PreprocessOptions) throws -> ModelSession {
        try ModelSession.open(path, file: try file(), ignoreSidecar: ignoreSidecar, bins: bins.flatMap(AngleBins.init(parsing:)), request: request,
                              explains: explains, preprocessing: try preprocessing.overrides())
    }
}

/// `--model` plus how to load it and which output to use.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Keras model file (.h5 full model, .keras archive, or .h5 weights with --architecture) or ONNX model (.onnx).", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("Model output to use: its index or name (default: the first).", valueName: "index|name"))
    var output: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Classifier steering head: the chosen output is a softmax over N angle bins evenly spaced from MIN to MAX (DonkeyCar: -1:1:15); predict and explain the expected angle (sum of p_i * c_i).", valueName: "min:max:n"))
    var bins: String?

    @Flag(help: "Do not read the model's preprocessing sidecar (<model>.steerlens.json).")
    var ignoreSidecar = false

    @OptionGroup var loading: ModelLoadingOptions

    func validate() throws {
        if let bins, AngleBins(parsing: bins) == nil { throw ValidationError("--bins must be \(AngleBins.syntax), got '\(bins)'") }
    }

    /// The session for `analyze`, `predict` and `stress`: the sidecar, then the flags (`--bins` over the sidecar's bins).
    func session(request: ExplanationRequest, explains: Bool, preprocessing: PreprocessOptions) throws -> ModelSession {
        try loading.session(path: model, request: request, ignoreSidecar: ignoreSidecar, bins: bins, explains: explains, preprocessing: preprocessing)
    }
}
