import NeuralNet

/// One map kind's maps for a batch, as a method made them.
public struct KindMaps {
    /// What is drawn: `[N, H, W]` values in [0, 1] at model-input resolution (`[N, H, W, C]` for the
    /// gradient method with channels kept).
    public let display: Tensor
    /// The method's own attribution magnitude per model-input pixel, `[N, H, W]`, non-negative and
    /// not normalised (units of the objective per pixel for gradients, of the objective for IG and
    /// occlusion): the positive part of the modified gradient for `gradient`, |attribution| for IG…
    /// Pixel rankings and region shares are computed on it.
    public let importance: Tensor

    public init(display: Tensor, importance: Tensor) {
        precondition(importance.shape.count == 3, "importance must be [N, H, W], got \(importance.shape)")
        (self.display, self.importance) = (display, importance)
    }
}

/// One method's maps for a batch, by kind, and what the method measured about itself per item.
public struct MethodExplanation {
    public let method: ExplanationMethod
    public let maps: [SaliencyMapKind: KindMaps]
    /// Per-item diagnostics by name (e.g. `completenessError` for integrated gradients).
    public var diagnostics: [String: [Double]] = [:]

    public init(method: ExplanationMethod, maps: [SaliencyMapKind: KindMaps], diagnostics: [String: [Double]] = [:]) {
        (self.method, self.maps, self.diagnostics) = (method, maps, diagnostics)
    }
}

/// Turns one model batch into named maps. ``ExplanationSuite`` runs the model forward once per batch
/// and hands every explainer that pass: methods that need nothing else (VisualBackProp) or only
/// backward passes (gradient, Grad-CAM) reuse it; methods that need forward passes on other inputs
/// (SmoothGrad, integrated gradients, occlusion) run them after the others have finished.
///
/// Explainers hold the model's caches: not thread-safe, one per thread.
public protocol Explainer: AnyObject {
    var method: ExplanationMethod { get }
    var kinds: [SaliencyMapKind] { get }
    /// Whether ``explain(_:outputs:)`` runs forward passes of its own, overwriting the cached activations.
    var runsOwnForwardPasses: Bool { get }
    /// Called by ``ExplanationSuite`` right before the forward pass of `items` items whose outputs
    /// ``explain(_:outputs:)`` receives next, so a method can record what it needs during that pass.
    func willRunForward(items: Int)
    /// The maps for `batch` `[N, H, W, C]`, right after `model.forward(batch)` returned `outputs`.
    func explain(_ batch: Tensor, outputs: [Tensor]) throws -> MethodExplanation
}

extension Explainer {
    /// Nothing to record: the method reads the cached activations or runs passes of its own.
    public func willRunForward(items: Int) {}
}
