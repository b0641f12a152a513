import NeuralNet

/// Turns one Keras layer description plus its stored weights into NeuralNet layers.
///
/// Most Keras layers become one NeuralNet layer; a resolved `Lambda` becomes zero (identity) or more
/// (e.g. resize then rescale); `InputLayer` is handled by the graph builder. Settings are read with the
/// spelling of each Keras generation (Keras 1 `nb_filter`/`border_mode`/`subsample`, Keras 2/3
/// `filters`/`padding`/`strides`); anything that cannot be run exactly is an error naming the layer.
struct KerasLayerFactory {
    /// Resolves a Lambda layer to operations; injected so the graph builder can record resolutions.
    var resolveLambda: (KerasLayerDescription) throws -> [LambdaOperation]
    /// The Keras generation that wrote the config (settings whose meaning changed, e.g. `hard_sigmoid`).
    var generation: KerasGeneration = .keras2

    /// The NeuralNet layers for `layer`, whose inputs have shapes `inputShapes` (without batch).
    /// Consumes the layer's weights from `weights`.
    func makeLayers(
        for layer: KerasLayerDescription, inputShapes: [[Int]], weights: inout KerasLayerWeights
    ) throws -> [any NeuralNet.Layer] {
        let config = layer.config
        let name = layer.name
        switch layer.className {
        case "Conv2D", "Convolution2D", "AtrousConvolution2D":
            return try convolution(config, input: try single(inputShapes, layer), weights: &weights)
        case "Dense":
            return try dense(config, input: try single(inputShapes, layer), weights: &weights)
        case "Activation":
            return [try NeuralNet.Activation(name: name, try activation(config, key: "activation"))]
        case "ELU":
            return [NeuralNet.ELU(name: name, alpha: try config.float("alpha", default: 1))]
        case "LeakyReLU":
            return [NeuralNet.LeakyReLU(name: name, alpha: try config.float("negative_slope", "alpha", default: 0.3))]
        case "ReLU":
            return [try NeuralNet.ReLU(
                name: name, maxValue: try config.optionalFloat("max_value"),
                negativeSlope: try config.float("negative_slope", default: 0), threshold: try config.float("threshold", default: 0))]
        case "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization":
            // Identity at inference.
            return [NeuralNet.Dropout(name: name, rate: try config.float("rate", "p", default: 0))]
        case "Flatten":
            try requireChannelsLast(config)
            return [NeuralNet.Flatten(name: name)]
        case "Reshape":
            guard let target = try config.shape("target_shape"), target.allSatisfy({ $0 != nil }) else {
                throw config.unsupported("'target_shape' must list known extents")
            }
            return [try NeuralNet.Reshape(name: name, targetShape: target.map { $0! })]
        case "MaxPooling2D", "AveragePooling2D":
            return [try pooling(config, className: layer.className)]
        case "GlobalAveragePooling2D":
            return try globalPooling(config, input: try single(inputShapes, layer)) { NeuralNet.GlobalAveragePooling2D(name: $0) }
        case "BatchNormalization":
            return [try batchNormalization(config, input: try single(inputShapes, layer), weights: &weights)]
        case "Cropping2D":
            try requireChannelsLast(config)
            let ((top, bottom), (left, right)) = try borders(config, key: "cropping")
            return [try NeuralNet.Cropping2D(name: name, top: top, bottom: bottom, left: left, right: right)]
        case "ZeroPadding2D":
            try requireChannelsLast(config)
            let ((top, bottom), (left, right)) = try borders(config, key: "padding")
            return [try NeuralNet.ZeroPadding2D(name: name, top: top, bottom: bottom, left: left, right: right)]
        case "Rescaling":
            return [try NeuralNet.Rescaling(name: name, scale: try floats(config, "scale"), offset: try floats(config, "offset", default: [0]))]
        case "Resizing":
            if try config.bool("crop_to_aspect_ratio", default: false) { throw config.unsupported("crop_to_aspect_ratio=True") }
            if try config.bool("pad_to_aspect_ratio", default: false) { throw config.unsupported("pad_to_aspect_ratio=True") }
            let method: NeuralNet.ResizeMethod
            switch try config.string("interpolation", default: "bilinear") {
            case "bilinear": method = .bilinearHalfPixel
            case "area": method = .area
            case let other: throw config.unsupported("interpolation '\(other)' (supported: bilinear, area)")
            }
            return [try NeuralNet.Resizing(name: name, height: try config.extent("height"), width: try config.extent("width"), method: method)]
        case "Add":
            return [NeuralNet.Add(name: name)]
        case "Concatenate":
            return [NeuralNet.Concatenate(name: name, axis: try itemAxis(config, key: "axis", rank: inputShapes.first?.count ?? 0))]
        case "Merge":
            switch try config.string("mode", default: "sum") {
            case "sum": return [NeuralNet.Add(name: name)]
            case "concat":
                return [NeuralNet.Concatenate(name: name, axis: try itemAxis(config, key: "concat_axis", rank: inputShapes.first?.count ?? 0))]
            case "mul": return [NeuralNet.ElementwiseMerge(name: name, operation: .multiply)]
            case "ave": return [NeuralNet.ElementwiseMerge(name: name, operation: .average)]
            case "max": return [NeuralNet.ElementwiseMerge(name: name, operation: .maximum)]
            case let mode: throw config.unsupported("Merge mode '\(mode)' (supported: sum, mul, ave, max, concat)")
            }
        case "Lambda":
            return try lambdaLayers(for: layer, input: try single(inputShapes, layer))
        default:
            if let made = try moreLayers(for: layer, inputShapes: inputShapes, weights: &weights) { return made }
            throw ModelImportError.unknownLayer(layer: name, className: layer.className)
        }
    }

