import NeuralNet

/// Activations, arithmetic with broadcast constants, and batch normalisation.
extension ONNXGraphConverter {
    /// Relu, LeakyRelu, Elu, Selu, Sigmoid, Tanh, Softplus, HardSigmoid, Clip: fused into the producing
    /// Conv/Gemm when that output is read only here, else an ``Activation``/``ReLU`` layer.
    func convertActivation() throws {
        let kind: ActivationKind
        switch current.opType {
        case "Relu": kind = .relu
        case "LeakyRelu": kind = .leakyReLU(alpha: Float(current.float("alpha") ?? 0.01))
        case "Elu": kind = .elu(alpha: Float(current.float("alpha") ?? 1))
        case "Selu":
            let alpha = current.float("alpha") ?? 1.67326319217681884765625, gamma = current.float("gamma") ?? 1.05070102214813232421875
            guard abs(alpha - 1.6732632) < 1e-6, abs(gamma - 1.0507010) < 1e-6 else { throw unsupported("alpha \(alpha), gamma \(gamma) differ from SELU's constants") }
            kind = .selu
        case "Sigmoid": kind = .sigmoid
        case "Tanh": kind = .tanh
        case "Softplus": kind = .softplus
        case "HardSigmoid":
            let alpha = current.float("alpha") ?? 0.2, beta = current.float("beta") ?? 0.5
            guard beta == 0.5 else { throw unsupported("beta \(beta): only beta 0.5 is supported") }
            kind = .hardSigmoid(slope: Float(alpha))
        case "Clip":
            try convertClip()
            return
        default:
            throw ModelImportError.unsupportedOperator(node: current.name, op: current.opType)
        }
        try applyActivation(kind)
    }

    private func applyActivation(_ kind: ActivationKind) throws {
        let input = try runtime(0)
        if isSingleUse(0), let entry = fusable[input.node], entry.activation == .linear, kind != .softmax {
            try updateFused(input.node) { $0.activation = kind }
            output(input)
            return
        }
        let layer = try Activation(name: uniqueName(), kind)
        output(RuntimeValue(node: append(layer, inputs: [input.node]), shape: input.shape, layout: input.layout))
    }

    /// `Clip(min, max)` (attributes before opset 11, inputs after): `min = 0` is a ReLU with a cap.
    private func convertClip() throws {
        let low = try current.float("min") ?? optionalConstant(1, "min")?.values.first ?? -.infinity
        let high = try current.float("max") ?? optionalConstant(2, "max")?.values.first ?? .infinity
        guard low == 0 else { throw unsupported("min \(low): only Clip(min=0, max) (ReLU, ReLU6) is supported") }
        if high == 6 { return try applyActivation(.relu6) }
        if high == .infinity { return try applyActivation(.relu) }
        let input = try runtime(0)
        let layer = try ReLU(name: uniqueName(), maxValue: Float(high))
        output(RuntimeValue(node: append(layer, inputs: [input.node]), shape: input.shape, layout: input.layout))
    }

    /// `Softmax` over the last axis (opset 13+: `axis`, default −1; before: the 2-D flatten at `axis`, default 1).
    func convertSoftmax() throws {
        let input = try inONNXOrder(try runtime(0))
        let rank = input.shape.count
        let defaultAxis = current.int("axis") ?? (opset >= 13 ? -1 : 1)
        let axis = defaultAxis < 0 ? defaultAxis + rank : defaultAxis
        guard axis == rank - 1 else { throw unsupported("softmax over axis \(axis) of a rank-\(rank) tensor: only the last axis is supported") }
        let layer = try Activation(name: uniqueName(), .softmax)
        output(RuntimeValue(node: append(layer, inputs: [input.node]), shape: input.shape, layout: .onnx))
    }

