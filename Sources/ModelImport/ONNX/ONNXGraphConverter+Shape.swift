import NeuralNet

/// Shape operators: on constants they are folded (the `Shape → Gather → Unsqueeze → Concat → Reshape`
/// chains PyTorch exports for `x.view(x.size(0), -1)`); on run-time values they become re-views,
/// permutations, concatenations, croppings or resizes in the engine's layout.
extension ONNXGraphConverter {
    /// `Flatten`, `Reshape`, `Squeeze`, `Unsqueeze`: the ONNX target shape, then the cheapest engine form.
    func convertReshape() throws {
        let source = try value(input(0))
        let inputShape: [Int]
        switch source {
        case .constant(let c): inputShape = c.shape
        case .runtime(let r): inputShape = r.shape
        }
        let target = try reshapeTarget(inputShape)
        if case .constant(let c) = source {
            return output(.constant(ONNXConstant(shape: target, values: c.values, isInteger: c.isInteger)))
        }
        guard case .runtime(var input) = source else { return }
        guard target.first == 1 else { throw unsupported("reshaping \(inputShape) to \(target) mixes the batch axis with others") }
        if target == input.shape { return output(input) }
        // A channels-first flatten of a channels-last image: keep the NHWC order, remember the permutation.
        if target.count == 2, input.layout == .channelsLast, !hasONNXFlatOrder(input) {
            let (c, h, w) = (input.shape[1], input.shape[2], input.shape[3])
            var order = [Int](repeating: 0, count: c * h * w)
            for y in 0..<h { for x in 0..<w { for k in 0..<c { order[(y * w + x) * c + k] = k * h * w + y * w + x } } }
            let flat = append(Flatten(name: uniqueName()), inputs: [input.node])
            return output(RuntimeValue(node: flat, shape: target, layout: .permuted(order)))
        }
        if !hasONNXFlatOrder(input) { input = try inONNXOrder(input) }
        let layer = try Reshape(name: uniqueName(), targetShape: Array(target.dropFirst()))
        output(RuntimeValue(node: append(layer, inputs: [input.node]), shape: target, layout: .onnx))
    }

    /// The ONNX output shape of a reshaping node for an input of `shape`.
    private func reshapeTarget(_ shape: [Int]) throws -> [Int] {
        let rank = shape.count
        func normalized(_ axes: [Int], rank: Int) throws -> [Int] {
            let result = axes.map { $0 < 0 ? $0 + rank : $0 }
            guard result.allSatisfy({ (0..<rank).contains($0) }) else { throw unsupported("axes \(axes) out of range for rank \(rank)") }
            return result
        }
        switch current.opType {
        case "Flatten":
            let axis = try normalized([current.int("axis") ?? 1], rank: rank + 1)[0]
            return [shape[..<axis].reduce(1, *), shape[axis...].reduce(1, *)]
        case "Squeeze":
            let axes = try current.ints("axes") ?? optionalConstant(1, "axes")?.integers
            let squeezed = try axes.map { try normalized($0, rank: rank) } ?? shape.indices.filter { shape[$0] == 1 }
            guard squeezed.allSatisfy({ shape[$0] == 1 }) else { throw unsupported("squeezes an axis of \(shape) that is not 1") }
            return shape.indices.filter { !squeezed.contains($0) }.map { shape[$0] }
        case "Unsqueeze":
            let axes = try normalized(try current.ints("axes") ?? constant(1, "axes").integers, rank: rank + (current.ints("axes") ?? constant(1, "axes").integers).count)
            var result = shape
            guard Set(axes).count == axes.count else { throw unsupported("repeated axes") }
            for axis in axes.sorted() where axis <= result.count { result.insert(1, at: axis) }
            return result
        default:
            var target = try constant(1, "shape").integers
            guard target.allSatisfy({ (-1...(1 << 31)).contains($0) }) else { throw unsupported("shape \(target) is invalid") }
            let allowZero = current.int("allowzero") ?? 0 != 0
            for index in target.indices where target[index] == 0 && !allowZero {
                guard index < rank else { throw unsupported("shape \(target) copies a dimension the input lacks") }
                target[index] = shape[index]
            }
            guard let known = ONNXConstant.elementCount(target.filter { $0 != -1 }), let total = ONNXConstant.elementCount(shape) else {
                throw unsupported("cannot reshape \(shape) to \(target)")
            }
            if let unknown = target.firstIndex(of: -1) {
                guard known > 0, total % known == 0, target.filter({ $0 == -1 }).count == 1 else { throw unsupported("cannot reshape \(shape) to \(target)") }
                target[unknown] = total / known
            }
            guard ONNXConstant.elementCount(target) == total else { throw unsupported("cannot reshape \(shape) (\(total) values) to \(target)") }
            return target
        }
    }