    // MARK: Layers with weights

    /// Conv2D with any dilation (run as the equivalent dense kernel, zeros between the taps).
    private func convolution(_ config: KerasLayerConfig, input: [Int], weights: inout KerasLayerWeights) throws -> [any NeuralNet.Layer] {
        try requireChannelsLast(config)
        guard input.count == 3 else { throw config.unsupported("Conv2D needs an image input [H, W, C], got \(input)") }
        let filters = try config.int("filters", "nb_filter")
        let kernelSize = try config.kernelSize()
        let strides = try config.intPair("strides", "subsample", default: (1, 1))
        let dilation = try config.intPair("dilation_rate", "atrous_rate", default: (1, 1))
        guard try config.int("groups", default: 1) == 1 else { throw config.unsupported("grouped convolution (groups > 1)") }
        let useBias = try config.bool("use_bias", "bias", default: true)
        let kernel = try Self.dilated(try weights.take(.kernel, shape: [kernelSize.0, kernelSize.1, input[2], filters]), by: dilation)
        let bias = useBias ? try weights.take(.bias, shape: [filters]) : nil
        let padding = try padding(config)
        return try fused(config.layer, try activation(config, key: "activation", default: "linear")) { name, activation in
            try NeuralNet.Conv2D(name: name, kernel: kernel, bias: bias, strides: strides, padding: padding, activation: activation)
        }
    }

    private func dense(_ config: KerasLayerConfig, input: [Int], weights: inout KerasLayerWeights) throws -> [any NeuralNet.Layer] {
        guard input.count == 1 else {
            throw config.unsupported("Dense on an input of shape \(input) (only flat [features] inputs are supported; add Flatten)")
        }
        let units = try config.int("units", "output_dim")
        let useBias = try config.bool("use_bias", "bias", default: true)
        let kernel = try weights.take(.kernel, shape: [input[0], units])
        let bias = useBias ? try weights.take(.bias, shape: [units]) : nil
        return try fused(config.layer, try activation(config, key: "activation", default: "linear")) { name, activation in
            try NeuralNet.Dense(name: name, kernel: kernel, bias: bias, activation: activation)
        }
    }