    /// `PRelu(x, slope)`: the slope broadcast to the engine item.
    func convertPRelu() throws {
        let input = try runtime(0)
        let slope = try constant(1, "slope")
        let alpha: Tensor
        switch engineOperand(slope, for: input) {
        case .scalar(let value)?: alpha = Tensor(shape: input.engineShape.map { _ in 1 }, scalars: [value])
        case .lastAxis(let values)?: alpha = Tensor(shape: input.engineShape.dropLast().map { _ in 1 } + [values.count], scalars: values)
        case .item(let tensor)?: alpha = tensor
        case nil: throw unsupported("slope of shape \(slope.shape) does not broadcast to the input \(input.shape)")
        }
        output(RuntimeValue(node: append(PReLU(name: uniqueName(), alpha: alpha), inputs: [input.node]), shape: input.shape, layout: input.layout))
    }

    /// `BatchNormalization` (inference) along ONNX axis 1, the engine's last axis.
    func convertBatchNormalization() throws {
        let input = try runtime(0)
        let value = input.shape.count == 4 ? try channelsLast(input) : try inONNXOrder(input)
        guard value.shape.count >= 2 else { throw unsupported("input of shape \(value.shape) has no channel axis") }
        if value.shape.count != 4 && value.shape.count != 2 { throw unsupported("only [N, C] and [N, C, H, W] inputs are supported") }
        let gamma = try constant(1, "scale"), beta = try constant(2, "bias"), mean = try constant(3, "mean"), variance = try constant(4, "var")
        let layer = try BatchNormalization(name: uniqueName(), gamma: gamma.tensor.reshaped(to: [gamma.count]), beta: beta.tensor.reshaped(to: [beta.count]),
                                           movingMean: mean.tensor.reshaped(to: [mean.count]), movingVariance: variance.tensor.reshaped(to: [variance.count]),
                                           epsilon: Float(current.float("epsilon") ?? 1e-5), axis: -1)
        output(RuntimeValue(node: append(layer, inputs: [value.node]), shape: value.shape, layout: value.layout))
    }

    /// `Add`, `Sub`, `Mul`, `Div`: folded when both operands are constants; a bias folded into the
    /// producing MatMul/Gemm/Conv; an affine ``Rescaling`` against a scalar or per-channel constant;
    /// else an element-wise merge with equal shapes (a constant operand becomes a ``BatchConstant``).
    func convertArithmetic() throws {
        let op = current.opType
        let left = try value(input(0)), right = try value(input(1))
        if case .constant(let a) = left, case .constant(let b) = right {
            let integer = a.isInteger && b.isInteger
            let result: ONNXConstant? = switch op {
            case "Add": ONNXConstant.combine(a, b, isInteger: integer, +)
            case "Sub": ONNXConstant.combine(a, b, isInteger: integer, -)
            case "Mul": ONNXConstant.combine(a, b, isInteger: integer, *)
            default: ONNXConstant.combine(a, b, isInteger: integer) { integer ? ($0 / $1).rounded(.towardZero) : $0 / $1 }
            }
            guard let result else { throw unsupported("shapes \(a.shape) and \(b.shape) do not broadcast") }
            return output(.constant(result))
        }
        if case .runtime(let x) = left, case .constant(let c) = right, let operand = engineOperand(c, for: x) {
            return try affine(x, operand, constantOnLeft: false, index: 0)
        }
        if case .constant(let c) = left, case .runtime(let x) = right, let operand = engineOperand(c, for: x) {
            return try affine(x, operand, constantOnLeft: true, index: 1)
        }
        var a = try runtime(0), b = try runtime(1)
        if a.layout != b.layout { (a, b) = (try inONNXOrder(a), try inONNXOrder(b)) }
        guard a.shape == b.shape else { throw unsupported("run-time operands of shapes \(a.shape) and \(b.shape): only equal shapes are supported") }
        let layer: any Layer
        switch op {
        case "Add": layer = Add(name: uniqueName())
        case "Sub": layer = ElementwiseMerge(name: uniqueName(), operation: .subtract)
        case "Mul": layer = ElementwiseMerge(name: uniqueName(), operation: .multiply)
        default: throw unsupported("division by a run-time tensor is not supported")
        }
        output(RuntimeValue(node: append(layer, inputs: [a.node, b.node]), shape: a.shape, layout: a.layout))
    }

