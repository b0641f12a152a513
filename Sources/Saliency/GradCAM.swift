import NeuralNet

/// The `gradcam` method: keras-vis `visualize_cam` (`vis/visualization/saliency.py`) for each map
/// kind's gradient modifier, on the activation `A` `[h, w, C]` of the penultimate layer:
///
/// 1. `G = m(∂y/∂A)` — the kind's ``GradientModifier`` (identity / negate / small_values…);
/// 2. `G ← G / (max G + ε)` (ε = 1e-7; the maximum over the whole item, so a negative maximum flips
///    signs and `small_values` divides by a huge value: keras-vis' own conditioning);
/// 3. `wᶜ = mean_{h,w} Gᶜ`, `H = max(Σ_c wᶜ Aᶜ, 0)`;
/// 4. `Z = zoom(H)` to the whole model input with SciPy's cubic B-spline ``SplineZoom``;
/// 5. display `(Z − min Z) / (max Z − min Z + ε)`; importance `max(Z, 0)` (the spline can overshoot below 0).
///
/// Penultimate layer (keras-vis `_find_penultimate_layer`): walking back over `model.layers[:idx − 1]`
/// from the objective's layer `idx` (so the objective layer and the one before it are skipped), the
/// nearest `Conv*` or `*Pooling1D/2D/3D` layer (global pooling excluded); its output, i.e. after a
/// fused activation but before a separate Activation layer. `--cam-layer` names another node.
/// One backward pass from the objective down to that layer per batch; the forward pass is shared.
public final class GradCAMExplainer: Explainer {
    public let model: Model
    public let objective: SaliencyObjective
    public let kinds: [SaliencyMapKind]
    public let backpropModifier: BackpropModifier?
    /// The node whose output is weighted.
    public let layer: String
    public var method: ExplanationMethod { .gradcam }
    public var runsOwnForwardPasses: Bool { false }

    /// - Throws: ``SaliencyError/noCamLayer(detail:)`` when no layer qualifies or `layer` is not a feature map.
    public init(model: Model, objective: SaliencyObjective, kinds: [SaliencyMapKind], backpropModifier: BackpropModifier? = nil, layer: String? = nil) throws {
        (self.model, self.objective, self.kinds, self.backpropModifier) = (model, objective, kinds, backpropModifier)
        if let layer {
            guard let shape = model.shape(ofNode: layer) else { throw SaliencyError.unknownLayer(layer, available: model.nodeNames) }
            guard shape.count == 3 else { throw SaliencyError.noCamLayer(detail: "layer '\(layer)' has output shape \(shape), not a feature map (height, width, channels)") }
            self.layer = layer
        } else {
            self.layer = try Self.penultimateLayer(of: model, objective: objective)
        }
    }

    /// keras-vis' rule: the nearest convolution or pooling layer in `layers[:idx − 1]`, walking back.
    public static func penultimateLayer(of model: Model, objective: SaliencyObjective) throws -> String {
        let names = model.nodeNames, target = objective.node(in: model)
        let index = names.firstIndex(of: target)!
        let candidates = names[..<max(index - 1, 0)].reversed()
        for name in candidates {
            guard let type = model.layer(named: name)?.typeName else { continue }
            if isConvolutionOrPooling(type), let shape = model.shape(ofNode: name), shape.count == 3 { return name }
        }
        throw SaliencyError.noCamLayer(detail: "no convolution or pooling layer before '\(target)'")
    }

    /// Keras `_Conv` subclasses and `_Pooling1D/2D/3D` (not the global poolings).
    static func isConvolutionOrPooling(_ type: String) -> Bool {
        (type.hasPrefix("Conv") || type.hasSuffix("Conv2D") || type.hasSuffix("Conv1D") || type.hasSuffix("Conv3D")
            || ((type.hasSuffix("Pooling2D") || type.hasSuffix("Pooling1D") || type.hasSuffix("Pooling3D")) && !type.hasPrefix("Global")))
    }

    public func explain(_ batch: Tensor, outputs: [Tensor]) throws -> MethodExplanation {
        guard let activation = model.activation(of: layer) else { preconditionFailure("gradcam before forward") }
        let gradient = try objective.gradient(of: model, at: layer, modifier: backpropModifier)
        let (items, rows, columns, channels) = (activation.shape[0], activation.shape[1], activation.shape[2], activation.shape[3])
        let (height, width) = (batch.shape[1], batch.shape[2])
        var display: [SaliencyMapKind: [Float]] = [:], importance: [SaliencyMapKind: [Float]] = [:]
        for kind in kinds {
            var kindDisplay: [Float] = [], kindImportance: [Float] = []
            kindDisplay.reserveCapacity(items * height * width)
            kindImportance.reserveCapacity(items * height * width)
            for item in 0..<items {
                let count = rows * columns * channels, offset = item * count
                let heat = Self.heatMap(activation: activation.scalars[offset..<(offset + count)], gradient: gradient.scalars[offset..<(offset + count)],
                                        rows: rows, columns: columns, channels: channels, modifier: kind.modifier)
                let zoomed = SplineZoom.zoom(heat.map(Double.init), height: rows, width: columns,
                                             outputHeight: height, outputWidth: width).map { Float($0) }
                kindDisplay += Self.normalised(zoomed)
                kindImportance += zoomed.map { max($0, 0) }
            }
            (display[kind], importance[kind]) = (kindDisplay, kindImportance)
        }
        return MethodExplanation(method: .gradcam, maps: Dictionary(uniqueKeysWithValues: kinds.map { kind in
            (kind, KindMaps(display: Tensor(shape: [items, height, width], scalars: display[kind]!),
                            importance: Tensor(shape: [items, height, width], scalars: importance[kind]!)))
        }))
    }

    /// Steps 1–3 for one item (Float32 like keras-vis' NumPy): `max(Σ_c wᶜ Aᶜ, 0)`, `[h, w]`.
    static func heatMap(activation: ArraySlice<Float>, gradient: ArraySlice<Float>, rows: Int, columns: Int, channels: Int,
                        modifier: GradientModifier) -> [Float] {
        let modified = gradient.map { modifier.apply($0) }
        let scale = modified.max()! + GradientModifier.epsilon
        let positions = rows * columns
        var weights = [Double](repeating: 0, count: channels)
        for position in 0..<positions {
            for channel in 0..<channels { weights[channel] += Double(modified[position * channels + channel] / scale) }
        }
        let channelWeights = weights.map { Float($0 / Double(positions)) }
        let base = activation.startIndex
        return (0..<positions).map { position in
            var sum: Float = 0
            for channel in 0..<channels { sum += channelWeights[channel] * activation[base + position * channels + channel] }
            return max(sum, 0)
        }
    }

    /// keras-vis `utils.normalize`: `(x − min)/(max − min + ε)` in Float32.
    static func normalised(_ values: [Float]) -> [Float] {
        let low = values.min()!, high = values.max()!
        let range = high - low + GradientModifier.epsilon
        return values.map { ($0 - low) / range }
    }
}
