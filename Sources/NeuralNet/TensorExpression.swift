/// A per-image tensor computation a Lambda layer performs: element-wise arithmetic and functions with
/// NumPy broadcasting, reductions and channel mixing, as a tree over the layer input `x`.
///
/// Layout: the input is `[N, ...]` (NHWC images `[N, H, W, C]`). Constants carry a shape without the
/// batch axis and broadcast against the tensors NumPy-style (right-aligned), so a `[3]` constant is
/// per channel. Reduction axes index the full tensor (0 is the batch axis, which may not be reduced;
/// negative axes count from the end); `axes == nil` reduces every axis of each image and keeps them
/// as size 1 (`K.min(x)` on a batch of one image is TensorFlow's whole-tensor minimum; SteerLens
/// treats each frame independently, as a `drive.py` loop feeding one frame does).
/// ``description`` prints the expression in the `--lambda` language (`(x-min(x))/(max(x)-min(x))`).
/// Evaluated by ``TensorExpressionLayer``.
public indirect enum TensorExpression: Sendable, Hashable, CustomStringConvertible {
    /// The layer input.
    case input
    /// A constant of `shape` (no batch axis; `[]` for a scalar), values in row-major order.
    case constant(values: [Float], shape: [Int])
    case unary(TensorFunction, TensorExpression)
    case binary(TensorOperator, TensorExpression, TensorExpression)
    case reduce(TensorReduction, TensorExpression, axes: [Int]?, keepDimensions: Bool)
    /// `y[..., o] = Σ_i x[..., i] · matrix[i · outputs + o]` over the last axis (TensorFlow `tensordot`
    /// with a `[inputs, outputs]` kernel, e.g. `rgb_to_yuv`).
    case channelMix(TensorExpression, matrix: [Float], inputs: Int)
    /// Operands joined along `axis` of the full tensor (negative from the end; not the batch axis),
    /// `K.concatenate` / `tf.concat`.
    case concatenate([TensorExpression], axis: Int)
    /// The elements in reverse order along `axis` of the full tensor (`x[..., ::-1]`, RGB ↔ BGR;
    /// `x[:, :, ::-1]`, a horizontal flip).
    case reverse(TensorExpression, axis: Int)
    /// TensorFlow's `rgb_to_hsv` over the last axis (3 channels), with TensorFlow's gradient
    /// (see ``HSVConversion``).
    case rgbToHSV(TensorExpression)
    /// A size-1 axis inserted at `axis` of the full tensor (`K.expand_dims`; negative: from the end of the result).
    case expandDimensions(TensorExpression, axis: Int)

    /// A scalar constant.
    public static func scalar(_ value: Float) -> TensorExpression { .constant(values: [value], shape: []) }

    /// TF `per_image_standardization`: `(x − mean) / max(std, 1/√(H·W·C))` over each image's last three
    /// axes, with `std = √mean((x − mean)²)` (`reduce_std`). The element count H·W·C is written as the
    /// sum of `x·0 + 1`, so the expression does not depend on the input size. Prints as `standardize(x)`.
    public static func perImageStandardization(_ image: TensorExpression) -> TensorExpression {
        let axes = [-1, -2, -3]
        let mean = TensorExpression.reduce(.mean, image, axes: axes, keepDimensions: true)
        let centred = TensorExpression.binary(.subtract, image, mean)
        let deviation = TensorExpression.unary(.sqrt, .reduce(.mean, .unary(.square, centred), axes: axes, keepDimensions: true))
        let count = TensorExpression.reduce(.sum, .binary(.add, .binary(.multiply, image, .scalar(0)), .scalar(1)), axes: axes, keepDimensions: true)
        let minimum = TensorExpression.binary(.divide, .scalar(1), .unary(.sqrt, count))
        return .binary(.divide, centred, .binary(.maximum, deviation, minimum))
    }

    /// Whether the expression reads the input at all.
    public var usesInput: Bool {
        switch self {
        case .input: true
        case .constant: false
        case .unary(_, let operand), .reduce(_, let operand, _, _), .channelMix(let operand, _, _), .expandDimensions(let operand, _),
             .rgbToHSV(let operand), .reverse(let operand, _):
            operand.usesInput
        case .binary(_, let left, let right): left.usesInput || right.usesInput
        case .concatenate(let operands, _): operands.contains(where: \.usesInput)
        }
    }

    public var description: String { render().text }

    private func render() -> (text: String, precedence: Int) {
        switch self {
        case .input:
            return ("x", 3)
        case .constant(let values, let shape):
            if shape.isEmpty { return ("\(values[0])", values[0] < 0 ? 0 : 3) }
            let list = "[" + values.map { "\($0)" }.joined(separator: ",") + "]"
            return (shape.count == 1 ? list : "reshape(\(list),\(shape.map(String.init).joined(separator: "|")))", 3)
        case .unary(.negative, let operand):
            return ("-" + operand.operand(atLeast: 2), 2)
        case .unary(let function, let operand):
            return ("\(function.rawValue)(\(operand.description))", 3)
        case .binary(.divide, .binary(.subtract, let image, _), _) where self == .perImageStandardization(image):
            return ("standardize(\(image.description))", 3)
        case .binary(let op, let left, let right) where op.isInfix:
            let precedence = op == .add || op == .subtract ? 0 : 1
            return ("\(left.operand(atLeast: precedence))\(op.symbol)\(right.operand(atLeast: precedence + 1))", precedence)
        case .binary(let op, let left, let right):
            return ("\(op.rawValue)(\(left.description),\(right.description))", 3)
        case .reduce(let reduction, let operand, let axes, let keep):
            var text = "\(reduction.rawValue)(\(operand.description)"
            if let axes { text += ",axis=" + axes.map(String.init).joined(separator: "|") }
            if keep, axes != nil { text += ",keepdims" }
            return (text + ")", 3)
        case .channelMix(let operand, let matrix, let inputs):
            return ("mix(\(operand.description),\(inputs),[" + matrix.map { "\($0)" }.joined(separator: ",") + "])", 3)
        case .concatenate(let operands, let axis):
            return ("concatenate(" + operands.map(\.description).joined(separator: ",") + ",axis=\(axis))", 3)
        case .expandDimensions(let operand, let axis):
            return ("expand_dims(\(operand.description),axis=\(axis))", 3)
        case .rgbToHSV(let operand):
            return ("rgb_to_hsv(\(operand.description))", 3)
        case .reverse(let operand, let axis):
            return ("reverse(\(operand.description),axis=\(axis))", 3)
        }
    }

    private func operand(atLeast precedence: Int) -> String {
        let (text, own) = render()
        return own >= precedence ? text : "(\(text))"
    }
}

