import SteerLensSupport

/// Cascading weight randomisation for the model-parameter sanity check of Adebayo et al. 2018
/// ("Sanity Checks for Saliency Maps", arXiv 1810.03292).
extension Model {
    /// The layers the cascade re-initialises, in evaluation order (input side first): every `Conv2D`
    /// and `Dense` layer. Other layers with weights (batch normalisation, depthwise convolutions,
    /// PReLU) keep theirs.
    public var reinitialisableLayerNames: [String] {
        layerInfo.compactMap { info in
            let layer = self.layer(named: info.name)
            return layer is Conv2D || layer is Dense ? info.name : nil
        }
    }

    /// A model with the same graph in which the layers named in `names` have fresh weights: kernels from
    /// Glorot (Xavier) uniform — Keras' default initialiser, `U(−l, l)` with `l = √(6 / (fan_in + fan_out))`,
    /// `fan_in = KH·KW·Cin`, `fan_out = KH·KW·Cout` for a convolution and `in`, `out` for a dense
    /// layer — and zero biases. Layer `names[i]` draws from ``SeededRandom`` seeded with `seed + i`, so
    /// a layer's new weights do not depend on how many layers are re-initialised with it.
    ///
    /// The new model SHARES every other layer instance with this one (layers hold forward caches):
    /// run the two one after the other, never at the same time.
    public func reinitialising(_ names: [String], seed: UInt64) throws -> Model {
        var fresh: [String: any Layer] = [:]
        for (position, name) in names.enumerated() {
            var random = SeededRandom(seed: seed &+ UInt64(position))
            func glorot(_ shape: [Int], fanIn: Int, fanOut: Int) -> Tensor {
                let limit = (6 / Double(fanIn + fanOut)).squareRoot()
                return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float(random.uniform(-limit, limit)) })
            }
            switch layer(named: name) {
            case let conv as Conv2D:
                let (kh, kw, cin, cout) = (conv.kernel.shape[0], conv.kernel.shape[1], conv.kernel.shape[2], conv.kernel.shape[3])
                fresh[name] = try Conv2D(name: name, kernel: glorot(conv.kernel.shape, fanIn: kh * kw * cin, fanOut: kh * kw * cout),
                                         bias: conv.bias.map { Tensor(zeros: $0.shape) }, strides: (conv.strides.height, conv.strides.width),
                                         padding: conv.padding, activation: conv.activation)
            case let dense as Dense:
                fresh[name] = try Dense(name: name, kernel: glorot(dense.kernel.shape, fanIn: dense.kernel.shape[0], fanOut: dense.kernel.shape[1]),
                                        bias: dense.bias.map { Tensor(zeros: $0.shape) }, activation: dense.activation)
            default:
                throw NeuralNetError.invalidConfiguration(layer: name, detail: "only Conv2D and Dense layers can be re-initialised")
            }
        }
        let nodes = layerInfo.compactMap { info in (fresh[info.name] ?? layer(named: info.name)).map { Node($0, inputs: info.inputs) } }
        return try Model(inputs: inputs, nodes: nodes, outputs: outputNames)
    }
}
