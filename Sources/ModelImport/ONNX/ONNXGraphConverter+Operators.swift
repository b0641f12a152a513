import NeuralNet

/// The operator table, and the operators that only pass values through or compute constants.
extension ONNXGraphConverter {
    /// Converts ``current`` (one node; nodes arrive in the topological order ONNX requires).
    func convert() throws {
        guard current.domain.isEmpty || current.domain == "ai.onnx" else {
            throw ModelImportError.unsupportedOperator(node: current.name, op: "\(current.domain).\(current.opType)")
        }
        switch current.opType {
        case "Conv": try convertConv()
        case "ConvTranspose": try convertConvTranspose()
        case "Gemm", "MatMul": try convertDense()
        case "MaxPool", "AveragePool": try convertPool()
        case "GlobalAveragePool", "GlobalMaxPool": try convertGlobalPool()
        case "Pad": try convertPad()
        case "BatchNormalization": try convertBatchNormalization()
        case "Relu", "LeakyRelu", "Elu", "Selu", "Sigmoid", "Tanh", "Softplus", "HardSigmoid", "Clip": try convertActivation()
        case "PRelu": try convertPRelu()
        case "Softmax": try convertSoftmax()
        case "Add", "Sub", "Mul", "Div": try convertArithmetic()
        case "Flatten", "Reshape", "Squeeze", "Unsqueeze": try convertReshape()
        case "Transpose": try convertTranspose()
        case "Concat": try convertConcat()
        case "Slice": try convertSlice()
        case "Resize", "Upsample": try convertResize()
        case "Identity", "Dropout": output(try value(input(0)))
        case "Cast": try convertCast()
        case "Constant": try convertConstant()
        case "Shape": try convertShape()
        case "Gather": try convertGather()
        case "ConstantOfShape":
            let shape = try constant(0, "shape").integers
            guard ONNXConstant.elementCount(shape) != nil else { throw unsupported("shape \(shape) is invalid or too large") }
            var fill = ONNXConstant(scalar: 0)
            if case .tensor(let value)? = current.attributes["value"] { fill = value }
            output(.constant(ONNXConstant(shape: shape, values: [Double](repeating: fill.values.first ?? 0, count: shape.reduce(1, *)), isInteger: fill.isInteger)))
        default:
            throw ModelImportError.unsupportedOperator(node: current.name, op: current.opType)
        }
    }

    private func convertConstant() throws {
        if case .tensor(let value)? = current.attributes["value"] { return output(.constant(value)) }
        if let value = current.float("value_float") { return output(.constant(ONNXConstant(scalar: value))) }
        if let value = current.int("value_int") { return output(.constant(ONNXConstant(scalar: Double(value), isInteger: true))) }
        if let values = current.floats("value_floats") { return output(.constant(ONNXConstant(shape: [values.count], values: values, isInteger: false))) }
        if let values = current.ints("value_ints") { return output(.constant(ONNXConstant(integers: values))) }
        throw unsupported("only tensor, float and int values are supported")
    }

    /// `Cast`: constants change element type (float → int truncates); run-time values stay Float32.
    private func convertCast() throws {
        let to = current.int("to") ?? 1
        let toInteger = [2, 3, 4, 5, 6, 7, 9, 12, 13].contains(to)
        switch try value(input(0)) {
        case .constant(let c):
            output(.constant(ONNXConstant(shape: c.shape, values: toInteger ? c.values.map { $0.rounded(.towardZero) } : c.values, isInteger: toInteger)))
        case .runtime(let r):
            guard [1, 10, 11, 16].contains(to) else { throw unsupported("casting a run-time tensor to type \(to) (not floating point) is not supported") }
            output(r)
        }
    }

    /// `Shape` (with opset-15 `start`/`end`): the ONNX shape, batch counted as 1.
    private func convertShape() throws {
        let shape: [Int]
        switch try value(input(0)) {
        case .constant(let c): shape = c.shape
        case .runtime(let r): shape = r.shape
        }
        func clamp(_ index: Int) -> Int { min(max(index < 0 ? index + shape.count : index, 0), shape.count) }
        let start = clamp(current.int("start") ?? 0), end = clamp(current.int("end") ?? shape.count)
        output(.constant(ONNXConstant(integers: start < end ? Array(shape[start..<end]) : [])))
    }

