import Foundation

/// Evaluates a ``TensorExpression`` (a resolved Lambda body such as `(x - K.min(x)) / (K.max(x) - K.min(x))`)
/// forward, and its input gradient backward by reverse-mode differentiation with TensorFlow's rules.
///
/// Layout: input `[N, ...]` (NHWC images `[N, H, W, C]`), Float32; the output shape follows the
/// expression (broadcasting, reductions, channel mixing). Equal sub-expressions are evaluated once
/// (`K.min(x)` written twice is one node), so gradients of shared nodes accumulate correctly.
/// Forward keeps every node's value for backward. Gradient rules: TensorFlow `math_grad.py`
/// (`_MinOrMaxGrad` splits between ties, `_MaximumMinimumGrad` sends ties to the left operand,
/// `RealDiv`: `dy/b`, `−dy·(a/b)/b`) and `nn_grad.py` (ReLU gated by `y > 0`). Backprop modifiers do
/// not apply: these are preprocessing steps, not the model's rectifiers.
public final class TensorExpressionLayer: UnaryLayer {
    public let name: String
    public let expression: TensorExpression
    public var typeName: String { "Lambda" }
    public var parameterCount: Int { 0 }

    /// One distinct sub-expression; operands precede their users, the last node is the result.
    private struct Node {
        var expression: TensorExpression
        var operands: [Int]
    }

    private let nodes: [Node]
    private var values: [Tensor] = []

