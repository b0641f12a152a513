import NeuralNet

/// The model outputs, the input gradient and every requested map for one batch.
public struct SaliencyBatch {
    /// Every model output for the batch, in the model's output order.
    public let outputs: [Tensor]
    /// `g = ∂objective/∂x`, NHWC like the input (with the backprop modifier applied, if any).
    public let gradient: Tensor
    /// One map tensor per kind: `[N, H, W]` values in [0, 1] (`[N, H, W, C]` when channels are kept).
    public let maps: [SaliencyMapKind: Tensor]
    /// One importance tensor per kind, `[N, H, W]`: `max(maxᶜ m(g), 0)`, not normalised.
    public let importance: [SaliencyMapKind: Tensor]
}

/// Computes saliency maps the keras-vis way for batches of model inputs: ONE forward and ONE backward
/// pass per batch, whatever the number of maps — the gradient modifiers only post-process `g`.
///
/// Semantics (see README.md, "Saliency semantics"): `g = ∂y/∂x` with a seed of 1 per sample on the
/// objective; each map kind applies its ``GradientModifier`` element-wise, reduces channels by signed
/// maximum and normalises each image to [0, 1]. Input pixels the network never sees (e.g. removed by
/// a `Cropping2D` layer) have `g = 0` exactly. Not thread-safe: one engine per thread.
public final class SaliencyEngine {
    public let model: Model
    public let objective: SaliencyObjective
    /// `guided` or `rectified` backpropagation through every rectifying activation (ReLU, ELU,
    /// LeakyReLU, fused or stand-alone), or `nil` for the plain gradient.
    public let backpropModifier: BackpropModifier?
    public let kinds: [SaliencyMapKind]
    /// Keep the channel axis (keras-vis `keepdims=True`).
    public let keepChannels: Bool
    /// Backward passes run so far (one per ``run(_:)``), for tests and benchmarks.
    public private(set) var backwardPassCount = 0

    /// - Throws: ``SaliencyError`` when the objective does not fit the model.
    public init(model: Model, objective: SaliencyObjective = .output(index: 0, unit: 0), backpropModifier: BackpropModifier? = nil,
                kinds: [SaliencyMapKind] = SaliencyMapKind.steering, keepChannels: Bool = false) throws {
        try objective.validate(for: model)
        self.model = model
        self.objective = objective
        self.backpropModifier = backpropModifier
        self.kinds = kinds
        self.keepChannels = keepChannels
    }

    /// Runs the batch `[N, H, W, C]` forward once and backward once and derives every map.
    public func run(_ batch: Tensor) throws -> SaliencyBatch {
        let outputs = try model.forward(batch)
        if case .output(let index, _) = objective, !outputs[index].scalars.allSatisfy(\.isFinite) {
            throw SaliencyError.nonFiniteOutput(output: model.outputNames[index])
        }
        return try maps(afterForward: outputs)
    }

    /// The backward pass and every map for the batch whose forward pass `model` has just run
    /// (`outputs` are that pass's outputs).
    public func maps(afterForward outputs: [Tensor]) throws -> SaliencyBatch {
        let gradient = try objective.inputGradient(of: model, modifier: backpropModifier)
        backwardPassCount += 1
        let items = gradient.batchSize, channels = gradient.shape.last ?? 1
        let pixels = gradient.itemCount / channels
        let mapShape = keepChannels ? gradient.shape : Array(gradient.shape.dropLast())
        let importanceShape = Array(gradient.shape.dropLast())
        var maps: [SaliencyMapKind: Tensor] = [:], importance: [SaliencyMapKind: Tensor] = [:]
        // One pass over the gradient, split over the lanes: every kind's display map and importance together.
        let reduced = gradient.scalars.withUnsafeBufferPointer { g in
            SaliencyReduction.mapsAndImportance(gradient: g, items: items, pixels: pixels, channels: channels, modifiers: kinds.map(\.modifier),
                                                keepChannels: keepChannels)
        }
        for (kind, values) in zip(kinds, reduced) {
            maps[kind] = Tensor(shape: mapShape, scalars: values.maps)
            importance[kind] = Tensor(shape: importanceShape, scalars: values.importance)
        }
        return SaliencyBatch(outputs: outputs, gradient: gradient, maps: maps, importance: importance)
    }
}