/// Element-wise functions of one tensor, with TensorFlow's gradients (`math_grad.py`, `nn_grad.py`).
public enum TensorFunction: String, Sendable, Hashable, CaseIterable {
    case negative, relu, tanh, sigmoid, sqrt, square, abs, exp, log
}

/// Element-wise operators of two broadcast tensors.
public enum TensorOperator: String, Sendable, Hashable, CaseIterable {
    case add, subtract, multiply, divide, maximum, minimum

    var isInfix: Bool { self != .maximum && self != .minimum }

    var symbol: String {
        switch self {
        case .add: "+"
        case .subtract: "-"
        case .multiply: "*"
        case .divide: "/"
        case .maximum, .minimum: rawValue
        }
    }
}

/// Reductions; `min`/`max` split the gradient equally between tied extremes (TensorFlow `_MinOrMaxGrad`).
public enum TensorReduction: String, Sendable, Hashable, CaseIterable {
    case min, max, mean, sum
}

extension TensorExpression {
    /// The shape of the result for an input of `inputShape` (batch axis included, its extent −1 =
    /// any), or a reason it is invalid.
    func shape(input inputShape: [Int]) -> Result<[Int], ShapeError> {
        switch self {
        case .input:
            return .success(inputShape)
        case .constant(let values, let shape):
            guard values.count == shape.reduce(1, *) else { return .failure(ShapeError("a constant has \(values.count) values for shape \(describe(shape))")) }
            return .success(shape)
        case .unary(_, let operand):
            return operand.shape(input: inputShape)
        case .binary(_, let left, let right):
            return left.shape(input: inputShape).flatMap { l in
                right.shape(input: inputShape).flatMap { r in Broadcast.shape(l, r).map(Result.success) ?? .failure(ShapeError("shapes \(describe(l)) and \(describe(r)) do not broadcast")) }
            }
        case .reduce(_, let operand, let axes, let keep):
            return operand.shape(input: inputShape).flatMap { shape in
                Self.reducedAxes(axes, rank: shape.count).map { reduced in
                    keep || axes == nil ? shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
                        : shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
                }
            }
        case .channelMix(let operand, let matrix, let inputs):
            return operand.shape(input: inputShape).flatMap { shape in
                guard let last = shape.last, last == inputs, inputs > 0, matrix.count % inputs == 0 else {
                    return .failure(ShapeError("a \(inputs)-channel mix applied to \(describe(shape))"))
                }
                return .success(shape.dropLast() + [matrix.count / inputs])
            }
        case .concatenate(let operands, let axis):
            var shapes: [[Int]] = []
            for operand in operands {
                switch operand.shape(input: inputShape) {
                case .success(let shape): shapes.append(shape)
                case .failure(let error): return .failure(error)
                }
            }
            guard let first = shapes.first else { return .failure(ShapeError("concatenate of nothing")) }
            let positive = axis < 0 ? axis + first.count : axis
            guard positive > 0, positive < first.count else { return .failure(ShapeError("concatenate axis \(axis) of a rank-\(first.count) tensor")) }
            for shape in shapes where shape.count != first.count
                || shape.enumerated().contains(where: { $0.offset != positive && $0.element != first[$0.offset] }) {
                return .failure(ShapeError("cannot concatenate \(describe(shape)) to \(describe(first)) along axis \(axis)"))
            }
            var result = first
            result[positive] = shapes.map { $0[positive] }.reduce(0, +)
            return .success(result)
        case .reverse(let operand, let axis):
            return operand.shape(input: inputShape).flatMap { shape in
                let positive = axis < 0 ? axis + shape.count : axis
                return positive > 0 && positive < shape.count ? .success(shape) : .failure(ShapeError("reverse axis \(axis) of a rank-\(shape.count) tensor"))
            }
        case .rgbToHSV(let operand):
            return operand.shape(input: inputShape).flatMap { shape in
                shape.last == 3 ? .success(shape) : .failure(ShapeError("rgb_to_hsv of \(describe(shape)), which has no 3 channels"))
            }
        case .expandDimensions(let operand, let axis):
            return operand.shape(input: inputShape).flatMap { shape in
                let positive = axis < 0 ? axis + shape.count + 1 : axis
                guard positive > 0, positive <= shape.count else { return .failure(ShapeError("expand_dims axis \(axis) of a rank-\(shape.count) tensor")) }
                var result = shape
                result.insert(1, at: positive)
                return .success(result)
            }
        }
    }

    /// The positive axes a reduction removes; `nil` = every axis but the batch.
    static func reducedAxes(_ axes: [Int]?, rank: Int) -> Result<Set<Int>, ShapeError> {
        guard let axes else { return .success(Set(1..<max(rank, 1))) }
        var result = Set<Int>()
        for axis in axes {
            let positive = axis < 0 ? axis + rank : axis
            guard positive >= 0, positive < rank else { return .failure(ShapeError("axis \(axis) is outside a rank-\(rank) tensor")) }
            guard positive != 0 else { return .failure(ShapeError("reducing the batch axis mixes frames")) }
            result.insert(positive)
        }
        return .success(result)
    }

    struct ShapeError: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
