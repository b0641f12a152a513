import ArgumentParser
import Saliency
import Foundation
import ModelImport
import SteerLensSupport

/// How to load a Keras model (shared by every command that takes one).
struct ModelLoadingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("JSON architecture (model.to_json()) for a weights-only .h5 file.", valueName: "file"))
    var architecture: String?

    @Option(name: .customLong("lambda"), parsing: .singleValue,
            help: ArgumentHelp("Declare a Lambda layer SteerLens cannot read: NAME=EXPR, e.g. lambda_1='x/127.5-1', "
                               + "lambda_2='resize(66,200,bilinear)', lambda_3='crop(60,-25,0,320)'; ';' chains steps. Repeatable.",
                               valueName: "name=expr"))
    var lambdas: [String] = []

    func validate() throws {
        _ = try lambdaOverrides()
    }

    func lambdaOverrides() throws -> [String: [LambdaOperation]] {
        var overrides: [String: [LambdaOperation]] = [:]
        for declaration in lambdas {
            do {
                let (name, operations) = try LambdaExpression.parseDeclaration(declaration)
                overrides[name] = operations
            } catch {
                throw ValidationError("--lambda \(declaration): \(error.message) (\(error.hint))")
            }
        }
        return overrides
    }

    func load(_ path: String) throws -> LoadedModel {
        let overrides = try lambdaOverrides()
        return try ModelLoadingGuard.run(path: path) {
            try KerasModelLoader.load(from: URL(fileURLWithPath: path), architecture: architecture.map { URL(fileURLWithPath: $0) },
                                      lambdaOverrides: overrides)
        }
    }
}

/// `--model` plus how to load it and which output to use.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Keras model file (.h5 full model, .keras archive, or .h5 weights with --architecture).", valueName: "file"))
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

    func load() throws -> LoadedModel { try loading.load(model) }

    /// The model's `.steerlens.json`, unless `--ignore-sidecar`.
    func sidecar() throws -> ModelSidecar? {
        ignoreSidecar ? nil : try ModelSidecar.load(forModel: model)
    }

    /// The model to run and the index of the output that is the prediction: the chosen output, or with
    /// `--bins` (else the sidecar's `bins`) the expected angle appended after it. Also returns the chosen
    /// output itself (the softmax, whose units `--unit` can pick).
    func head(_ loaded: LoadedModel, sidecar: ModelSidecar?) throws -> (loaded: LoadedModel, prediction: Int, chosen: Int) {
        let chosen = try outputIndex(in: loaded.card, sidecar: sidecar)
        let flagBins = bins.flatMap(AngleBins.init(parsing:))
        let sidecarBins = flagBins == nil ? try sidecar?.angleBins() : nil
        let source: ClassifierHead.BinsSource = flagBins != nil ? .flag : .sidecar(path: ModelSidecar.url(forModel: model).path)
        let (extended, prediction) = try ClassifierHead.apply(flagBins ?? sidecarBins, source: source, to: loaded, output: chosen)
        return (extended, prediction, chosen)
    }

    /// The index of the chosen output in `card.outputs`: `--output`, else the sidecar's, else the first.
    func outputIndex(in card: ModelCard, sidecar: ModelSidecar? = nil) throws -> Int {
        try card.selectOutput(output ?? sidecar?.output)
    }
}

extension ModelCard {
    /// The index of an output given by index or name, if the model has it.
    func outputIndex(_ selector: String) -> Int? {
        if let index = Int(selector), outputs.indices.contains(index) { return index }
        return outputs.firstIndex { $0.name == selector }
    }

    /// The index of the output `selector` names (index or name); the first output when nil.
    /// - Throws: ``UsageError`` listing the outputs when the model has no such output.
    func selectOutput(_ selector: String?) throws -> Int {
        guard let selector else { return 0 }
        if let index = outputIndex(selector) { return index }
        let choices = outputs.enumerated().map { "\($0.offset)=\($0.element.name)" }.joined(separator: ", ")
        throw UsageError(message: "model has no output '\(selector)'", hint: "choose one of: \(choices)")
    }
}