    /// `Transpose`: folded on constants; on run time, a layout change (often free: an NHWC-input graph's
    /// `[0, 3, 1, 2]` is exactly the channels-last layout) or a ``Permute``.
    func convertTranspose() throws {
        let source = try value(input(0))
        if case .constant(let c) = source {
            let perm = current.ints("perm") ?? Array((0..<c.shape.count).reversed())
            guard perm.sorted() == Array(0..<c.shape.count) else { throw unsupported("perm \(perm) is not a permutation of the \(c.shape.count) axes") }
            return output(.constant(c.transposed(perm)))
        }
        var input = try runtime(0)
        let rank = input.shape.count
        let perm = current.ints("perm") ?? Array((0..<rank).reversed())
        guard perm.sorted() == Array(0..<rank), perm.first == 0 else { throw unsupported("perm \(perm) moves the batch axis") }
        if case .permuted = input.layout { input = try inONNXOrder(input) }
        let outputShape = perm.map { input.shape[$0] }
        // ONNX axes (1-based, batch excluded) held by each engine axis, before and after.
        let held: [Int] = input.layout == .channelsLast ? [2, 3, 1] : Array(1..<rank)
        func order(for targetAxes: [Int]) -> [Int] { targetAxes.map { held.firstIndex(of: perm[$0])! } }
        let candidates: [(Layout, [Int])] = (rank == 4 ? [(Layout.channelsLast, order(for: [2, 3, 1]))] : []) + [(.onnx, order(for: Array(1..<rank)))]
        if let free = candidates.first(where: { $0.1 == Array(0..<(rank - 1)) }) {
            return output(RuntimeValue(node: input.node, shape: outputShape, layout: free.0))
        }
        let (layout, axes) = candidates[0]
        let layer = try Permute(name: uniqueName(), order: axes)
        output(RuntimeValue(node: append(layer, inputs: [input.node]), shape: outputShape, layout: layout))
    }

    /// `Concat`: folded on constants; on run time a ``Concatenate`` along the engine axis (constant
    /// operands, e.g. a fixed speed input, become ``BatchConstant``s).
    func convertConcat() throws {
        let sources = try current.inputs.filter { !$0.isEmpty }.map { try value($0) }
        guard !sources.isEmpty else { throw unsupported("has no input") }
        let constants = sources.compactMap { if case .constant(let c) = $0 { return c } else { return nil } }
        let rank = constants.first?.shape.count ?? sources.compactMap { if case .runtime(let r) = $0 { return r.shape.count } else { return nil } }[0]
        guard let rawAxis = current.int("axis") else { throw unsupported("axis is required") }
        let axis = rawAxis < 0 ? rawAxis + rank : rawAxis
        guard (0..<rank).contains(axis) else { throw unsupported("axis \(rawAxis) out of range for rank \(rank)") }
        if constants.count == sources.count {
            let shapes = constants.map(\.shape)
            func others(_ shape: [Int]) -> [Int] { shape.enumerated().filter { $0.offset != axis }.map(\.element) }
            guard shapes.allSatisfy({ $0.count == rank && others($0) == others(shapes[0]) }) else { throw unsupported("inputs of shapes \(shapes) differ outside axis \(axis)") }
            let outer = shapes[0][..<axis].reduce(1, *)
            var values: [Double] = []
            for o in 0..<outer {
                for c in constants {
                    let run = c.shape[axis...].reduce(1, *)
                    values += c.values[(o * run)..<((o + 1) * run)]
                }
            }
            var shape = shapes[0]
            shape[axis] = shapes.reduce(0) { $0 + $1[axis] }
            return output(.constant(ONNXConstant(shape: shape, values: values, isInteger: constants.allSatisfy(\.isInteger))))
        }
        guard axis >= 1 else { throw unsupported("concatenation along the batch axis is not supported") }
        var inputs = try sources.indices.map { try runtime($0) }
        let allChannelsLast = inputs.allSatisfy { $0.layout == .channelsLast }
        var engineAxis = axis - 1
        if allChannelsLast {
            engineAxis = [1: 2, 2: 0, 3: 1][axis]!
        } else if rank == 2, inputs.contains(where: { if case .permuted = $0.layout { true } else { false } }) {
            // Feature vectors: concatenate as held and compose the feature orders.
            var order: [Int] = [], offset = 0
            for input in inputs {
                if case .permuted(let inner) = input.layout { order += inner.map { $0 + offset } } else { order += (0..<input.shape[1]).map { $0 + offset } }
                offset += input.shape[1]
            }
            let layer = Concatenate(name: uniqueName(), axis: -1)
            return output(RuntimeValue(node: append(layer, inputs: inputs.map(\.node)), shape: [1, offset], layout: .permuted(order)))
        } else {
            inputs = try inputs.map { try inONNXOrder($0) }
        }
        var shape = inputs[0].shape
        shape[axis] = inputs.reduce(0) { $0 + $1.shape[axis] }
        let layer = Concatenate(name: uniqueName(), axis: engineAxis)
        output(RuntimeValue(node: append(layer, inputs: inputs.map(\.node)), shape: shape, layout: allChannelsLast ? .channelsLast : .onnx))
    }
}
