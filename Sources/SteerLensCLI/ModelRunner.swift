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

    /// Loads the model at `path` with the shared flags; its own sidecar supplies preprocessing defaults
    /// and the classifier bins unless `bins` (`--bins`) overrides them.
    ///
    /// The explained output is the request's (an index or name, looked up after bins are appended, so a
    /// recorded expected angle is found again), else the sidecar's, else the first; with bins it is the
    /// expected angle unless the request names the softmax itself (`--unit K` explains bin K). The
    /// prediction is the expected angle with bins, else the explained unit.
    init(path: String, loading: ModelLoadingOptions, preprocessing: PreprocessOptions, request: ExplanationRequest, ignoreSidecar: Bool,
         bins: String? = nil) throws {
        self.path = path
        var loaded = try loading.load(path)
        let sidecar = ignoreSidecar ? nil : try ModelSidecar.load(forModel: path)
        let flagBins = bins.flatMap(AngleBins.init(parsing:))
        let angleBins = try flagBins ?? sidecar?.angleBins()
        let explained: Int
        if let angleBins {
            let namesSoftmax = request.output.flatMap(loaded.card.outputIndex) != nil
            let softmax = try loaded.card.selectOutput(namesSoftmax ? request.output : sidecar?.output)
            let source: ClassifierHead.BinsSource = flagBins != nil ? .flag : .sidecar(path: ModelSidecar.url(forModel: path).path)
            (loaded, outputIndex) = try ClassifierHead.apply(angleBins, source: source, to: loaded, output: softmax)
            explained = namesSoftmax ? softmax : try loaded.card.selectOutput(request.output ?? loaded.card.outputs[outputIndex].name)
            predictionUnit = 0
        } else {
            explained = try loaded.card.selectOutput(request.output ?? sidecar?.output)
            outputIndex = explained
            predictionUnit = request.filter == nil ? request.unit : 0
        }
        self.loaded = loaded
        let objective: SaliencyObjective = request.filter.map { .filter(layer: $0.layer, filter: $0.index) }
            ?? .output(index: explained, unit: request.unit)
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
