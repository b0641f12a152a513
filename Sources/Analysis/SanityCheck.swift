import Foundation
import NeuralNet
import Reporting
import Saliency
import SteerLensSupport
import VideoIO

/// An explanation method as the sanity check runs it: named `[H, W]` maps in [0, 1] for every item of
/// a batch `[N, H, W, C]`, computed with whatever model it is given (the trained one or a randomised copy).
public protocol SanityMethod {
    /// The names of the maps ``maps(model:batch:)`` returns, in order.
    var mapNames: [String] { get }
    /// Map name → one `[H·W]` map per item.
    func maps(model: Model, batch: Tensor) throws -> [String: [[Float]]]
}

/// The explanation methods of `analyze` (``ExplanationSuite``, built by ``ExplainerFactory`` around a
/// saliency engine for whichever model is given): one map per method and kind, named like `analyze`'s
/// (`increase`, `gradcam/increase`), compared on the display maps (`[H, W]` in [0, 1]; the channel
/// maximum when a gradient map keeps its channels).
public struct ExplainerSanityMethod: SanityMethod {
    public let objective: SaliencyObjective
    public let kinds: [SaliencyMapKind]
    public let backpropModifier: BackpropModifier?
    public let methods: [ExplanationMethod]
    public let settings: MethodSettings

    /// The maps every suite makes (some methods have their own kinds: VisualBackProp's `mask`).
    private let methodMaps: [MethodMap]

    /// - Parameter model: the trained model, to find the maps the methods make (and to fail early on a
    ///   method the model does not support).
    public init(model: Model, objective: SaliencyObjective, kinds: [SaliencyMapKind], backpropModifier: BackpropModifier? = nil,
                methods: [ExplanationMethod] = [.gradient], settings: MethodSettings = MethodSettings()) throws {
        (self.objective, self.kinds, self.backpropModifier, self.methods, self.settings) = (objective, kinds, backpropModifier, methods, settings)
        let engine = try SaliencyEngine(model: model, objective: objective, backpropModifier: backpropModifier, kinds: kinds)
        methodMaps = try ExplainerFactory.suite(engine: engine, methods: methods, settings: settings).maps
    }

    public var mapNames: [String] { methodMaps.map(\.name) }

    public func maps(model: Model, batch: Tensor) throws -> [String: [[Float]]] {
        let engine = try SaliencyEngine(model: model, objective: objective, backpropModifier: backpropModifier, kinds: kinds)
        let result = try ExplainerFactory.suite(engine: engine, methods: methods, settings: settings).run(batch)
        var maps: [String: [[Float]]] = [:]
        for map in methodMaps {
            let display = result[map]!.display, count = display.itemCount, pixels = batch.shape[1] * batch.shape[2]
            maps[map.name] = (0..<batch.batchSize).map { item in
                let values = display.item(item)
                return count == pixels ? values : ClipAnalysis.channelMaximum(values, channels: count / pixels)
            }
        }
        return maps
    }
}

/// The cascading randomisation test of Adebayo et al. 2018 on one model and a batch of frames: the
/// re-initialisable layers (``Model/reinitialisableLayerNames``) are randomised from the output down,
/// one more per step, and every map is compared with the trained model's by Spearman and SSIM.
public struct SanityCheck {
    public let model: Model
    public let method: any SanityMethod
    public let seed: UInt64
    public let threshold: Double
    public static let initialiser = "Glorot (Xavier) uniform kernels, zero biases; layer i of the cascade (0 = the output layer) uses SplitMix64 seed + i"

    public init(model: Model, method: any SanityMethod, seed: UInt64 = 0, threshold: Double = 0.5) {
        (self.model, self.method, self.seed, self.threshold) = (model, method, seed, threshold)
    }

    /// The check of the maps `session` explains, made by `methods` with `analyze`'s default settings.
    public init(session: ModelSession, methods: [ExplanationMethod], seed: UInt64 = 0, threshold: Double = 0.5) throws {
        let model = session.loaded.model, engine = session.explainer
        let method = try ExplainerSanityMethod(model: model, objective: engine.objective, kinds: engine.kinds, methods: methods)
        self.init(model: model, method: method, seed: seed, threshold: threshold)
    }

    /// The cascade's steps: each the mean similarity per map over the batch's items.
    /// - Parameter batch: model inputs `[N, H, W, C]`.
    public func cascade(_ batch: Tensor) throws -> [SanityReport.Step] {
        let (height, width) = (batch.shape[1], batch.shape[2])
        let original = try method.maps(model: model, batch: batch)
        let layers = Array(model.reinitialisableLayerNames.reversed())
        guard !layers.isEmpty else { throw SanityCheckError.nothingToRandomise }
        var steps: [SanityReport.Step] = []
        for depth in 1...layers.count {
            try Interruption.shared.check(progress: "after randomising \(depth - 1) layers")
            let randomised = try model.reinitialising(Array(layers.prefix(depth)), seed: seed)
            let maps = try method.maps(model: randomised, batch: batch)
            var similarities: [String: SanityReport.Similarity] = [:]
            for name in method.mapNames {
                let pairs = zip(original[name]!, maps[name]!)
                let count = Double(batch.batchSize)
                similarities[name] = SanityReport.Similarity(
                    spearman: pairs.reduce(0) { $0 + MapSimilarity.spearman($1.0, $1.1) } / count,
                    ssim: pairs.reduce(0) { $0 + MapSimilarity.ssim($1.0, $1.1, height: height, width: width) } / count)
            }
            steps.append(SanityReport.Step(layer: layers[depth - 1], randomised: Array(layers.prefix(depth)), maps: similarities))
        }
        return steps
    }

    /// Reads up to `frames` frames of `input` (with `selection`), runs the cascade and writes
    /// `sanity.json` and `index.html` into `destination` atomically.
    public func run(input: String, selection: ReadOptions, frames: Int, modelInput: ModelInput, modelPath: String, version: String,
                    destination: URL, overwrite: Bool) throws -> SanityReport {
        let reader = try FrameSources.open(input, options: selection)
        let chosen = try reader.nextBatch(frames)
        reader.printWarnings()
        guard !chosen.isEmpty else { throw reader.nothingDeliveredError(path: input) }
        let steps = try cascade(try modelInput.batch(chosen))
        let report = SanityReport(steerlensVersion: version, model: modelPath, clip: input, frames: chosen.map(\.index), maps: method.mapNames,
                                  initialiser: Self.initialiser, seed: seed, threshold: threshold, cascade: steps)
        try OutputDirectory.produce(destination, overwrite: overwrite) { staging in
            try report.write(to: staging.appendingPathComponent("sanity.json"))
            try AtomicFile.write(Data(try report.renderPage().utf8), to: staging.appendingPathComponent("index.html"))
        }
        return report
    }
}

/// The model has no layer the sanity check can re-initialise.
public enum SanityCheckError: SteerLensError {
    case nothingToRandomise
    public var message: String { "the model has no Conv2D or Dense layer to re-initialise" }
    public var hint: String { "the sanity check randomises Conv2D and Dense weights; use a model that has some" }
    public var kind: FailureKind { .badInput }
}