    /// `x ∘ c` (or `c ∘ x`) with a scalar, per-channel or item-shaped constant.
    private func affine(_ x: RuntimeValue, _ operand: EngineOperand, constantOnLeft: Bool, index: Int) throws {
        let op = current.opType
        // A per-output bias right after a layer that has none: fold it into that layer.
        if op == "Add", isSingleUse(index), let entry = fusable[x.node], entry.bias == nil, entry.activation == .linear {
            let last = x.engineShape.last ?? 1
            let bias: [Float]? = switch operand {
            case .scalar(let value): [Float](repeating: value, count: last)
            case .lastAxis(let values): values
            case .item: nil
            }
            if let bias {
                try updateFused(x.node) { $0.bias = bias }
                return output(x)
            }
        }
        var scale: [Float] = [1], offset: [Float] = [0]
        switch (op, operand, constantOnLeft) {
        case ("Add", .scalar(let v), _): offset = [v]
        case ("Add", .lastAxis(let v), _): offset = v
        case ("Sub", .scalar(let v), false): offset = [-v]
        case ("Sub", .lastAxis(let v), false): offset = v.map { -$0 }
        case ("Sub", .scalar(let v), true): (scale, offset) = ([-1], [v])
        case ("Sub", .lastAxis(let v), true): (scale, offset) = ([-1], v)
        case ("Mul", .scalar(let v), _): scale = [v]
        case ("Mul", .lastAxis(let v), _): scale = v
        case ("Div", .scalar(let v), false): scale = [1 / v]
        case ("Div", .lastAxis(let v), false): scale = v.map { 1 / $0 }
        case (_, .item(let tensor), _) where op != "Div":
            let constant = try BatchConstant(name: uniqueName("constant"), value: tensor)
            let constantNode = append(constant, inputs: [batchSource])
            let inputs = constantOnLeft ? [constantNode, x.node] : [x.node, constantNode]
            let layer: any Layer = switch op {
            case "Add": Add(name: uniqueName())
            case "Sub": ElementwiseMerge(name: uniqueName(), operation: .subtract)
            default: ElementwiseMerge(name: uniqueName(), operation: .multiply)
            }
            return output(RuntimeValue(node: append(layer, inputs: inputs), shape: x.shape, layout: x.layout))
        default:
            throw unsupported(constantOnLeft ? "a constant divided by a run-time tensor is not supported" : "division by a constant that varies within a channel is not supported")
        }
        // `x / 127.5 - 1` is two ONNX nodes: one affine layer, as Keras' resolved Lambda.
        if isSingleUse(index), let previous = rescalings[x.node], let combined = Self.compose(previous, (scale, offset)) {
            let layer = try Rescaling(name: x.node, scale: combined.scale, offset: combined.offset)
            try replaceLayer(x.node, with: layer)
            rescalings[x.node] = combined
            return output(x)
        }
        let layer = try Rescaling(name: uniqueName(), scale: scale, offset: offset)
        rescalings[layer.name] = (scale, offset)
        output(RuntimeValue(node: append(layer, inputs: [x.node]), shape: x.shape, layout: x.layout))
    }

    /// `(x·s₁ + o₁)·s₂ + o₂ = x·(s₁s₂) + (o₁s₂ + o₂)` when every vector is a scalar or of one length.
    static func compose(_ first: (scale: [Float], offset: [Float]), _ second: (scale: [Float], offset: [Float])) -> (scale: [Float], offset: [Float])? {
        let lengths = Set([first.scale, first.offset, second.scale, second.offset].map(\.count)).subtracting([1])
        guard lengths.count <= 1 else { return nil }
        let n = lengths.first ?? 1
        func at(_ v: [Float], _ i: Int) -> Float { v.count == 1 ? v[0] : v[i] }
        return ((0..<n).map { at(first.scale, $0) * at(second.scale, $0) },
                (0..<n).map { at(first.offset, $0) * at(second.scale, $0) + at(second.offset, $0) })
    }
}