    public init(name: String = "lambda", expression: TensorExpression) throws {
        guard expression.usesInput else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "the expression \(expression) does not use its input")
        }
        self.name = name
        self.expression = expression
        var nodes: [Node] = []
        var indices: [TensorExpression: Int] = [:]
        func add(_ expression: TensorExpression) -> Int {
            if let index = indices[expression] { return index }
            let operands: [Int]
            switch expression {
            case .input, .constant: operands = []
            case .unary(_, let operand), .reduce(_, let operand, _, _), .channelMix(let operand, _, _), .expandDimensions(let operand, _),
                 .rgbToHSV(let operand), .reverse(let operand, _):
                operands = [add(operand)]
            case .binary(_, let left, let right): operands = [add(left), add(right)]
            case .concatenate(let parts, _): operands = parts.map(add)
            }
            nodes.append(Node(expression: expression, operands: operands))
            indices[expression] = nodes.count - 1
            return nodes.count - 1
        }
        _ = add(expression)
        self.nodes = nodes
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        switch expression.shape(input: [-1] + shape) {
        case .failure(let error):
            throw NeuralNetError.shapeMismatch(layer: name, detail: "\(expression) on \(describe(shape)): \(error.reason)")
        case .success(let result):
            guard result.first == -1 else {
                throw NeuralNetError.shapeMismatch(layer: name, detail: "\(expression) on \(describe(shape)) does not keep the batch axis")
            }
            return Array(result.dropFirst())
        }
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition((try? outputShape(forInputShape: Array(input.shape.dropFirst()))) != nil, "\(name): bad input \(input.shape)")
        values = []
        values.reserveCapacity(nodes.count)
        for node in nodes {
            let operands = node.operands.map { values[$0] }
            switch node.expression {
            case .input: values.append(input)
            case .constant(let scalars, let shape): values.append(Tensor(shape: shape, scalars: scalars))
            case .unary(let function, _): values.append(Self.apply(function, operands[0]))
            case .binary(let op, _, _): values.append(Self.apply(op, operands[0], operands[1]))
            case .reduce(let reduction, _, let axes, let keep): values.append(Self.reduce(reduction, operands[0], axes: axes, keep: keep))
            case .channelMix(_, let matrix, let inputs): values.append(Self.mix(operands[0], matrix: matrix, inputs: inputs, transposed: false))
            case .concatenate(_, let axis): values.append(Self.concatenate(operands, axis: axis))
            case .rgbToHSV: values.append(Tensor(shape: operands[0].shape, scalars: HSVConversion.forward(operands[0].scalars)))
            case .reverse(_, let axis): values.append(Tensor(shape: operands[0].shape, scalars: Self.reverse(operands[0].scalars, shape: operands[0].shape, axis: axis)))
            case .expandDimensions(_, let axis):
                var shape = operands[0].shape
                shape.insert(1, at: axis < 0 ? axis + shape.count + 1 : axis)
                values.append(operands[0].reshaped(to: shape))
            }
        }
        return values[values.count - 1]
    }

    public func releaseInputs() { values = [] }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let output = values.last else { preconditionFailure("\(name): backward before forward") }
        precondition(outputGradient.shape == output.shape, "\(name): gradient \(outputGradient.shape) for output \(output.shape)")
        var gradients = [[Float]?](repeating: nil, count: nodes.count)
        gradients[nodes.count - 1] = outputGradient.scalars
        func accumulate(_ index: Int, _ gradient: [Float]) {
            if gradients[index] == nil { gradients[index] = gradient; return }
            for k in gradient.indices { gradients[index]![k] += gradient[k] }
        }
        var inputGradient: [Float]?
        for index in stride(from: nodes.count - 1, through: 0, by: -1) {
            guard let g = gradients[index] else { continue }
            let node = nodes[index], y = values[index]
            switch node.expression {
            case .input:
                inputGradient = g
            case .constant:
                break
            case .unary(let function, _):
                accumulate(node.operands[0], Self.gradient(function, x: values[node.operands[0]].scalars, y: y.scalars, dy: g))
            case .binary(let op, _, _):
                let a = values[node.operands[0]], b = values[node.operands[1]]
                let (ga, gb) = Self.gradients(op, a, b, outputShape: y.shape, dy: g)
                accumulate(node.operands[0], Broadcast.unbroadcast(ga, from: y.shape, to: a.shape))
                accumulate(node.operands[1], Broadcast.unbroadcast(gb, from: y.shape, to: b.shape))
            case .reduce(let reduction, _, let axes, _):
                accumulate(node.operands[0], Self.reductionGradient(reduction, values[node.operands[0]], y.scalars, axes: axes, dy: g))
            case .channelMix(_, let matrix, let inputs):
                let dy = Tensor(shape: y.shape, scalars: g)
                accumulate(node.operands[0], Self.mix(dy, matrix: matrix, inputs: inputs, transposed: true).scalars)
            case .concatenate(_, let axis):
                let parts = Self.split(Tensor(shape: y.shape, scalars: g), like: node.operands.map { values[$0] }, axis: axis)
                for (operand, part) in zip(node.operands, parts) { accumulate(operand, part) }
            case .expandDimensions:
                accumulate(node.operands[0], g)
            case .rgbToHSV:
                accumulate(node.operands[0], HSVConversion.backward(x: values[node.operands[0]].scalars, y: y.scalars, dy: g))
            case .reverse(_, let axis):
                accumulate(node.operands[0], Self.reverse(g, shape: y.shape, axis: axis))
            }
        }
        let inputShape = values[nodes.firstIndex { $0.expression == .input }!].shape
        return Tensor(shape: inputShape, scalars: inputGradient ?? [Float](repeating: 0, count: inputShape.reduce(1, *)))
    }

    // MARK: Element-wise

    static func apply(_ function: TensorFunction, _ x: Tensor) -> Tensor {
        let f: (Float) -> Float
        switch function {
        case .negative: f = { -$0 }
        case .relu: f = { max($0, 0) }
        case .tanh: f = { Foundation.tanh($0) }
        case .sigmoid: f = { 1 / (1 + Foundation.exp(-$0)) }
        case .sqrt: f = { $0.squareRoot() }
        case .square: f = { $0 * $0 }
        case .abs: f = { Swift.abs($0) }
        case .exp: f = { Foundation.exp($0) }
        case .log: f = { Foundation.log($0) }
        }
        return Tensor(shape: x.shape, scalars: x.scalars.map(f))
    }

    static func gradient(_ function: TensorFunction, x: [Float], y: [Float], dy: [Float]) -> [Float] {
        (0..<dy.count).map { k in
            switch function {
            case .negative: -dy[k]
            case .relu: y[k] > 0 ? dy[k] : 0
            case .tanh: dy[k] * (1 - y[k] * y[k])
            case .sigmoid: dy[k] * y[k] * (1 - y[k])
            case .sqrt: dy[k] * 0.5 / y[k]
            case .square: dy[k] * (2 * x[k])
            case .abs: x[k] > 0 ? dy[k] : x[k] < 0 ? -dy[k] : 0
            case .exp: dy[k] * y[k]
            case .log: dy[k] * (1 / x[k])
            }
        }
    }

    static func apply(_ op: TensorOperator, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = Broadcast.shape(a.shape, b.shape)!
        let f: (Float, Float) -> Float
        switch op {
        case .add: f = (+)
        case .subtract: f = (-)
        case .multiply: f = (*)
        case .divide: f = (/)
        case .maximum: f = { $0 >= $1 ? $0 : $1 }
        case .minimum: f = { $0 <= $1 ? $0 : $1 }
        }
        var out = [Float](repeating: 0, count: shape.reduce(1, *))
        if a.shape == shape, b.shape == shape {
            for k in out.indices { out[k] = f(a.scalars[k], b.scalars[k]) }
        } else {
            Broadcast.walk(shape, [Broadcast.strides(of: a.shape, in: shape), Broadcast.strides(of: b.shape, in: shape)]) { k, offsets in
                out[k] = f(a.scalars[offsets[0]], b.scalars[offsets[1]])
            }
        }
        return Tensor(shape: shape, scalars: out)
    }

    /// Gradients of both operands at the output shape (to be summed over broadcast axes).
    static func gradients(_ op: TensorOperator, _ a: Tensor, _ b: Tensor, outputShape: [Int], dy: [Float]) -> ([Float], [Float]) {
        var ga = [Float](repeating: 0, count: dy.count), gb = ga
        Broadcast.walk(outputShape, [Broadcast.strides(of: a.shape, in: outputShape), Broadcast.strides(of: b.shape, in: outputShape)]) { k, offsets in
            let x = a.scalars[offsets[0]], y = b.scalars[offsets[1]], g = dy[k]
            switch op {
            case .add: ga[k] = g; gb[k] = g
            case .subtract: ga[k] = g; gb[k] = -g
            case .multiply: ga[k] = g * y; gb[k] = g * x
            case .divide: ga[k] = g / y; gb[k] = g * ((-x / y) / y)
            case .maximum: if x >= y { ga[k] = g } else { gb[k] = g }
            case .minimum: if x <= y { ga[k] = g } else { gb[k] = g }
            }
        }
        return (ga, gb)
    }

    // MARK: Reductions

    /// The input shape with reduced axes set to 1.
    private static func keptShape(_ shape: [Int], axes: [Int]?) -> [Int] {
        let reduced = (try? TensorExpression.reducedAxes(axes, rank: shape.count).get()) ?? []
        return shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
    }

    /// Sums and means accumulate in Double (TensorFlow's vectorised tree sums are closer to exact than
    /// a sequential Float sum); min and max are exact either way.
    static func reduce(_ reduction: TensorReduction, _ x: Tensor, axes: [Int]?, keep: Bool) -> Tensor {
        let kept = keptShape(x.shape, axes: axes)
        let initial: Double = reduction == .min ? .infinity : reduction == .max ? -.infinity : 0
        var out = [Double](repeating: initial, count: kept.reduce(1, *))
        Broadcast.walk(x.shape, [Broadcast.strides(of: kept, in: x.shape)]) { k, offsets in
            let value = Double(x.scalars[k]), o = offsets[0]
            switch reduction {
            case .min: if value < out[o] { out[o] = value }
            case .max: if value > out[o] { out[o] = value }
            case .mean, .sum: out[o] += value
            }
        }
        let count = Double(x.count / max(out.count, 1))
        let scalars = out.map { Float(reduction == .mean ? $0 / count : $0) }
        return Tensor(shape: keep || axes == nil ? kept : dropReduced(x.shape, axes: axes)!, scalars: scalars)
    }

    /// The output shape of a reduction without kept dimensions.
    private static func dropReduced(_ shape: [Int], axes: [Int]?) -> [Int]? {
        guard let reduced = try? TensorExpression.reducedAxes(axes, rank: shape.count).get() else { return nil }
        return shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
    }

    static func reductionGradient(_ reduction: TensorReduction, _ x: Tensor, _ y: [Float], axes: [Int]?, dy: [Float]) -> [Float] {
        let kept = keptShape(x.shape, axes: axes)
        let strides = [Broadcast.strides(of: kept, in: x.shape)]
        var result = [Float](repeating: 0, count: x.count)
        switch reduction {
        case .sum:
            Broadcast.walk(x.shape, strides) { k, offsets in result[k] = dy[offsets[0]] }
        case .mean:
            let count = Float(x.count / max(y.count, 1))
            Broadcast.walk(x.shape, strides) { k, offsets in result[k] = dy[offsets[0]] / count }
        case .min, .max:
            var selected = [Float](repeating: 0, count: y.count)
            Broadcast.walk(x.shape, strides) { k, offsets in if x.scalars[k] == y[offsets[0]] { selected[offsets[0]] += 1 } }
            Broadcast.walk(x.shape, strides) { k, offsets in
                let o = offsets[0]
                if x.scalars[k] == y[o] { result[k] = 1 / selected[o] * dy[o] }
            }
        }
        return result
    }

    // MARK: Channel mixing

    /// `y[p, o] = Σ_i x[p, i]·m[i·outputs + o]`; transposed: `x[p, i] = Σ_o y[p, o]·m[i·outputs + o]`.
    static func mix(_ x: Tensor, matrix: [Float], inputs: Int, transposed: Bool) -> Tensor {
        let outputs = matrix.count / inputs
        let (from, to) = transposed ? (outputs, inputs) : (inputs, outputs)
        let positions = x.count / from
        var out = [Float](repeating: 0, count: positions * to)
        for p in 0..<positions {
            for t in 0..<to {
                var sum: Float = 0
                for f in 0..<from {
                    sum += x.scalars[p * from + f] * (transposed ? matrix[t * outputs + f] : matrix[f * outputs + t])
                }
                out[p * to + t] = sum
            }
        }
        return Tensor(shape: Array(x.shape.dropLast()) + [to], scalars: out)
    }

    // MARK: Concatenation

    /// Joins tensors along `axis`: each is `[outer, extent_k, inner]` around the axis.
    static func concatenate(_ parts: [Tensor], axis: Int) -> Tensor {
        let rank = parts[0].shape.count
        let positive = axis < 0 ? axis + rank : axis
        let outer = parts[0].shape[..<positive].reduce(1, *), inner = parts[0].shape[(positive + 1)...].reduce(1, *)
        var shape = parts[0].shape
        shape[positive] = parts.map { $0.shape[positive] }.reduce(0, +)
        var out: [Float] = []
        out.reserveCapacity(shape.reduce(1, *))
        for o in 0..<outer {
            for part in parts {
                let block = part.shape[positive] * inner
                out += part.scalars[(o * block)..<((o + 1) * block)]
            }
        }
        return Tensor(shape: shape, scalars: out)
    }

    /// The inverse of ``concatenate(_:axis:)`` for a gradient: one slice per part, shaped like it.
    static func split(_ whole: Tensor, like parts: [Tensor], axis: Int) -> [[Float]] {
        let rank = whole.shape.count
        let positive = axis < 0 ? axis + rank : axis
        let outer = whole.shape[..<positive].reduce(1, *), inner = whole.shape[(positive + 1)...].reduce(1, *)
        var result = parts.map { _ in [Float]() }
        var offset = 0
        for _ in 0..<outer {
            for (k, part) in parts.enumerated() {
                let block = part.shape[positive] * inner
                result[k] += whole.scalars[offset..<(offset + block)]
                offset += block
            }
        }
        return result
    }

    /// `values` (row-major `shape`) reversed along `axis`; its own inverse, so also its gradient.
    static func reverse(_ values: [Float], shape: [Int], axis: Int) -> [Float] {
        let positive = axis < 0 ? axis + shape.count : axis
        let outer = shape[..<positive].reduce(1, *), extent = shape[positive], inner = shape[(positive + 1)...].reduce(1, *)
        var out = [Float](repeating: 0, count: values.count)
        for o in 0..<outer {
            for k in 0..<extent {
                let from = (o * extent + k) * inner, to = (o * extent + extent - 1 - k) * inner
                for i in 0..<inner { out[to + i] = values[from + i] }
            }
        }
        return out
    }
}
