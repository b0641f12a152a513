import Foundation
import ModelImport
import NeuralNet
import Reporting
import Saliency
import VideoIO

/// What a ``ModelSession`` explains: the maps and the objective, as `analyze` flags or a recorded
/// run's `explanation` give them.
public struct ExplanationRequest {
    public var kinds: [SaliencyMapKind]
    /// Output by index or name; nil = the sidecar's, else the first.
    public var output: String?
    public var unit = 0
    /// Explain the mean activation of this layer's filter instead of an output.
    public var filter: (layer: String, index: Int)?
    public var backpropModifier: BackpropModifier?
    public var keepChannels = false
    /// With a classifier head: whether the softmax itself is explained (`unit` = a bin's probability)
    /// rather than the expected angle. `nil` (a recorded run) decides by whether `output` names the
    /// softmax; `analyze` says `true` when `--unit` is given.
    public var explainsBin: Bool?
    /// `--method`: the explanation methods, in order (default: the gradient method alone).
    public var methods: [ExplanationMethod] = [.default]
    /// The settings of the methods other than `gradient`.
    public var methodSettings = MethodSettings()

    public init(kinds: [SaliencyMapKind], output: String? = nil, unit: Int = 0, filter: (layer: String, index: Int)? = nil,
                backpropModifier: BackpropModifier? = nil, keepChannels: Bool = false, explainsBin: Bool? = nil,
                methods: [ExplanationMethod] = [.default], methodSettings: MethodSettings = MethodSettings()) {
        (self.kinds, self.output, self.unit, self.filter) = (kinds, output, unit, filter)
        (self.backpropModifier, self.keepChannels, self.explainsBin) = (backpropModifier, keepChannels, explainsBin)
        (self.methods, self.methodSettings) = (methods, methodSettings)
    }
}

/// One model ready to run on frames: the loaded model (with its classifier head, if any), its
/// preprocessing (sidecar + flags), the output whose value is its prediction and, when asked for, the
/// saliency engine that explains it. `analyze`, `predict`, `compare` and `check` all build theirs here.
public struct ModelSession {
    public let path: String
    public let loaded: LoadedModel
    /// Path of the sidecar that supplied defaults, if one was read.
    public let sidecarPath: String?
    /// The sidecar's `stress` defaults (δ), if it has them.
    public let stressDefaults: ModelSidecar.StressDefaults?
    /// `nil` for a session that only predicts.
    public let engine: SaliencyEngine?
    /// Every requested method on one shared forward pass (`analyze`); `nil` for a session that only predicts.
    public let suite: ExplanationSuite?
    /// The settings the suite's methods were built with.
    public let methodSettings: MethodSettings
    public let modelInput: ModelInput
    /// The model input of forward-only predictions (``predict(predictionBatch:)``): ``modelInput``, with
    /// the model's leading `x·scale + offset` (``Model/leadingRescaling``, e.g. PilotNet's `x/127.5 − 1`)
    /// applied as the batch is written when the preprocessing leaves values 0…255 and no normalisation
    /// follows — the layer's own operations (multiply, then add) on the same values.
    public let predictionInput: ModelInput
    public let outputIndex: Int
    /// The unit of `outputIndex` reported as the prediction.
    public let predictionUnit: Int

