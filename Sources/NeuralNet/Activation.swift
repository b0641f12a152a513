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
    /// `clip(slope·x + 0.5, 0, 1)`: Keras 1/2 and tf-keras use `slope = 0.2`, Keras 3 `1/6` (`relu6(x + 3)/6`).
    case hardSigmoid(slope: Float)
    /// `x / (1 + |x|)`.
    case softsign
    /// `λ·(x > 0 ? x : α(eˣ − 1))` with Klambauer et al.'s `α ≈ 1.6733`, `λ ≈ 1.0507`.
    case selu
    /// `min(max(x, 0), 6)`.
    case relu6
    /// `x·σ(x)` (Keras `swish`, Keras 3 `silu`). Needs the input to differentiate.
    case swish
    /// `x·Φ(x) = x·(1 + erf(x/√2))/2`, the exact GELU (Keras' default `approximate=False`). Needs the input.
    case gelu

    /// SELU's constants (Klambauer et al. 2017, as Keras writes them).
    static let seluAlpha: Float = 1.673_263_242_354_377_3
    static let seluScale: Float = 1.050_700_987_355_480_5

    /// The activation for a Keras config string (`"relu"`, `"elu"`, ...); `nil` when unsupported.
    /// `hardSigmoidSlope` is 0.2 for Keras 1/2 and tf-keras, 1/6 for Keras 3.
    public init?(kerasName: String, hardSigmoidSlope: Float = 0.2) {
        switch kerasName {
        case "linear", "None": self = .linear
        case "relu": self = .relu
        case "elu": self = .elu(alpha: 1)
        case "leaky_relu": self = .leakyReLU(alpha: 0.2)
        case "tanh": self = .tanh
        case "sigmoid": self = .sigmoid
        case "softmax": self = .softmax
        case "softplus": self = .softplus
        case "hard_sigmoid": self = .hardSigmoid(slope: hardSigmoidSlope)
        case "softsign": self = .softsign
        case "selu": self = .selu
        case "relu6": self = .relu6
        case "swish", "silu": self = .swish
        case "gelu": self = .gelu
        default: return nil
        }
    }

    /// Whether ``BackpropModifier`` rules apply at this activation.
    public var isRectifying: Bool {
        switch self {
        case .relu, .elu, .leakyReLU, .selu, .relu6: return true
        default: return false
        }
    }

    /// Whether the derivative needs the input `x` (the output `y` does not determine it).
    public var derivativeNeedsInput: Bool {
        switch self {
        case .swish, .gelu: return true
        default: return false
        }
    }

    /// Why this activation cannot be fused into a Conv2D/Dense epilogue (which keeps only the output), if so.
    var fusionProblem: String? {
        if let problem = configurationProblem { return problem }
        return derivativeNeedsInput ? "\(self) needs its input for the gradient; apply it with a separate Activation layer" : nil
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
        guard let base = values.baseAddress else { return }
        apply(base, count: values.count, addingBias: nil, featureCount: featureCount)
    }

    /// Adds `bias` (`[featureCount]`, if given) to every row of `values` (`count / featureCount` rows of
    /// `featureCount`) and applies the activation, in place and in one pass: the fused epilogue of a
    /// GEMM `Z = X·W`.
    ///
    /// ELU uses ``eluNegativeBranch(_:alpha:)`` (vectorisable, within 2 ulp of `α·expm1`) instead of libm,
    /// in AVX2 or AVX-512 where the CPU has it (``VectorKernels``, the same bits).
    func apply(_ values: UnsafeMutablePointer<Float>, count: Int, addingBias bias: UnsafePointer<Float>?, featureCount: Int) {
        precondition(bias == nil || (featureCount > 0 && count % featureCount == 0))
        switch self {
        case .linear:
            guard bias != nil else { return }
            ActivationKind.map(values, count: count, bias: bias, featureCount: featureCount) { $0 }
        case .relu:
            ActivationKind.map(values, count: count, bias: bias, featureCount: featureCount) { max($0, 0) }
        case .elu(let alpha):
            if VectorKernels.elu(values, count: count, bias: bias, featureCount: featureCount, alpha: alpha) { return }
            ActivationKind.map(values, count: count, bias: bias, featureCount: featureCount) { x in
                let negative = ActivationKind.eluNegativeBranch(x, alpha: alpha)
                return x > 0 ? x : negative
            }
        case .leakyReLU(let alpha):
            ActivationKind.map(values, count: count, bias: bias, featureCount: featureCount) { $0 < 0 ? $0 * alpha : $0 }
        case .tanh:
            ActivationKind.map(values, count: count, bias: bias, featureCount: featureCount) { Foundation.tanh($0) }
        case .sigmoid:
            ActivationKind.map(values, count: count, bias: bias, featureCount: featureCount) { 1 / (1 + Foundation.exp(-$0)) }
        case .softplus:
            ActivationKind.map(values, count: count, bias: bias, featureCount: featureCount) { x in
                x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x))
            }
        case .hardSigmoid(let slope):
            ActivationKind.map(values, count: count, bias: bias, featureCount: featureCount) { min(max(slope * $0 + 0.5, 0), 1) }
        case .softsign:
            ActivationKind.map(values, count: count, bias: bias, featureCount: featureCount) { $0 / (1 + abs($0)) }
        case .selu:
            let (alpha, scale) = (ActivationKind.seluAlpha, ActivationKind.seluScale)
            ActivationKind.map(values, count: count, bias: bias, featureCount: featureCount) { x in
                scale * (x > 0 ? x : alpha * Foundation.expm1(x))
            }
        case .relu6:
            ActivationKind.map(values, count: count, bias: bias, featureCount: featureCount) { min(max($0, 0), 6) }
        case .swish:
            ActivationKind.map(values, count: count, bias: bias, featureCount: featureCount) { $0 / (1 + Foundation.exp(-$0)) }
        case .gelu:
            ActivationKind.map(values, count: count, bias: bias, featureCount: featureCount) { x in
                0.5 * x * (1 + Foundation.erf(x * 0.707_106_781_186_547_5))
            }
        case .softmax:
            precondition(featureCount > 0 && count % featureCount == 0)
            if bias != nil { ActivationKind.map(values, count: count, bias: bias, featureCount: featureCount) { $0 } }
            var row = 0
            while row < count {
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

    /// `values[i] = f(values[i] + bias[i mod featureCount])` (without bias: `f(values[i])`), one pass.
    @inline(__always)
    private static func map(
        _ values: UnsafeMutablePointer<Float>, count: Int, bias: UnsafePointer<Float>?, featureCount: Int,
        _ f: (Float) -> Float
    ) {
        guard let bias else {
            for i in 0..<count { values[i] = f(values[i]) }
            return
        }
        var row = values
        for _ in 0..<(count / featureCount) {
            for j in 0..<featureCount { row[j] = f(row[j] + bias[j]) }
            row += featureCount
        }
    }

    /// `α·(eˣ − 1)` for `x ≤ 0` (positive `x` is treated as 0; NaN propagates), branch-free so loops vectorise.
    ///
    /// `x` is clamped to `[−30, 0]` (below −30, `eˣ − 1` rounds to −1 in Float). With `n = round(x/ln 2)`
    /// and `r = x − n·ln 2` (Cody–Waite, `|r| ≤ ln 2 / 2`), `eˣ − 1 = 2ⁿ·expm1(r) + (2ⁿ − 1)`, where
    /// `expm1(r)` is its degree-7 Taylor polynomial (truncation < 2e-8 relative). Near 0 (`n = 0`) this is
    /// the polynomial itself, so there is no cancellation. See Muller, *Elementary Functions*, ch. 11.
    @inline(__always)
    static func eluNegativeBranch(_ x: Float, alpha: Float) -> Float {
        let (scale, p) = exponentParts(min(max(x, -30), 0))
        return alpha * (scale * p + (scale - 1))
    }

    /// `α·eˣ` for `x ≤ 0` (positive `x` is treated as 0; NaN propagates): ELU's derivative on its negative
    /// branch, from ``eluNegativeBranch(_:alpha:)``'s reduction and polynomial, `eˣ = 2ⁿ·expm1(r) + 2ⁿ`.
    /// `x` is clamped to `[−87, 0]` (2ⁿ stays a normal Float; e⁻⁸⁷ ≈ 1.6e-38). Within 2 ulp of `α·exp(x)`.
    @inline(__always)
    static func eluDerivativeNegativeBranch(_ x: Float, alpha: Float) -> Float {
        let (scale, p) = exponentParts(min(max(x, -87), 0))
        return alpha * (scale * p + scale)
    }

    /// `2ⁿ` and `p ≈ expm1(r)` for `x = n·ln 2 + r` (`x` in `[−87, 0]`), so `eˣ = 2ⁿ·p + 2ⁿ`.
    @inline(__always)
    private static func exponentParts(_ x: Float) -> (scale: Float, p: Float) {
        // Round to nearest integer with the 1.5·2²³ trick; `shifted`'s low mantissa bits hold n.
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = (x - n * 0.693_145_751_953_125) - n * 1.428_606_765_330_187e-6
        let scale = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) << 23)
        let p = r + r * r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040))))))
        return (scale, p)
    }

    /// Writes `dx` given the activation output `y` and `dy`. `dx` may alias `dy`.
    func backward(
        output y: UnsafeBufferPointer<Float>, outputGradient dy: UnsafeBufferPointer<Float>,
        inputGradient dx: UnsafeMutableBufferPointer<Float>, featureCount: Int, modifier: BackpropModifier?
    ) {
        precondition(y.count == dy.count && dy.count == dx.count)
        guard let yBase = y.baseAddress, let dyBase = dy.baseAddress, let dxBase = dx.baseAddress else { return }
        backward(output: yBase, outputGradient: dyBase, inputGradient: dxBase, count: dx.count,
                 featureCount: featureCount, modifier: modifier)
    }

    /// `dx = dy ⊙ act′(y)` over `count` elements (rows of `featureCount` for softmax); `dx` may alias `dy`.
    ///
    /// Each loop loads `y[i]` and `dy[i]` unconditionally and then selects, so it vectorises without branches.
    func backward(
        output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        inputGradient dx: UnsafeMutablePointer<Float>, count: Int, featureCount: Int, modifier: BackpropModifier?
    ) {
        if isRectifying, let modifier {
            switch modifier {
            case .guided:
                for i in 0..<count {
                    let g = dy[i], v = y[i]
                    dx[i] = g > 0 && v > 0 ? g : 0
                }
            case .rectified:
                for i in 0..<count {
                    let g = dy[i]
                    dx[i] = g > 0 ? g : 0
                }
            }
            return
        }
        switch self {
        case .linear:
            if UnsafeRawPointer(dx) != UnsafeRawPointer(dy) { dx.update(from: dy, count: count) }
        case .relu:
            for i in 0..<count {
                let g = dy[i], v = y[i]
                dx[i] = v > 0 ? g : 0
            }
        case .elu(let alpha):
            if VectorKernels.eluBackward(output: y, outputGradient: dy, inputGradient: dx, count: count, alpha: alpha) { return }
            for i in 0..<count {
                let g = dy[i], v = y[i]
                dx[i] = v > 0 ? g : g * (v + alpha)
            }
        case .leakyReLU(let alpha):
            for i in 0..<count {
                let g = dy[i], v = y[i]
                dx[i] = v > 0 ? g : g * alpha
            }
        case .tanh:
            for i in 0..<count { dx[i] = dy[i] * (1 - y[i] * y[i]) }
        case .sigmoid:
            for i in 0..<count { dx[i] = dy[i] * y[i] * (1 - y[i]) }
        case .softplus:
            for i in 0..<count { dx[i] = dy[i] * -Foundation.expm1(-y[i]) }
        case .hardSigmoid(let slope):
            for i in 0..<count { dx[i] = y[i] > 0 && y[i] < 1 ? dy[i] * slope : 0 }
        case .softsign:
            for i in 0..<count {
                let d = 1 - abs(y[i])
                dx[i] = dy[i] * d * d
            }
        case .selu:
            let (alpha, scale) = (ActivationKind.seluAlpha, ActivationKind.seluScale)
            for i in 0..<count {
                let g = dy[i], v = y[i]
                dx[i] = v > 0 ? g * scale : g * (v + scale * alpha)
            }
        case .relu6:
            for i in 0..<count {
                let g = dy[i], v = y[i]
                dx[i] = v > 0 && v < 6 ? g : 0
            }
        case .swish, .gelu:
            preconditionFailure("\(self): the derivative needs the input; use backward(input:outputGradient:inputGradient:count:)")
        case .softmax:
            var row = 0
            while row < count {
                var dot: Float = 0
                for i in row..<(row + featureCount) { dot += dy[i] * y[i] }
                for i in row..<(row + featureCount) { dx[i] = y[i] * (dy[i] - dot) }
                row += featureCount
            }
        }
    }
}
