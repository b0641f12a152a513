/// An explanation method: how a map of "which input pixels matter for the objective" is made.
///
/// - ``gradient``: keras-vis `visualize_saliency` (one forward and one backward pass; see ``SaliencyEngine``).
/// - ``gradcam``: keras-vis `visualize_cam` on the penultimate convolution or pooling layer.
/// - ``smoothgrad``: tf-keras-vis `Saliency(smooth_samples:smooth_noise:)`.
/// - ``integratedGradients``: the path integral of the gradient from a baseline (Sundararajan et al. 2017).
/// - ``visualbackprop``: NVIDIA's VisualBackProp (Bojarski et al., arXiv 1611.05418), forward pass only.
/// - ``occlusion``: sliding-patch sensitivity of the objective (model-agnostic reference).
public enum ExplanationMethod: String, Sendable, CaseIterable, Hashable, Codable {
    case gradient
    case gradcam
    case smoothgrad
    case integratedGradients = "integrated-gradients"
    case visualbackprop
    case occlusion

    /// The method whose maps keep the pre-method paths (`DIR/<kind>/`, `DIR/maps/<kind>/`).
    public static let `default` = ExplanationMethod.gradient

    /// The methods a user named, in order and without repeats; the default method when none is named.
    public static func requested(_ methods: [ExplanationMethod]) -> [ExplanationMethod] {
        var result: [ExplanationMethod] = []
        for method in methods where !result.contains(method) { result.append(method) }
        return result.isEmpty ? [.default] : result
    }
}

/// One map of a run: a method and a map kind. The default method's maps keep their historical names
/// (`increase`), every other method's are qualified (`gradcam/increase`); the name is also the folder
/// of its overlays (`DIR/<name>/`) and raw maps (`DIR/maps/<name>/`).
public struct MethodMap: Sendable, Hashable, CustomStringConvertible {
    public let method: ExplanationMethod
    public let kind: SaliencyMapKind

    public init(method: ExplanationMethod, kind: SaliencyMapKind) {
        (self.method, self.kind) = (method, kind)
    }

    /// `increase` for the default method, `<method>/<kind>` otherwise.
    public var name: String { method == .default ? kind.name : "\(method.rawValue)/\(kind.name)" }
    /// The name with `/` replaced by `_`, for CSV column prefixes (`gradcam_increase_upper`).
    public var columnPrefix: String { name.replacingOccurrences(of: "/", with: "_") }

    public var description: String { name }
}