    /// - Parameters:
    ///   - sidecar: the model's own sidecar, already read (nil with `--ignore-sidecar`).
    ///   - bins: `--bins`, which overrides the sidecar's `bins`.
    ///   - explains: build the saliency engine (false for `predict`).
    ///   - preprocess: the preprocessing from the flags over the sidecar's defaults.
    ///
    /// The explained output is the request's (an index or name; for a recorded run looked up after bins
    /// are appended, so a recorded expected angle is found again), else the sidecar's, else the first;
    /// with bins it is the expected angle unless the request explains the softmax itself. The
    /// prediction is the expected angle with bins, else the explained unit.
    public init(path: String, loaded: LoadedModel, sidecar: ModelSidecar?, bins: AngleBins?, request: ExplanationRequest,
                explains: Bool = true, preprocess: (ModelSidecar?) throws -> Preprocess) throws {
        self.path = path
        sidecarPath = sidecar.map { _ in ModelSidecar.url(forModel: path).path }
        stressDefaults = sidecar?.stress
        var loaded = loaded
        let angleBins = try bins ?? sidecar?.angleBins()
        let explained: Int
        if let angleBins {
            let softmax: Int, explainsSoftmax: Bool
            if let explainsBin = request.explainsBin {
                softmax = try loaded.card.selectOutput(request.output ?? sidecar?.output)
                explainsSoftmax = explainsBin
            } else {
                explainsSoftmax = request.output.flatMap(loaded.card.outputIndex) != nil
                softmax = try loaded.card.selectOutput(explainsSoftmax ? request.output : sidecar?.output)
            }
            let source: ClassifierHead.BinsSource = bins != nil ? .flag : .sidecar(path: ModelSidecar.url(forModel: path).path)
            (loaded, outputIndex) = try ClassifierHead.apply(angleBins, source: source, to: loaded, output: softmax)
            if explainsSoftmax || request.explainsBin != nil {
                explained = explainsSoftmax ? softmax : outputIndex
            } else {
                explained = try loaded.card.selectOutput(request.output ?? loaded.card.outputs[outputIndex].name)
            }
            predictionUnit = 0
        } else {
            explained = try loaded.card.selectOutput(request.output ?? sidecar?.output)
            outputIndex = explained
            predictionUnit = request.filter == nil ? request.unit : 0
        }
        self.loaded = loaded
        let objective: SaliencyObjective = request.filter.map { .filter(layer: $0.layer, filter: $0.index) }
            ?? .output(index: explained, unit: request.unit)
        let engine = explains ? try SaliencyEngine(model: loaded.model, objective: objective, backpropModifier: request.backpropModifier,
                                                   kinds: request.kinds, keepChannels: request.keepChannels) : nil
        self.engine = engine
        methodSettings = request.methodSettings
        suite = try engine.map { try ExplainerFactory.suite(engine: $0, methods: request.methods, settings: request.methodSettings) }
        modelInput = try ModelInput(inputShape: loaded.inputShape, preprocess: try preprocess(sidecar), normalization: try sidecar?.normalization())
        var rescaling = modelInput.preprocess
        if let (scale, offset) = loaded.model.leadingRescaling, rescaling.scale == 1, rescaling.offset == 0, modelInput.normalization == nil {
            (rescaling.scale, rescaling.offset) = (scale, offset)
            predictionInput = try ModelInput(inputShape: loaded.inputShape, preprocess: rescaling)
        } else {
            predictionInput = modelInput
        }
    }

    /// The explanation methods; a session built with `explains: false` has none.
    public var explainers: ExplanationSuite {
        guard let suite else { preconditionFailure("ModelSession built without an engine cannot explain") }
        return suite
    }

    /// The explaining engine; a session built with `explains: false` has none.
    public var explainer: SaliencyEngine {
        guard let engine else { preconditionFailure("ModelSession built without an engine cannot explain") }
        return engine
    }

    /// The prediction output's values, `[N, units]`, for a preprocessed batch `[N, H, W, C]` (forward only).
    /// The model keeps nothing of the pass, so `input`'s storage is the caller's alone again.
    public func predict(_ input: Tensor) throws -> Tensor {
        defer { loaded.model.releaseActivations() }
        return try loaded.model.forward(input)[outputIndex]
    }

    /// The prediction output's values, `[N, units]`, for a batch written by ``predictionInput`` (forward
    /// only): the same values as ``predict(_:)`` for the same frames, the leading rescaling's pass skipped
    /// where the batch holds its output already.
    public func predict(predictionBatch batch: Tensor) throws -> Tensor {
        guard predictionInput.preprocess != modelInput.preprocess else { return try predict(batch) }
        defer { loaded.model.releaseActivations() }
        return try loaded.model.forward(rescaledInput: batch)[outputIndex]
    }

    /// One frame's explanation: the prediction, the maps sampled on the frame grid (in kind order) and
    /// the maps themselves by kind.
    public typealias Explained = (prediction: Double, grids: [[Float]], maps: [SaliencyMapKind: [Float]])

    /// Predictions and frame-grid maps (one per kind, in kind order) for a batch of frames.
    public func explain(_ frames: [Frame], grid: SaliencyGrid) throws -> [Explained] {
        try explain(modelInput.batch(frames), grid: grid)
    }

    /// Predictions and frame-grid maps (one per kind, in kind order) for a preprocessed batch `[N, H, W, C]`.
    public func explain(_ input: Tensor, grid: SaliencyGrid) throws -> [Explained] {
        let engine = explainer
        let result = try engine.run(input)
        let predictions = result.outputs[outputIndex]
        let mapCount = modelInput.shape[0] * modelInput.shape[1]
        return (0..<input.batchSize).map { item in
            var maps: [SaliencyMapKind: [Float]] = [:]
            for kind in engine.kinds { maps[kind] = Array(result.maps[kind]!.scalars[(item * mapCount)..<((item + 1) * mapCount)]) }
            return (Double(predictions.scalars[item * predictions.itemCount + predictionUnit]), engine.kinds.map { grid.sample(maps[$0]!) }, maps)
        }
    }
}
