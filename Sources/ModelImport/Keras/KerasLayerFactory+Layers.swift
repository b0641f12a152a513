import NeuralNet

/// The layer classes added for real-world steering models (issue 12): separable and depthwise
/// convolutions, upsampling, global max pooling, `Permute`, the element-wise merges, `PReLU`, `Softmax`
/// and `ThresholdedReLU`; plus the helpers for dilated kernels and activations that cannot be fused.
extension KerasLayerFactory {
    /// The NeuralNet layers for the classes above, or `nil` for a class this file does not know.
    func moreLayers(
        for layer: KerasLayerDescription, inputShapes: [[Int]], weights: inout KerasLayerWeights
    ) throws -> [any NeuralNet.Layer]? {
        let config = layer.config
        let name = layer.name
        switch layer.className {
        case "DepthwiseConv2D":
            let input = try image(single(inputShapes, layer), config)
            let multiplier = try config.int("depth_multiplier", default: 1)
            let kernel = try depthwiseKernel(config, input: input, multiplier: multiplier, weights: &weights)
            let bias = try config.bool("use_bias", "bias", default: true) ? try weights.take(.bias, shape: [input[2] * multiplier]) : nil
            let (strides, dilation, padding) = try window(config)
            return try fused(name, try activation(config, key: "activation", default: "linear")) { name, activation in
                try NeuralNet.DepthwiseConv2D(name: name, kernel: kernel, bias: bias, strides: strides, dilation: dilation,
                                              padding: padding, activation: activation)
            }
        case "SeparableConv2D", "SeparableConvolution2D":
            // Depthwise (no bias, linear) then a 1×1 pointwise Conv2D with the bias and the activation.
            let input = try image(single(inputShapes, layer), config)
            let multiplier = try config.int("depth_multiplier", default: 1)
            let filters = try config.int("filters", "nb_filter")
            let depthwise = try depthwiseKernel(config, input: input, multiplier: multiplier, weights: &weights)
            let pointwise = try weights.take(.pointwiseKernel, shape: [1, 1, input[2] * multiplier, filters])
            let bias = try config.bool("use_bias", "bias", default: true) ? try weights.take(.bias, shape: [filters]) : nil
            let (strides, dilation, padding) = try window(config)
            let first = try NeuralNet.DepthwiseConv2D(name: "\(name)/depthwise", kernel: depthwise, strides: strides,
                                                      dilation: dilation, padding: padding)
            return [first] + (try fused(name, try activation(config, key: "activation", default: "linear")) { name, activation in
                try NeuralNet.Conv2D(name: name, kernel: pointwise, bias: bias, activation: activation)
            })
        case "UpSampling2D":
            _ = try image(single(inputShapes, layer), config)
            let size = try config.intPair("size", default: (2, 2))
            switch try config.string("interpolation", default: "nearest") {
            case "nearest": return [try NeuralNet.UpSampling2D(name: name, size: size)]
            case "bilinear":
                let input = try single(inputShapes, layer)
                return [try NeuralNet.Resizing(name: name, height: input[0] * size.0, width: input[1] * size.1, method: .bilinearHalfPixel)]
            case let other: throw config.unsupported("interpolation '\(other)' (supported: nearest, bilinear)")
            }
        case "GlobalMaxPooling2D", "GlobalMaxPool2D":
            return try globalPooling(config, input: try single(inputShapes, layer)) { NeuralNet.GlobalMaxPooling2D(name: $0) }
        case "Permute":
            guard let dims = try config.shape("dims"), dims.allSatisfy({ $0 != nil }) else { throw config.unsupported("'dims' must list axes") }
            return [try NeuralNet.Permute(name: name, order: dims.map { $0! - 1 })]
        case "Multiply", "Average", "Maximum", "Minimum", "Subtract":
            return [NeuralNet.ElementwiseMerge(name: name, operation: NeuralNet.ElementwiseMerge.Operation(rawValue: layer.className)!)]
        case "PReLU":
            let input = try single(inputShapes, layer)
            var shape = input
            for axis in try sharedAxes(config) {
                guard (1...input.count).contains(axis) else { throw config.unsupported("shared axis \(axis) of an input with \(input.count) axes") }
                shape[axis - 1] = 1
            }
            return [NeuralNet.PReLU(name: name, alpha: try weights.take(.alpha, shape: shape))]
        case "Softmax":
            let rank = try single(inputShapes, layer).count
            guard try itemAxis(config, key: "axis", rank: rank) == -1 else { throw config.unsupported("softmax over an axis other than the last") }
            return [try NeuralNet.Activation(name: name, .softmax)]
        case "ThresholdedReLU":
            // x > θ ? x : 0, which is exactly Keras ReLU(threshold=θ) for θ ≥ 0 (both give 0 at x = θ).
            let theta = try config.float("theta", default: 1)
            guard theta >= 0 else { throw config.unsupported("theta=\(theta) (must be >= 0)") }
            return [try NeuralNet.ReLU(name: name, threshold: theta)]
        default:
            return nil
        }
    }

