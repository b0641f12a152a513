import NeuralNet

/// Conv (incl. depthwise), Gemm/MatMul, pooling and Pad: the layers with weights or spatial windows.
extension ONNXGraphConverter {
    /// Explicit `(top, left, bottom, right)` padding of a window op from `pads`/`auto_pad`.
    private func windowPads(input: (Int, Int), extent: (Int, Int), strides: (Int, Int)) throws -> [Int] {
        switch current.string("auto_pad") ?? "NOTSET" {
        case "NOTSET":
            let pads = current.ints("pads") ?? [0, 0, 0, 0]
            guard pads.count == 4, pads.allSatisfy(LayerValueLimits.amounts.contains) else { throw unsupported("pads \(pads): four non-negative values expected") }
            return pads
        case "VALID": return [0, 0, 0, 0]
        case let mode where mode == "SAME_UPPER" || mode == "SAME_LOWER":
            let same = Self.samePads(input: input, extent: extent, strides: strides)
            return mode == "SAME_UPPER" ? same : [same[2], same[3], same[0], same[1]]
        case let mode: throw unsupported("auto_pad \(mode) is not supported")
        }
    }

    /// TensorFlow `SAME` padding (`top, left, bottom, right`; the odd extra row/column at the end).
    static func samePads(input: (Int, Int), extent: (Int, Int), strides: (Int, Int)) -> [Int] {
        func axis(_ size: Int, _ k: Int, _ s: Int) -> (Int, Int) {
            let out = (size + s - 1) / s
            let total = max((out - 1) * s + k - size, 0)
            return (total / 2, total - total / 2)
        }
        let rows = axis(input.0, extent.0, strides.0), columns = axis(input.1, extent.1, strides.1)
        return [rows.0, columns.0, rows.1, columns.1]
    }

    /// The engine padding for `pads`: TF `valid`/`same` when they match, else a ``ZeroPadding2D`` before
    /// a `valid` window (when `zeroPadAllowed`). Returns the node to read and the padding mode.
    /// `padValue` fills the added cells (the lowest Float for max pooling, whose padding never wins).
    private func padded(_ input: RuntimeValue, pads: [Int], extent: (Int, Int), strides: (Int, Int), zeroPadAllowed: Bool, sameAllowed: Bool = true,
                        padValue: Float = 0) throws -> (String, Padding) {
        if pads.allSatisfy({ $0 == 0 }) { return (input.node, .valid) }
        let size = (input.shape[2], input.shape[3])
        if sameAllowed, pads == Self.samePads(input: size, extent: extent, strides: strides) { return (input.node, .same) }
        guard zeroPadAllowed else { throw unsupported("pads \(pads) are neither 0 nor TensorFlow SAME for this input; re-export with padding that is") }
        let padding = try ZeroPadding2D(name: uniqueName("pad"), top: pads[0], bottom: pads[2], left: pads[1], right: pads[3], value: padValue)
        return (append(padding, inputs: [input.node]), .valid)
    }

    private func pair(_ key: String, default value: Int) throws -> (Int, Int) {
        let values = current.ints(key) ?? [value, value]
        guard values.count == 2, values.allSatisfy(LayerValueLimits.extents.contains) else {
            throw unsupported("\(key) \(values): two values in \(LayerValueLimits.extentsText) expected (2-D windows only)")
        }
        return (values[0], values[1])
    }

    private func spatialOutput(_ input: RuntimeValue, channels: Int, pads: [Int], extent: (Int, Int), strides: (Int, Int)) -> [Int] {
        [1, channels, (input.shape[2] + pads[0] + pads[2] - extent.0) / strides.0 + 1, (input.shape[3] + pads[1] + pads[3] - extent.1) / strides.1 + 1]
    }

