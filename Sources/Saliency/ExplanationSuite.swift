import NeuralNet

/// Every requested method's maps for one batch, and the model outputs.
public struct ExplainedBatch {
    /// Every model output, in the model's output order.
    public let outputs: [Tensor]
    /// One explanation per method, in the suite's method order.
    public let explanations: [MethodExplanation]
    /// `g = ∂objective/∂x` (NHWC) when the gradient method ran, for `--save-maps`.
    public let gradient: Tensor?

    /// The maps of one method and kind.
    public subscript(map: MethodMap) -> KindMaps? {
        explanations.first { $0.method == map.method }?.maps[map.kind]
    }
}

/// Runs several explainers on a batch with one shared forward pass (see ``Explainer``).
public final class ExplanationSuite {
    public let model: Model
    public let objective: SaliencyObjective
    public let explainers: [any Explainer]

    /// - Precondition: one explainer per method.
    public init(model: Model, objective: SaliencyObjective, explainers: [any Explainer]) {
        precondition(Set(explainers.map(\.method)).count == explainers.count, "one explainer per method")
        (self.model, self.objective, self.explainers) = (model, objective, explainers)
    }

    /// The methods, in order.
    public var methods: [ExplanationMethod] { explainers.map(\.method) }

    /// Every map the suite makes, method by method, kind by kind.
    public var maps: [MethodMap] {
        explainers.flatMap { explainer in explainer.kinds.map { MethodMap(method: explainer.method, kind: $0) } }
    }

    /// The gradient method's explainer, if it is one of the methods.
    public var gradientExplainer: GradientExplainer? {
        explainers.lazy.compactMap { $0 as? GradientExplainer }.first
    }

    /// Runs `batch` `[N, H, W, C]` forward once, then every explainer: first those that reuse the
    /// pass, then those that run passes of their own.
    /// - Throws: ``SaliencyError/nonFiniteOutput(output:)`` when the explained output is not finite.
    public func run(_ batch: Tensor) throws -> ExplainedBatch {
        for explainer in explainers { explainer.willRunForward(items: batch.shape.first ?? 0) }
        let outputs = try model.forward(batch)
        if case .output(let index, _) = objective, !outputs[index].scalars.allSatisfy(\.isFinite) {
            throw SaliencyError.nonFiniteOutput(output: model.outputNames[index])
        }
        var results: [ExplanationMethod: MethodExplanation] = [:]
        var gradient: Tensor?
        for explainer in explainers.filter({ !$0.runsOwnForwardPasses }) + explainers.filter(\.runsOwnForwardPasses) {
            if let gradientExplainer = explainer as? GradientExplainer {
                let result = try gradientExplainer.engine.maps(afterForward: outputs)
                gradient = result.gradient
                results[explainer.method] = gradientExplainer.explanation(of: result)
            } else {
                results[explainer.method] = try explainer.explain(batch, outputs: outputs)
            }
        }
        return ExplainedBatch(outputs: outputs, explanations: methods.map { results[$0]! }, gradient: gradient)
    }
}
