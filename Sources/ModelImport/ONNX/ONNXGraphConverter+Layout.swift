import NeuralNet

/// Moving runtime values between layouts, and constants into a runtime value's engine layout.
extension ONNXGraphConverter {
    /// The value with the engine item in ONNX axis order (layout `.onnx`), adding a re-view, an axis
    /// permutation or a feature permutation when needed.
    func inONNXOrder(_ value: RuntimeValue) throws -> RuntimeValue {
        switch value.layout {
        case .onnx:
            return value
        case .channelsLast:
            let (c, h, w) = (value.shape[1], value.shape[2], value.shape[3])
            let layer: any Layer = h * w == 1 || c == 1
                ? try Reshape(name: uniqueName("nchw"), targetShape: [c, h, w])
                : try Permute(name: uniqueName("nchw"), order: [2, 0, 1])
            return RuntimeValue(node: append(layer, inputs: [value.node]), shape: value.shape, layout: .onnx)
        case .permuted(let order):
            var inverse = [Int](repeating: 0, count: order.count)
            for (engine, onnx) in order.enumerated() { inverse[onnx] = engine }
            let layer = try FeaturePermutation(name: uniqueName("nchw_order"), order: inverse)
            return RuntimeValue(node: append(layer, inputs: [value.node]), shape: value.shape, layout: .onnx)
        }
    }

    /// A 4-D value held channels-last, as convolutions and pooling need it.
    func channelsLast(_ value: RuntimeValue) throws -> RuntimeValue {
        guard value.shape.count == 4 else {
            throw unsupported("expects a 4-D image tensor [N, C, H, W], got shape \(value.shape)")
        }
        if value.layout == .channelsLast { return value }
        let onnx = try inONNXOrder(value)
        let (c, h, w) = (onnx.shape[1], onnx.shape[2], onnx.shape[3])
        let layer: any Layer = h * w == 1 || c == 1
            ? try Reshape(name: uniqueName("nhwc"), targetShape: [h, w, c])
            : try Permute(name: uniqueName("nhwc"), order: [1, 2, 0])
        return RuntimeValue(node: append(layer, inputs: [onnx.node]), shape: value.shape, layout: .channelsLast)
    }

    /// Whether the engine's flat item order equals ONNX's (so any reshape is a re-view).
    func hasONNXFlatOrder(_ value: RuntimeValue) -> Bool {
        switch value.layout {
        case .onnx: true
        case .channelsLast: value.shape[1] == 1 || value.shape[2] * value.shape[3] == 1
        case .permuted(let order): order == Array(order.indices)
        }
    }

    /// A constant operand of an element-wise node, broadcast to `value`'s ONNX shape and laid out like
    /// its engine item: the scalar when uniform, `[last engine axis]` when only that axis varies (per
    /// channel), else the whole item. Nil when it does not broadcast or varies along the batch.
    enum EngineOperand {
        case scalar(Float)
        case lastAxis([Float])
        case item(Tensor)
    }

    func engineOperand(_ constant: ONNXConstant, for value: RuntimeValue) -> EngineOperand? {
        guard let shape = Broadcast.shape(constant.shape, value.shape), shape == value.shape,
              let full = constant.broadcast(to: value.shape) else { return nil }
        let itemValues: [Double]
        switch value.layout {
        case .onnx: itemValues = full.values
        case .channelsLast: itemValues = full.transposed([0, 2, 3, 1]).values
        case .permuted(let order): itemValues = order.map { full.values[$0] }
        }
        let item = itemValues.map { Float($0) }
        if let first = item.first, item.allSatisfy({ $0 == first }) { return .scalar(first) }
        let engineShape = value.engineShape
        let last = engineShape.last ?? 1
        let perChannel = Array(item.prefix(last))
        if item.count % last == 0, (0..<item.count).allSatisfy({ item[$0] == perChannel[$0 % last] }) {
            return .lastAxis(perChannel)
        }
        return .item(Tensor(shape: engineShape, scalars: item))
    }
}
