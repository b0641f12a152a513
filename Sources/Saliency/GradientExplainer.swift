import NeuralNet

/// The `gradient` method: keras-vis `visualize_saliency` maps from ``SaliencyEngine`` (one backward
/// pass for every kind). Importance per pixel: the positive part of the channel maximum of the
/// modified gradient, `max(maxᶜ m(g), 0)` (for `increase`, the pixels that push the output up).
public final class GradientExplainer: Explainer {
    public let engine: SaliencyEngine
    public var method: ExplanationMethod { .gradient }
    public var kinds: [SaliencyMapKind] { engine.kinds }
    public var runsOwnForwardPasses: Bool { false }

    public init(engine: SaliencyEngine) {
        self.engine = engine
    }

    public func explain(_ batch: Tensor, outputs: [Tensor]) throws -> MethodExplanation {
        explanation(of: try engine.maps(afterForward: outputs))
    }

    /// The engine's batch as a method explanation.
    func explanation(of batch: SaliencyBatch) -> MethodExplanation {
        MethodExplanation(method: .gradient, maps: Dictionary(uniqueKeysWithValues: kinds.map { kind in
            (kind, KindMaps(display: batch.maps[kind]!, importance: batch.importance[kind]!))
        }))
    }
}
