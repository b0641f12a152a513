import Foundation
import ModelImport
import NeuralNet
import Reporting
import Saliency
import VideoIO

/// What a ``ModelRunner`` explains: the maps and the objective, as `analyze` flags or a recorded
/// run's `explanation` give them.
struct ExplanationRequest {
    var kinds: [SaliencyMapKind]
    /// Output by index or name; nil = the sidecar's, else the first.
    var output: String?
    var unit = 0
    /// Explain the mean activation of this layer's filter instead of an output.
    var filter: (layer: String, index: Int)?
    var backpropModifier: BackpropModifier?
    var keepChannels = false
}

/// One model ready to explain frames: its saliency engine, its preprocessing (sidecar + flags) and the
/// output whose value is its prediction.
struct ModelRunner {
    let path: String
    let loaded: LoadedModel
    let engine: SaliencyEngine
    let modelInput: ModelInput
    let outputIndex: Int
    /// The unit of `outputIndex` reported as the prediction.
    let predictionUnit: Int

    /// Loads the model at `path` with the shared flags; its own sidecar supplies preprocessing defaults.
    init(path: String, loading: ModelLoadingOptions, preprocessing: PreprocessOptions, request: ExplanationRequest, ignoreSidecar: Bool) throws {
        self.path = path
        let loaded = try loading.load(path)
        self.loaded = loaded
        let sidecar = ignoreSidecar ? nil : try ModelSidecar.load(forModel: path)
        outputIndex = try loaded.card.selectOutput(request.output ?? sidecar?.output)
        predictionUnit = request.filter == nil ? request.unit : 0
        let objective: SaliencyObjective = request.filter.map { .filter(layer: $0.layer, filter: $0.index) }
            ?? .output(index: outputIndex, unit: request.unit)
        engine = try SaliencyEngine(model: loaded.model, objective: objective, backpropModifier: request.backpropModifier,
                                    kinds: request.kinds, keepChannels: request.keepChannels)
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
            return (Double(predictions.scalars[item * predictions.itemCount + predictionUnit]), engine.kinds.map { grid.sample(maps[$0.name]!) }, maps)
        }
    }
}