    /// A global pooling layer (`[N, H, W, C] → [N, C]`), followed for `keepdims=True` by a reshape to
    /// `[N, 1, 1, C]` that carries the Keras name (the pooling node is then `<name>/pool`).
    func globalPooling(
        _ config: KerasLayerConfig, input: [Int], _ make: (String) -> any NeuralNet.Layer
    ) throws -> [any NeuralNet.Layer] {
        try requireChannelsLast(config)
        guard try config.bool("keepdims", default: false) else { return [make(config.layer)] }
        guard input.count == 3 else { throw config.unsupported("global pooling needs an image input [H, W, C], got \(input)") }
        return [make("\(config.layer)/pool"), try NeuralNet.Reshape(name: config.layer, targetShape: [1, 1, input[2]])]
    }

    /// Layers for a linear operation `make(name, activation)` with a Keras activation: fused into its
    /// epilogue, or — for swish/GELU, whose gradient needs the pre-activation — the linear layer
    /// (`<name>/linear`) followed by an ``NeuralNet/Activation`` layer that carries the Keras name.
    func fused(
        _ name: String, _ activation: ActivationKind, _ make: (String, ActivationKind) throws -> any NeuralNet.Layer
    ) throws -> [any NeuralNet.Layer] {
        guard activation.derivativeNeedsInput else { return [try make(name, activation)] }
        return [try make("\(name)/linear", .linear), try NeuralNet.Activation(name: name, activation)]
    }

    /// A `[KH, KW, Cin, Cout]` kernel dilated by `(dh, dw)`: taps `dh`/`dw` apart with zeros between, so a
    /// plain convolution with the `((KH − 1)·dh + 1) × ((KW − 1)·dw + 1)` kernel equals the dilated one
    /// (TensorFlow's `SAME` padding also uses that effective extent).
    static func dilated(_ kernel: Tensor, by dilation: (Int, Int)) throws -> Tensor {
        guard dilation != (1, 1) else { return kernel }
        let (kh, kw, cin, cout) = (kernel.shape[0], kernel.shape[1], kernel.shape[2], kernel.shape[3])
        let (eh, ew) = ((kh - 1) * dilation.0 + 1, (kw - 1) * dilation.1 + 1)
        var result = Tensor(zeros: [eh, ew, cin, cout])
        let tap = cin * cout
        for y in 0..<kh {
            for x in 0..<kw {
                let source = (y * kw + x) * tap, target = (y * dilation.0 * ew + x * dilation.1) * tap
                result.scalars.replaceSubrange(target..<(target + tap), with: kernel.scalars[source..<(source + tap)])
            }
        }
        return result
    }

    // MARK: Settings

    private func image(_ input: [Int], _ config: KerasLayerConfig) throws -> [Int] {
        try requireChannelsLast(config)
        guard input.count == 3 else { throw config.unsupported("needs an image input [H, W, C], got \(input)") }
        return input
    }

    /// `[KH, KW, C, M]` stored as `depthwise_kernel` (Keras 1/2, separable layers) or `kernel` (Keras 3 DepthwiseConv2D).
    private func depthwiseKernel(_ config: KerasLayerConfig, input: [Int], multiplier: Int, weights: inout KerasLayerWeights) throws -> Tensor {
        let size = try config.kernelSize()
        let shape = [size.0, size.1, input[2], multiplier]
        if let kernel = try weights.takeIfPresent(.depthwiseKernel, shape: shape) { return kernel }
        return try weights.take(.kernel, shape: shape)
    }

    private func window(_ config: KerasLayerConfig) throws -> (strides: (Int, Int), dilation: (Int, Int), padding: NeuralNet.Padding) {
        (try config.intPair("strides", "subsample", default: (1, 1)),
         try config.intPair("dilation_rate", "atrous_rate", default: (1, 1)),
         try padding(config))
    }

    /// PReLU `shared_axes`: absent/null, one axis, or a list (Keras counts the batch as axis 0).
    private func sharedAxes(_ config: KerasLayerConfig) throws -> [Int] {
        guard let value = config.raw(["shared_axes"]) else { return [] }
        if let axis = KerasLayerConfig.integer(value) { return [axis] }
        if let list = value as? [Any] {
            let axes = list.compactMap(KerasLayerConfig.integer)
            if axes.count == list.count { return axes }
        }
        throw config.unsupported("'shared_axes' is \(KerasLayerConfig.describe(value))")
    }
}
