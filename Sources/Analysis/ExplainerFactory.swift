import NeuralNet
import Saliency

/// The settings of the explanation methods other than `gradient` (`analyze` flags).
public struct MethodSettings: Sendable, Equatable {
    /// `--cam-layer`: the node Grad-CAM weights (default: keras-vis' penultimate-layer rule).
    public var camLayer: String?

    public init(camLayer: String? = nil) {
        self.camLayer = camLayer
    }
}

/// Builds the explainers of the requested methods around a session's saliency engine (same model,
/// objective, map kinds and backprop modifier).
enum ExplainerFactory {
    static func suite(engine: SaliencyEngine, methods: [ExplanationMethod], settings: MethodSettings) throws -> ExplanationSuite {
        var explainers: [any Explainer] = []
        for method in methods where !explainers.contains(where: { $0.method == method }) {
            switch method {
            case .gradient: explainers.append(GradientExplainer(engine: engine))
            case .gradcam:
                explainers.append(try GradCAMExplainer(model: engine.model, objective: engine.objective, kinds: engine.kinds,
                                                       backpropModifier: engine.backpropModifier, layer: settings.camLayer))
            case .visualbackprop: explainers.append(try VisualBackPropExplainer(model: engine.model))
            default: throw UsageError(message: "method '\(method.rawValue)' is not available yet", hint: "use --method gradient, gradcam or visualbackprop")
            }
        }
        return ExplanationSuite(model: engine.model, objective: engine.objective, explainers: explainers)
    }
}