    /// `Gather` on constants (shape arithmetic).
    private func convertGather() throws {
        let data = try constant(0, "data"), indices = try constant(1, "indices")
        let rank = data.shape.count
        guard rank >= 1 else { throw unsupported("gather from a scalar") }
        let axis = (current.int("axis") ?? 0) < 0 ? (current.int("axis") ?? 0) + rank : current.int("axis") ?? 0
        guard (0..<rank).contains(axis) else { throw unsupported("axis out of range") }
        guard ONNXConstant.elementCount(data.shape[..<axis] + indices.shape + data.shape[(axis + 1)...]) != nil else { throw unsupported("result too large") }
        let outer = data.shape[..<axis].reduce(1, *), inner = data.shape[(axis + 1)...].reduce(1, *), extent = data.shape[axis]
        var values: [Double] = []
        for o in 0..<outer {
            for raw in indices.integers {
                let index = raw < 0 ? raw + extent : raw
                guard (0..<extent).contains(index) else { throw unsupported("index \(raw) out of range for extent \(extent)") }
                let base = (o * extent + index) * inner
                values += data.values[base..<(base + inner)]
            }
        }
        let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
        output(.constant(ONNXConstant(shape: shape, values: values, isInteger: data.isInteger)))
    }

    /// `Slice` (opset 10+: starts/ends/axes/steps inputs; opset 9: attributes): folded on constants;
    /// on a run-time image, a crop of the height/width axes with step 1 (``Cropping2D``).
    private func convertSlice() throws {
        let source = try value(input(0))
        let shape: [Int]
        switch source {
        case .constant(let c): shape = c.shape
        case .runtime(let r): shape = r.shape
        }
        let starts = try current.ints("starts") ?? constant(1, "starts").integers
        let ends = try current.ints("ends") ?? constant(2, "ends").integers
        let axes = try (current.ints("axes") ?? optionalConstant(3, "axes")?.integers ?? Array(0..<starts.count)).map { $0 < 0 ? $0 + shape.count : $0 }
        let steps = try optionalConstant(4, "steps")?.integers ?? [Int](repeating: 1, count: starts.count)
        guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else {
            throw unsupported("starts, ends, axes and steps differ in length")
        }
        var begin = [Int](repeating: 0, count: shape.count), end = shape, step = [Int](repeating: 1, count: shape.count)
        for (k, axis) in axes.enumerated() {
            guard shape.indices.contains(axis), steps[k] != 0 else { throw unsupported("axis \(axis) or step \(steps[k]) invalid for shape \(shape)") }
            let extent = shape[axis]
            func clampIndex(_ i: Int, _ low: Int, _ high: Int) -> Int { min(max(i < 0 ? i + extent : i, low), high) }
            step[axis] = steps[k]
            if steps[k] > 0 {
                (begin[axis], end[axis]) = (clampIndex(starts[k], 0, extent), clampIndex(ends[k], 0, extent))
            } else {
                (begin[axis], end[axis]) = (clampIndex(starts[k], 0, extent - 1), clampIndex(ends[k], -1, extent - 1))
            }
        }
        let ranges = shape.indices.map { Array(stride(from: begin[$0], to: end[$0], by: step[$0])) }
        if case .constant(let c) = source {
            var values: [Double] = []
            var index = [Int](repeating: 0, count: shape.count)
            let outShape = ranges.map(\.count)
            if outShape.allSatisfy({ $0 > 0 }) {
                repeat {
                    values.append(c.element(zip(index, ranges).map { $1[$0] }))
                    var axis = shape.count - 1
                    while axis >= 0 {
                        index[axis] += 1
                        if index[axis] < outShape[axis] { break }
                        index[axis] = 0
                        axis -= 1
                    }
                    if axis < 0 { break }
                } while true
            }
            return output(.constant(ONNXConstant(shape: outShape, values: values, isInteger: c.isInteger)))
        }
        let input = try runtime(0)
        guard shape.count == 4, step.allSatisfy({ $0 == 1 }), begin[0] == 0, end[0] == shape[0], begin[1] == 0, end[1] == shape[1],
              ranges.allSatisfy({ !$0.isEmpty }) else {
            throw unsupported("slicing \(shape) along axes \(axes): only step-1 crops of an image's height and width are supported")
        }
        let image = try channelsLast(input)
        let layer = try Cropping2D(name: uniqueName(), top: begin[2], bottom: shape[2] - end[2], left: begin[3], right: shape[3] - end[3])
        output(RuntimeValue(node: append(layer, inputs: [image.node]), shape: ranges.map(\.count), layout: .channelsLast))
    }