    /// `Conv`: weight `[M, C/group, kH, kW]` → ``Conv2D`` kernel `[kH, kW, C, M]` (group 1) or
    /// ``DepthwiseConv2D`` kernel `[kH, kW, C, M/C]` (group = C).
    func convertConv() throws {
        let input = try channelsLast(try runtime(0))
        let weight = try constant(1, "weight"), bias = try optionalConstant(2, "bias")
        guard weight.shape.count == 4 else { throw unsupported("weight of shape \(weight.shape): only 2-D convolutions are supported") }
        let (filters, perGroup, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        let channels = input.shape[1], group = current.int("group") ?? 1
        let strides = try pair("strides", default: 1), dilations = try pair("dilations", default: 1)
        let extent = ((kh - 1) * dilations.0 + 1, (kw - 1) * dilations.1 + 1)
        let pads = try windowPads(input: (input.shape[2], input.shape[3]), extent: extent, strides: strides)
        let (source, padding) = try padded(input, pads: pads, extent: extent, strides: strides, zeroPadAllowed: true)
        let name = uniqueName()
        let biasValues = bias?.floats
        if group == 1 {
            guard perGroup == channels else { throw unsupported("weight expects \(perGroup) input channels, the input has \(channels)") }
            // Dilation as Keras imports it: the kernel spread out with zeros between the taps.
            guard ONNXConstant.elementCount([extent.0, extent.1, channels, filters]).map({ $0 <= 1 << 26 }) == true else {
                throw unsupported("dilations \(dilations) make the kernel too large")
            }
            let kernel = try KerasLayerFactory.dilated(Tensor(shape: [kh, kw, channels, filters], scalars: weight.transposed([2, 3, 1, 0]).floats),
                                                       by: dilations)
            let make: (String, Tensor?, ActivationKind) throws -> any Layer = { name, bias, activation in
                try Conv2D(name: name, kernel: kernel, bias: bias, strides: strides, padding: padding, activation: activation)
            }
            append(try make(name, biasValues.map { Tensor(shape: [$0.count], scalars: $0) }, .linear), inputs: [source])
            markFusable(name, bias: biasValues, make: make)
        } else if group == channels, perGroup == 1, filters % channels == 0 {
            let multiplier = filters / channels
            // Output channel c·M + m is weight[c·M + m, 0] on input channel c.
            let kernel = Tensor(shape: [kh, kw, channels, multiplier], scalars: weight.transposed([2, 3, 1, 0]).floats)
            let make: (String, Tensor?, ActivationKind) throws -> any Layer = { name, bias, activation in
                try DepthwiseConv2D(name: name, kernel: kernel, bias: bias, strides: strides, dilation: dilations, padding: padding, activation: activation)
            }
            append(try make(name, biasValues.map { Tensor(shape: [$0.count], scalars: $0) }, .linear), inputs: [source])
            markFusable(name, bias: biasValues, make: make)
        } else {
            throw unsupported("group \(group) with \(channels) input channels: only group 1 and depthwise (group = channels) are supported")
        }
        let effectivePads = padding == .valid ? [0, 0, 0, 0] : pads
        let sourceShape = padding == .valid && pads != [0, 0, 0, 0]
            ? [1, channels, input.shape[2] + pads[0] + pads[2], input.shape[3] + pads[1] + pads[3]] : input.shape
        let shape = spatialOutput(RuntimeValue(node: source, shape: sourceShape, layout: .channelsLast), channels: filters,
                                  pads: effectivePads, extent: extent, strides: strides)
        output(RuntimeValue(node: name, shape: shape, layout: .channelsLast))
    }

    /// `ConvTranspose` (group 1, dilation 1): weight `[C, M, kH, kW]` → ``Conv2DTranspose`` kernel
    /// `[kH, kW, C, M]`; pads and `output_padding` (or `output_shape`) fix the crop and the output size.
    func convertConvTranspose() throws {
        let input = try channelsLast(try runtime(0))
        let weight = try constant(1, "weight"), bias = try optionalConstant(2, "bias")
        guard weight.shape.count == 4, weight.shape[0] == input.shape[1] else { throw unsupported("weight of shape \(weight.shape) does not fit the input \(input.shape)") }
        guard current.int("group") ?? 1 == 1 else { throw unsupported("group \(current.int("group") ?? 1): only group 1 is supported") }
        guard (current.ints("dilations") ?? [1, 1]) == [1, 1] else { throw unsupported("dilations are not supported") }
        let (channels, filters, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        let strides = try pair("strides", default: 1)
        let extra = current.ints("output_padding") ?? [0, 0]
        guard extra.count == 2, extra.allSatisfy(LayerValueLimits.amounts.contains) else { throw unsupported("output_padding \(extra) is invalid") }
        let (h, w) = (input.shape[2], input.shape[3])
        let full = ((h - 1) * strides.0 + kh + extra[0], (w - 1) * strides.1 + kw + extra[1])
        var pads = current.ints("pads") ?? [0, 0, 0, 0]
        if let shape = current.ints("output_shape"), shape.count >= 2 {
            let target = (shape[shape.count - 2], shape[shape.count - 1])
            let total = (full.0 - target.0, full.1 - target.1)
            guard total.0 >= 0, total.1 >= 0 else { throw unsupported("output_shape \(shape) is larger than the full output") }
            let upper = (current.string("auto_pad") ?? "NOTSET") != "SAME_LOWER"
            pads = upper ? [total.0 / 2, total.1 / 2, total.0 - total.0 / 2, total.1 - total.1 / 2]
                         : [total.0 - total.0 / 2, total.1 - total.1 / 2, total.0 / 2, total.1 / 2]
        }
        guard pads.count == 4, pads.allSatisfy(LayerValueLimits.amounts.contains) else { throw unsupported("pads \(pads) are invalid") }
        let size = (full.0 - pads[0] - pads[2], full.1 - pads[1] - pads[3])
        let kernel = Tensor(shape: [kh, kw, channels, filters], scalars: weight.transposed([2, 3, 0, 1]).floats)
        let layer = try Conv2DTranspose(name: uniqueName(), kernel: kernel, bias: bias.map { Tensor(shape: [$0.count], scalars: $0.floats) },
                                        strides: strides, crop: (pads[0], pads[1]), inputSize: (h, w), outputSize: size)
        output(RuntimeValue(node: append(layer, inputs: [input.node]), shape: [1, filters, size.0, size.1], layout: .channelsLast))
    }

    /// `Gemm` (`alpha·A·B' + beta·C`, A `[N, K]` at run time, B and C constants) and 2-D `MatMul` with a
    /// constant right operand: a ``Dense`` layer whose kernel rows follow the input's engine feature order.
    func convertDense() throws {
        var input = try runtime(0)
        // MatMul applies to the last axis of any [N, …, K] (Dense does the same); Gemm takes [N, K].
        if input.shape.count > 2 && current.opType == "MatMul" { input = try inONNXOrder(input) }
        guard input.shape.count == 2 || (current.opType == "MatMul" && input.layout == .onnx) else {
            throw unsupported("run-time operand of shape \(input.shape): only [N, K] is supported")
        }
        var weight = try constant(1, "weight")
        guard weight.shape.count == 2 else { throw unsupported("weight of shape \(weight.shape): a 2-D constant is expected") }
        var bias: [Float]?
        if current.opType == "Gemm" {
            if current.int("transA") ?? 0 != 0 { throw unsupported("transA=1 is not supported") }
            if current.int("transB") ?? 0 != 0 { weight = weight.transposed([1, 0]) }
            let alpha = current.float("alpha") ?? 1, beta = current.float("beta") ?? 1
            if alpha != 1 { weight.values = weight.values.map { $0 * alpha } }
            if let c = try optionalConstant(2, "C") {
                guard let row = c.broadcast(to: [1, weight.shape[1]]) else { throw unsupported("C of shape \(c.shape) is not a per-output bias") }
                bias = row.values.map { Float($0 * beta) }
            }
        }
        let (features, units) = (weight.shape[0], weight.shape[1])
        guard features == input.shape.last else { throw unsupported("weight expects \(features) features, the input has shape \(input.shape)") }
        var rows = weight.values
        if case .permuted(let order) = input.layout {
            rows = [Double](repeating: 0, count: weight.count)
            for (engine, onnx) in order.enumerated() {
                for unit in 0..<units { rows[engine * units + unit] = weight.values[onnx * units + unit] }
            }
        }
        let kernel = Tensor(shape: [features, units], scalars: rows.map { Float($0) })
        let make: (String, Tensor?, ActivationKind) throws -> any Layer = { name, bias, activation in
            try Dense(name: name, kernel: kernel, bias: bias, activation: activation)
        }
        let name = uniqueName()
        append(try make(name, bias.map { Tensor(shape: [$0.count], scalars: $0) }, .linear), inputs: [input.node])
        markFusable(name, bias: bias, make: make)
        output(RuntimeValue(node: name, shape: input.shape.dropLast() + [units], layout: .onnx))
    }

    /// `MaxPool` / `AveragePool` (2-D, dilation 1, `ceil_mode` 0).
    func convertPool() throws {
        let input = try channelsLast(try runtime(0))
        let kernel = try pair("kernel_shape", default: 1), strides = try pair("strides", default: 1)
        guard current.ints("kernel_shape")?.count == 2 else { throw unsupported("kernel_shape must have two values") }
        guard (current.ints("dilations") ?? [1, 1]) == [1, 1] else { throw unsupported("dilated pooling is not supported") }
        let pads = try windowPads(input: (input.shape[2], input.shape[3]), extent: kernel, strides: strides)
        if current.int("ceil_mode") ?? 0 != 0 {
            let floorShape = spatialOutput(input, channels: 1, pads: pads, extent: kernel, strides: strides)
            let ceilRows = (input.shape[2] + pads[0] + pads[2] - kernel.0 + strides.0 - 1) / strides.0 + 1
            let ceilColumns = (input.shape[3] + pads[1] + pads[3] - kernel.1 + strides.1 - 1) / strides.1 + 1
            guard floorShape[2] == ceilRows, floorShape[3] == ceilColumns else { throw unsupported("ceil_mode=1 changes the output size here; re-export with ceil_mode=False") }
        }
        let isMax = current.opType == "MaxPool"
        // Max pooling ignores padding cells (as TF SAME does); average pooling counts them only with count_include_pad.
        let includePad = current.int("count_include_pad") ?? 0 != 0
        // Max pooling: SAME when the pads match it, else padding cells that never win (every window keeps a real cell).
        let maxPadsFit = isMax && pads[0] < kernel.0 && pads[2] < kernel.0 && pads[1] < kernel.1 && pads[3] < kernel.1
        let (source, padding) = try padded(input, pads: pads, extent: kernel, strides: strides, zeroPadAllowed: maxPadsFit || (!isMax && includePad),
                                          sameAllowed: isMax || !includePad, padValue: isMax ? -.greatestFiniteMagnitude : 0)
        let name = uniqueName()
        let layer: any Layer = isMax
            ? try MaxPooling2D(name: name, poolSize: kernel, strides: strides, padding: padding)
            : try AveragePooling2D(name: name, poolSize: kernel, strides: strides, padding: padding)
        append(layer, inputs: [source])
        output(RuntimeValue(node: name, shape: spatialOutput(input, channels: input.shape[1], pads: pads, extent: kernel, strides: strides), layout: .channelsLast))
    }

    /// `GlobalAveragePool` / `GlobalMaxPool`: `[N, C, H, W] → [N, C, 1, 1]`.
    func convertGlobalPool() throws {
        let input = try channelsLast(try runtime(0))
        let pooled: any Layer = current.opType == "GlobalMaxPool"
            ? GlobalMaxPooling2D(name: uniqueName()) : GlobalAveragePooling2D(name: uniqueName())
        let vector = append(pooled, inputs: [input.node])
        let channels = input.shape[1]
        let image = append(try Reshape(name: uniqueName("nhwc"), targetShape: [1, 1, channels]), inputs: [vector])
        output(RuntimeValue(node: image, shape: [1, channels, 1, 1], layout: .channelsLast))
    }

    /// `Pad` (constant mode, value 0, spatial axes only) → ``ZeroPadding2D``.
    func convertPad() throws {
        let input = try channelsLast(try runtime(0))
        let pads = try current.ints("pads") ?? constant(1, "pads").integers
        let mode = current.string("mode") ?? "constant"
        let value = try current.float("value") ?? optionalConstant(2, "constant_value")?.values.first ?? 0
        guard mode == "constant", value == 0 else { throw unsupported("mode \(mode) value \(value): only zero padding is supported") }
        guard pads.count == 8, pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0, pads.allSatisfy(LayerValueLimits.amounts.contains) else {
            throw unsupported("pads \(pads): only non-negative padding of the height and width axes is supported")
        }
        let layer = try ZeroPadding2D(name: uniqueName(), top: pads[2], bottom: pads[6], left: pads[3], right: pads[7])
        let shape = [1, input.shape[1], input.shape[2] + pads[2] + pads[6], input.shape[3] + pads[3] + pads[7]]
        output(RuntimeValue(node: append(layer, inputs: [input.node]), shape: shape, layout: .channelsLast))
    }
}