    /// Keras 2/3 BN on any one axis (`center`/`scale` optional), and Keras 1 BN `mode` 0 (moving
    /// statistics), 1 (sample-wise over the last axis) and 2 (per-sample batch statistics). Keras 1 stores
    /// running statistics for every mode; modes 1 and 2 do not use them.
    private func batchNormalization(_ config: KerasLayerConfig, input: [Int], weights: inout KerasLayerWeights) throws -> any NeuralNet.Layer {
        let axis = try itemAxis(config, key: "axis", rank: input.count)
        let statistics: NeuralNet.BatchNormalization.Statistics
        switch try config.int("mode", default: 0) {
        case 0: statistics = .moving
        case 1: statistics = .sampleWise
        case 2: statistics = .perSample
        case let mode: throw config.unsupported("BatchNormalization mode=\(mode) (supported: 0, 1, 2)")
        }
        if statistics == .sampleWise, axis != -1 {
            throw config.unsupported("BatchNormalization mode=1 normalises the last axis; axis=\(axis + 1) is not supported with it")
        }
        if try config.bool("renorm", default: false) { throw config.unsupported("renorm=True") }
        let channels = [axis < 0 ? input[input.count + axis] : input[axis]]
        let gamma = try config.bool("scale", default: true) ? try weights.take(.gamma, shape: channels) : nil
        let beta = try config.bool("center", default: true) ? try weights.take(.beta, shape: channels) : nil
        let mean: Tensor?, variance: Tensor?
        if statistics == .moving {
            mean = try weights.take(.movingMean, shape: channels)
            variance = try weights.take(.movingVariance, shape: channels)
        } else {
            mean = try weights.takeIfPresent(.movingMean, shape: channels)
            variance = try weights.takeIfPresent(.movingVariance, shape: channels)
        }
        return try NeuralNet.BatchNormalization(
            name: config.layer, gamma: gamma, beta: beta, movingMean: statistics == .moving ? mean : nil,
            movingVariance: statistics == .moving ? variance : nil,
            epsilon: try config.float("epsilon", default: 1e-3), statistics: statistics, axis: axis)
    }

    // MARK: Pooling

    private func pooling(_ config: KerasLayerConfig, className: String) throws -> any NeuralNet.Layer {
        try requireChannelsLast(config)
        let size = try config.intPair("pool_size", default: (2, 2))
        let strides: (Int, Int)? = config.has("strides") ? try config.intPair("strides") : nil
        let padding = try padding(config)
        if className == "MaxPooling2D" {
            return try NeuralNet.MaxPooling2D(name: config.layer, poolSize: size, strides: strides, padding: padding)
        }
        return try NeuralNet.AveragePooling2D(name: config.layer, poolSize: size, strides: strides, padding: padding)
    }

    // MARK: Lambda

    /// Maps resolved Lambda operations onto NeuralNet layers, named `<lambda>` for the last and
    /// `<lambda>/<k>` for earlier ones; an identity Lambda yields no layer (the builder aliases it).
    private func lambdaLayers(for layer: KerasLayerDescription, input: [Int]) throws -> [any NeuralNet.Layer] {
        let operations = try resolveLambda(layer).filter { $0 != .identity }
        var shape = input
        return try operations.enumerated().map { index, operation in
            let name = index == operations.count - 1 ? layer.name : "\(layer.name)/\(index + 1)"
            let mapped = try LambdaLayerMapping.layer(for: operation, name: name, layerName: layer.name, inputShape: shape)
            shape = try mapped.outputShape(forInputShapes: [shape])
            return mapped
        }
    }

    // MARK: Settings

    func single(_ shapes: [[Int]], _ layer: KerasLayerDescription) throws -> [Int] {
        guard shapes.count == 1 else {
            throw ModelImportError.invalidGraph(detail: "layer '\(layer.name)' (\(layer.className)) takes one input, got \(shapes.count)")
        }
        return shapes[0]
    }

    /// `data_format` must be channels_last (or absent/null = the default); Keras 1 `dim_ordering` must be
    /// `tf` (`default` is accepted and then checked by the kernel shape).
    func requireChannelsLast(_ config: KerasLayerConfig) throws {
        if let format = try config.optionalString("data_format"), format != "channels_last" {
            throw config.unsupported("data_format '\(format)' (only channels_last is supported; re-export the model channels_last)")
        }
        if let ordering = try config.optionalString("dim_ordering"), ordering != "tf", ordering != "default" {
            throw config.unsupported("dim_ordering '\(ordering)' (only 'tf' is supported; Theano 'th' ordering is channels-first)")
        }
    }

