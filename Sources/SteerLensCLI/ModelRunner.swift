import Foundation
import ModelImport
import NeuralNet
import Reporting
import Saliency
import VideoIO

/// One model ready to explain frames: its saliency engine, its preprocessing (sidecar + flags) and the
/// output whose value is its prediction.
struct ModelRunner {
    let path: String
    let loaded: LoadedModel
    let engine: SaliencyEngine
    let modelInput: ModelInput
    let outputIndex: Int

    /// Loads the model at `path` with the shared flags; its own sidecar supplies preprocessing defaults,
    /// the output and classifier bins unless `output` / `bins` (`check --output`, `--bins`) override them.
    init(path: String, loading: ModelLoadingOptions, preprocessing: PreprocessOptions, kinds: [SaliencyMapKind], ignoreSidecar: Bool,
         output: String? = nil, bins: String? = nil) throws {
        self.path = path
        var loaded = try loading.load(path)
        let sidecar = ignoreSidecar ? nil : try ModelSidecar.load(forModel: path)
        let sidecarPath = ModelSidecar.url(forModel: path).path
        var outputIndex = 0
        if let selector = output ?? sidecar?.output {
            guard let index = loaded.card.outputIndex(selector) else {
                if output != nil {
                    let choices = loaded.card.outputs.enumerated().map { "\($0.offset)=\($0.element.name)" }.joined(separator: ", ")
                    throw UsageError(message: "model has no output '\(selector)'", hint: "choose one of: \(choices)")
                }
                throw SidecarError(path: sidecarPath, detail: "the model has no output '\(selector)'")
            }
            outputIndex = index
        }
        let flagBins = bins.flatMap(AngleBins.init(parsing:))
        (loaded, outputIndex) = try ClassifierHead.apply(flagBins ?? (try sidecar?.angleBins()), source: flagBins != nil ? .flag : .sidecar(path: sidecarPath),
                                                         to: loaded, output: outputIndex)
        self.loaded = loaded
        self.outputIndex = outputIndex
        engine = try SaliencyEngine(model: loaded.model, objective: .output(index: outputIndex, unit: 0), kinds: kinds)
        modelInput = try ModelInput(inputShape: loaded.inputShape, preprocess: try preprocessing.preprocess(defaults: sidecar))
    }

    /// Predictions and frame-grid maps (one per kind, in kind order) for a batch of frames.
    func explain(_ frames: [Frame], grid: SaliencyGrid) throws -> [(prediction: Double, grids: [[Float]], maps: [String: [Float]])] {
        try explain(modelInput.batch(frames), grid: grid)
    }

    /// Predictions and frame-grid maps (one per kind, in kind order) for a preprocessed batch `[N, H, W, C]`.
    func explain(_ input: Tensor, grid: SaliencyGrid) throws -> [(prediction: Double, grids: [[Float]], maps: [String: [Float]])] {
        let result = try engine.run(input)
        let predictions = result.outputs[outputIndex]
        let mapCount = modelInput.shape[0] * modelInput.shape[1]
        return (0..<input.batchSize).map { item in
            var maps: [String: [Float]] = [:]
            for kind in engine.kinds { maps[kind.name] = Array(result.maps[kind]!.scalars[(item * mapCount)..<((item + 1) * mapCount)]) }
            return (Double(predictions.scalars[item * predictions.itemCount]), engine.kinds.map { grid.sample(maps[$0.name]!) }, maps)
        }
    }
}