    /// `Resize`/`Upsample` of an image: nearest with integer factors (PyTorch `nn.Upsample`, `asymmetric`
    /// + `floor`) → ``UpSampling2D``; linear with half-pixel or align-corners coordinates → ``Resizing``.
    private func convertResize() throws {
        let input = try channelsLast(try runtime(0))
        let (h, w) = (input.shape[2], input.shape[3])
        var size: (Int, Int)
        let opsetInputScales = current.opType == "Upsample" ? 1 : (opset >= 11 ? 2 : 1)
        if current.opType == "Resize", opset >= 11, let sizes = try optionalConstant(3, "sizes"), sizes.count == 4 {
            size = (sizes.integers[2], sizes.integers[3])
            guard (1...(1 << 14)).contains(size.0), (1...(1 << 14)).contains(size.1) else {
                throw unsupported("sizes \(sizes.integers) are invalid")
            }
        } else if let scales = try current.floats("scales").map({ ONNXConstant(shape: [$0.count], values: $0, isInteger: false) }) ?? optionalConstant(opsetInputScales, "scales"),
                  scales.count == 4 {
            guard scales.values[0] == 1, scales.values[1] == 1, scales.values[2...].allSatisfy({ $0 > 0 && $0 <= 64 }) else {
                throw unsupported("scales \(scales.values): only spatial scales in (0, 64] are supported")
            }
            size = (Int((Double(h) * scales.values[2]).rounded(.down)), Int((Double(w) * scales.values[3]).rounded(.down)))
        } else {
            throw unsupported("needs constant 4-D scales or sizes")
        }
        let mode = current.string("mode") ?? "nearest"
        let coordinates = current.string("coordinate_transformation_mode") ?? (current.opType == "Upsample" ? "asymmetric" : "half_pixel")
        let layer: any Layer
        switch mode {
        case "nearest" where size.0 % h == 0 && size.1 % w == 0 && coordinates == "asymmetric" && (current.string("nearest_mode") ?? "round_prefer_floor") != "ceil":
            layer = try UpSampling2D(name: uniqueName(), size: (size.0 / h, size.1 / w))
        case "linear", "bilinear":
            let method: NeuralNet.ResizeMethod
            switch coordinates {
            case "half_pixel": method = .bilinearHalfPixel
            // PyTorch's variant maps an output of length 1 to source coordinate 0 instead.
            case "pytorch_half_pixel" where size.0 > 1 && size.1 > 1: method = .bilinearHalfPixel
            case "align_corners": method = .bilinearAlignCorners
            case "asymmetric": method = .bilinearLegacy
            default: throw unsupported("linear resize with coordinate_transformation_mode \(coordinates) is not supported")
            }
            layer = try Resizing(name: uniqueName(), height: size.0, width: size.1, method: method)
        default:
            throw unsupported("mode \(mode) with coordinate_transformation_mode \(coordinates) to \(size.0)x\(size.1) is not supported")
        }
        output(RuntimeValue(node: append(layer, inputs: [input.node]), shape: [1, input.shape[1], size.0, size.1], layout: .channelsLast))
    }
}