    func padding(_ config: KerasLayerConfig) throws -> NeuralNet.Padding {
        let value = try config.string("padding", "border_mode", default: "valid")
        guard let padding = NeuralNet.Padding(rawValue: value.lowercased()) else {
            throw config.unsupported("padding '\(value)' (supported: valid, same)")
        }
        return padding
    }

    func activation(_ config: KerasLayerConfig, key: String, default fallback: String? = nil) throws -> ActivationKind {
        let name = try config.string(key, default: fallback)
        // Keras 3's hard_sigmoid is relu6(x + 3)/6; Keras 1/2 and tf-keras use clip(0.2x + 0.5, 0, 1).
        guard let kind = ActivationKind(kerasName: name, hardSigmoidSlope: generation == .keras3 ? 1.0 / 6 : 0.2) else {
            throw config.unsupported("activation '\(name)'")
        }
        return kind
    }

    /// A Keras axis setting (counting the batch as axis 0; negative from the end; a one-element list is
    /// accepted) as an axis of the `rank`-dimensional item shape: `-1` for the last axis, else `0..<rank-1`.
    func itemAxis(_ config: KerasLayerConfig, key: String, rank: Int) throws -> Int {
        let value = config.raw([key]) ?? -1
        let number: Int
        if let list = value as? [Any], list.count == 1, let only = KerasLayerConfig.integer(list[0]) {
            number = only
        } else if let single = KerasLayerConfig.integer(value) {
            number = single
        } else {
            throw config.unsupported("'\(key)' is \(KerasLayerConfig.describe(value)) (one axis is supported)")
        }
        let resolved = number < 0 ? rank + number : number - 1
        guard rank > 0, (0..<rank).contains(resolved) else {
            throw config.unsupported("\(key)=\(number) is not an axis of an input with \(rank) axes besides the batch")
        }
        return resolved == rank - 1 ? -1 : resolved
    }

    /// `n`, `(sym_h, sym_w)` or `((top, bottom), (left, right))`.
    func borders(_ config: KerasLayerConfig, key: String) throws -> ((Int, Int), (Int, Int)) {
        guard let value = config.raw([key]) else { throw config.unsupported("missing '\(key)'") }
        func amount(_ item: Any) -> Int? { KerasLayerConfig.integer(item).flatMap { LayerValueLimits.amounts.contains($0) ? $0 : nil } }
        if let n = amount(value) { return ((n, n), (n, n)) }
        if let pair = value as? [Any], pair.count == 2 {
            if let h = amount(pair[0]), let w = amount(pair[1]) { return ((h, h), (w, w)) }
            if let rows = pair[0] as? [Any], let columns = pair[1] as? [Any], rows.count == 2, columns.count == 2,
               let top = amount(rows[0]), let bottom = amount(rows[1]), let left = amount(columns[0]), let right = amount(columns[1]) {
                return ((top, bottom), (left, right))
            }
        }
        throw config.unsupported("'\(key)' is \(KerasLayerConfig.describe(value)), expected amounts in \(LayerValueLimits.amountsText)")
    }

    /// A number or a list of numbers.
    func floats(_ config: KerasLayerConfig, _ key: String, default fallback: [Float]? = nil) throws -> [Float] {
        guard let value = config.raw([key]) else {
            if let fallback { return fallback }
            throw config.unsupported("missing '\(key)'")
        }
        if let number = KerasLayerConfig.number(value) { return [Float(number)] }
        if let list = value as? [Any] {
            let numbers = list.compactMap(KerasLayerConfig.number)
            if numbers.count == list.count, !numbers.isEmpty { return numbers.map { Float($0) } }
        }
        throw config.unsupported("'\(key)' is \(KerasLayerConfig.describe(value))")
    }
}
