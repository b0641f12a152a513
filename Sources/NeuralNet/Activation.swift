import Foundation

/// An element-wise (or, for softmax, last-axis) activation function, as named in Keras `activation`
/// configs. Used fused by ``Conv2D`` and ``Dense`` and stand-alone by the ``Activation`` layer.
///
/// Backward works from the cached *output* `y` only, so fused layers keep no pre-activation copy:
/// relu `1[y > 0]`, elu `y > 0 ? 1 : y + α` (requires `α > 0`), leaky relu `y > 0 ? 1 : α` (requires
/// `α ≥ 0`), tanh `1 − y²`, sigmoid `y(1 − y)`, softplus `1 − e^(−y)`, softmax
/// `dx = y ⊙ (dy − Σ dy·y)` over the last axis. See https://keras.io/api/layers/activations/.
public enum ActivationKind: Sendable, Hashable {
    case linear
    case relu
    /// `x > 0 ? x : α(eˣ − 1)`; Keras' `"elu"` string means `α = 1`.
    case elu(alpha: Float)
    /// `x > 0 ? x : αx` (Keras 3 `"leaky_relu"` string means `α = 0.2`).
    case leakyReLU(alpha: Float)
    case tanh
    /// `1 / (1 + e^(−x))`.
    case sigmoid
    /// Over the last axis, max-subtracted.
    case softmax
    /// `log(1 + eˣ)`, computed stably.
    case softplus

    /// The activation for a Keras config string (`"relu"`, `"elu"`, ...); `nil` when unsupported.
    public init?(kerasName: String) {
        switch kerasName {
        case "linear", "None": self = .linear
        case "relu": self = .relu
        case "elu": self = .elu(alpha: 1)
        case "leaky_relu": self = .leakyReLU(alpha: 0.2)
        case "tanh": self = .tanh
        case "sigmoid": self = .sigmoid
        case "softmax": self = .softmax
        case "softplus": self = .softplus
        default: return nil
        }
    }

    /// Whether ``BackpropModifier`` rules apply at this activation.
    public var isRectifying: Bool {
        switch self {
        case .relu, .elu, .leakyReLU: return true
        default: return false
        }
    }

    /// A configuration problem (`nil` when valid): derivatives from the output need positive slopes.
    var configurationProblem: String? {
        switch self {
        case .elu(let alpha) where !(alpha > 0): return "elu alpha must be > 0, got \(alpha)"
        case .leakyReLU(let alpha) where !(alpha >= 0): return "leaky relu alpha must be >= 0, got \(alpha)"
        default: return nil
        }
    }

    /// Applies the activation in place; `featureCount` is the extent of the last axis (for softmax).
    func apply(_ values: UnsafeMutableBufferPointer<Float>, featureCount: Int) {
        switch self {
        case .linear:
            return
        case .relu:
            for i in values.indices { values[i] = max(values[i], 0) }
        case .elu(let alpha):
            for i in values.indices where values[i] <= 0 { values[i] = alpha * Foundation.expm1(values[i]) }
        case .leakyReLU(let alpha):
            for i in values.indices where values[i] < 0 { values[i] *= alpha }
        case .tanh:
            for i in values.indices { values[i] = Foundation.tanh(values[i]) }
        case .sigmoid:
            for i in values.indices { values[i] = 1 / (1 + Foundation.exp(-values[i])) }
        case .softplus:
            for i in values.indices {
                let x = values[i]
                values[i] = x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x))
            }
        case .softmax:
            precondition(featureCount > 0 && values.count % featureCount == 0)
            var row = 0
            while row < values.count {
                var largest = -Float.infinity
                for i in row..<(row + featureCount) { largest = max(largest, values[i]) }
                var total: Float = 0
                for i in row..<(row + featureCount) {
                    let e = Foundation.exp(values[i] - largest)
                    values[i] = e
                    total += e
                }
                let inverse = 1 / total
                for i in row..<(row + featureCount) { values[i] *= inverse }
                row += featureCount
            }
        }
    }

    /// Writes `dx` given the activation output `y` and `dy`. `dx` may alias `dy`.
    func backward(
        output y: UnsafeBufferPointer<Float>, outputGradient dy: UnsafeBufferPointer<Float>,
        inputGradient dx: UnsafeMutableBufferPointer<Float>, featureCount: Int, modifier: BackpropModifier?
    ) {
        precondition(y.count == dy.count && dy.count == dx.count)
        if isRectifying, let modifier {
            switch modifier {
            case .guided: for i in dx.indices { dx[i] = dy[i] > 0 && y[i] > 0 ? dy[i] : 0 }
            case .rectified: for i in dx.indices { dx[i] = dy[i] > 0 ? dy[i] : 0 }
            }
            return
        }
        switch self {
        case .linear:
            if UnsafeRawPointer(dx.baseAddress) != UnsafeRawPointer(dy.baseAddress) {
                for i in dx.indices { dx[i] = dy[i] }
            }
        case .relu:
            for i in dx.indices { dx[i] = y[i] > 0 ? dy[i] : 0 }
        case .elu(let alpha):
            for i in dx.indices { dx[i] = y[i] > 0 ? dy[i] : dy[i] * (y[i] + alpha) }
        case .leakyReLU(let alpha):
            for i in dx.indices { dx[i] = y[i] > 0 ? dy[i] : dy[i] * alpha }
        case .tanh:
            for i in dx.indices { dx[i] = dy[i] * (1 - y[i] * y[i]) }
        case .sigmoid:
            for i in dx.indices { dx[i] = dy[i] * y[i] * (1 - y[i]) }
        case .softplus:
            for i in dx.indices { dx[i] = dy[i] * -Foundation.expm1(-y[i]) }
        case .softmax:
            var row = 0
            while row < y.count {
                var dot: Float = 0
                for i in row..<(row + featureCount) { dot += dy[i] * y[i] }
                for i in row..<(row + featureCount) { dx[i] = y[i] * (dy[i] - dot) }
                row += featureCount
            }
        }
    }
}

/// Applies an ``ActivationKind`` (Keras `Activation` layer). Any shape; softmax over the last axis.
public final class Activation: UnaryLayer {
    public let name: String
    public let kind: ActivationKind
    public var typeName: String { "Activation" }
    public var parameterCount: Int { 0 }
    private var output: Tensor?

    public init(name: String = "activation", _ kind: ActivationKind) throws {
        if let problem = kind.configurationProblem {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: problem)
        }
        self.name = name
        self.kind = kind
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }

    public func forward(_ input: Tensor) -> Tensor {
        var result = input
        let featureCount = input.shape.last ?? 1
        result.scalars.withUnsafeMutableBufferPointer { kind.apply($0, featureCount: featureCount) }
        output = result
        return result
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let output else { preconditionFailure("\(name): backward before forward") }
        precondition(outputGradient.shape == output.shape, "\(name): gradient shape \(outputGradient.shape) != \(output.shape)")
        var gradient = outputGradient
        gradient.scalars.withUnsafeMutableBufferPointer { dx in
            output.scalars.withUnsafeBufferPointer { y in
                kind.backward(output: y, outputGradient: UnsafeBufferPointer(dx), inputGradient: dx,
                              featureCount: output.shape.last ?? 1, modifier: modifier)
            }
        }
        return gradient
    }
}
