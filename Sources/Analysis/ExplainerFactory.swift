import NeuralNet
import Saliency

/// The settings of the explanation methods other than `gradient` (`analyze` flags); defaults follow
/// the tools the methods come from (tf-keras-vis for SmoothGrad, Captum's 50 steps for IG).
public struct MethodSettings: Sendable, Equatable {
    /// `--cam-layer`: the node Grad-CAM weights (default: keras-vis' penultimate-layer rule).
    public var camLayer: String?
    /// `--smooth-samples`, `--smooth-noise`, `--smooth-seed`.
    public var smoothSamples = 20
    public var smoothNoise: Float = 0.2
    public var smoothSeed: UInt64 = 0
    /// `--ig-steps`, `--ig-baseline`.
    public var integrationSteps = 50
    public var integrationBaseline = IntegratedGradientsExplainer.Baseline.black
    /// `--occlusion-patch`, `--occlusion-stride` (model-input pixels).
    public var occlusionPatch = 16
    public var occlusionStride = 8

    /// Allowed SmoothGrad samples and IG steps: each is a forward and backward pass per frame, so 1,000
    /// already makes a frame cost a thousand plain ones (the papers use 20–300); a larger count is a typo
    /// that would run for days and could only be stopped by a second interrupt.
    public static let passesPerFrame = 1...1000

    public init() {}

    /// The settings that shape `method`'s maps, as text for run.json and the report.
    public func parameters(of method: ExplanationMethod) -> [String: String]? {
        switch method {
        case .gradient, .visualbackprop: nil
        case .gradcam: camLayer.map { ["camLayer": $0] }
        case .smoothgrad: ["samples": "\(smoothSamples)", "noise": "\(smoothNoise)", "seed": "\(smoothSeed)"]
        case .integratedGradients: ["steps": "\(integrationSteps)", "baseline": integrationBaseline.rawValue, "rule": "trapezoid"]
        case .occlusion: ["patch": "\(occlusionPatch)", "stride": "\(occlusionStride)", "fill": "image mean colour"]
        }
    }
}

/// Builds the explainers of the requested methods around a session's saliency engine (same model,
/// objective, map kinds and backprop modifier).
enum ExplainerFactory {
    static func suite(engine: SaliencyEngine, methods: [ExplanationMethod], settings: MethodSettings) throws -> ExplanationSuite {
        var explainers: [any Explainer] = []
        let (model, objective, kinds, modifier) = (engine.model, engine.objective, engine.kinds, engine.backpropModifier)
        for method in methods where !explainers.contains(where: { $0.method == method }) {
            switch method {
            case .gradient: explainers.append(GradientExplainer(engine: engine))
            case .gradcam:
                explainers.append(try GradCAMExplainer(model: model, objective: objective, kinds: kinds, backpropModifier: modifier, layer: settings.camLayer))
            case .visualbackprop: explainers.append(try VisualBackPropExplainer(model: model))
            case .smoothgrad:
                explainers.append(try SmoothGradExplainer(model: model, objective: objective, kinds: kinds, backpropModifier: modifier,
                                                          samples: settings.smoothSamples, noiseLevel: settings.smoothNoise, seed: settings.smoothSeed))
            case .integratedGradients:
                explainers.append(try IntegratedGradientsExplainer(model: model, objective: objective, kinds: kinds, backpropModifier: modifier,
                                                                   steps: settings.integrationSteps, baseline: settings.integrationBaseline))
            case .occlusion:
                explainers.append(try OcclusionExplainer(model: model, objective: objective, kinds: kinds,
                                                         patch: settings.occlusionPatch, stride: settings.occlusionStride))
            }
        }
        return ExplanationSuite(model: model, objective: objective, explainers: explainers)
    }
}
