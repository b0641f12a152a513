import Foundation

// Stand-alone rectifier layers (Keras `ELU`, `LeakyReLU`, `ReLU`). Unlike fused activations they cache
// their input, so any alpha/slope/threshold is differentiated from the input (ELU within 2 ulp of αeˣ, the
// rest exactly). Any tensor layout; element-wise.

/// A rectifier's element-wise rule: its value and derivative at the input `x`. The shared forward and
/// backward below are specialised for each rule, so the per-element calls are direct on every lane.
private protocol RectifierRule: Sendable {
    func value(_ x: Float) -> Float
    func derivative(_ x: Float) -> Float
    /// `dx[i] = dy[i]·derivative(x[i])` for `i < count` in a vector kernel, the same bits; false when
    /// there is none for this CPU (the default), and the shared loop runs.
    func vectorBackward(input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>,
                        count: Int) -> Bool
}

extension RectifierRule {
    func vectorBackward(input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>,
                        count: Int) -> Bool { false }

    /// `value(x)` of every input, written into `slot`'s storage, each lane its share.
    func forward(_ input: Tensor, recycling slot: inout Tensor?) -> Tensor {
        Tensor(shape: input.shape, recycling: &slot) { y in
            input.scalars.withUnsafeBufferPointer { x in
                forEachLaneShare(of: y.count) { part in
                    for i in part { y[i] = value(x[i]) }
                }
            }
        }
    }

    /// `dx = dy·derivative(x)`; a ``BackpropModifier`` replaces the local rule by its guided/rectified
    /// variant using `y = value(x)`.
    func backward(input: Tensor, outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        precondition(input.shape == outputGradient.shape, "gradient shape \(outputGradient.shape) != \(input.shape)")
        return Tensor(shape: input.shape) { dx in
            input.scalars.withUnsafeBufferPointer { x in
                outputGradient.scalars.withUnsafeBufferPointer { dy in
                    forEachLaneShare(of: dx.count) { part in
                        switch modifier {
                        case nil:
                            let (xs, dys, dxs) = (x.baseAddress! + part.lowerBound, dy.baseAddress! + part.lowerBound, dx.baseAddress! + part.lowerBound)
                            if vectorBackward(input: xs, outputGradient: dys, inputGradient: dxs, count: part.count) { return }
                            for i in part { dx[i] = dy[i] * derivative(x[i]) }
                        case .guided?: for i in part { dx[i] = dy[i] > 0 && value(x[i]) > 0 ? dy[i] : 0 }
                        case .rectified?: for i in part { dx[i] = dy[i] > 0 ? dy[i] : 0 }
                        }
                    }
                }
            }
        }
    }
}

/// Exponential linear unit: `x > 0 ? x : α(eˣ − 1)` (Keras `ELU`, default `α = 1`). The forward values
/// are those of the fused `elu` activation (``ActivationKind/apply(_:count:addingBias:featureCount:)``:
/// vectorised, within 2 ulp of `α·expm1`); the derivative `αeˣ` comes from the cached input, with the
/// same polynomial (``ActivationKind/eluDerivativeNegativeBranch(_:alpha:)``, within 2 ulp of `α·exp`),
/// in AVX-512 where the CPU has it.
public final class ELU: UnaryLayer {
    public let name: String
    public let alpha: Float
    public var typeName: String { "ELU" }
    public var parameterCount: Int { 0 }
    private var input: Tensor?
    private var recycledOutput: Tensor?

    private struct Rule: RectifierRule {
        let alpha: Float
        func value(_ x: Float) -> Float { x > 0 ? x : alpha * Foundation.expm1(x) }
        func derivative(_ x: Float) -> Float { x > 0 ? 1 : ActivationKind.eluDerivativeNegativeBranch(x, alpha: alpha) }

        func vectorBackward(input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>,
                            count: Int) -> Bool {
            VectorKernels.eluInputBackward(input: x, outputGradient: dy, inputGradient: dx, count: count, alpha: alpha)
        }
    }

    public init(name: String = "elu", alpha: Float = 1) {
        self.name = name
        self.alpha = alpha
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }

    public func forward(_ input: Tensor) -> Tensor {
        self.input = input
        return ActivationKind.elu(alpha: alpha).forward(input, recycling: &recycledOutput)
    }

    public func releaseInputs() { input = nil }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let input else { preconditionFailure("\(name): backward before forward") }
        return Rule(alpha: alpha).backward(input: input, outputGradient: outputGradient, modifier: modifier)
    }
}

/// Leaky rectifier: `x ≥ 0 ? x : αx` (Keras 2 `LeakyReLU(alpha=0.3)`, Keras 3 `negative_slope`).
public final class LeakyReLU: UnaryLayer {
    public let name: String
    public let alpha: Float
    public var typeName: String { "LeakyReLU" }
    public var parameterCount: Int { 0 }
    private var input: Tensor?
    private var recycledOutput: Tensor?

    private struct Rule: RectifierRule {
        let alpha: Float
        func value(_ x: Float) -> Float { x >= 0 ? x : alpha * x }
        func derivative(_ x: Float) -> Float { x > 0 ? 1 : alpha }
    }

    /// `alpha` defaults to Keras 2's 0.3; pass Keras 3's `negative_slope` (default 0.2) explicitly.
    public init(name: String = "leaky_re_lu", alpha: Float = 0.3) {
        self.name = name
        self.alpha = alpha
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }

    public func forward(_ input: Tensor) -> Tensor {
        self.input = input
        return Rule(alpha: alpha).forward(input, recycling: &recycledOutput)
    }

    public func releaseInputs() { input = nil }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let input else { preconditionFailure("\(name): backward before forward") }
        return Rule(alpha: alpha).backward(input: input, outputGradient: outputGradient, modifier: modifier)
    }
}

/// Keras `ReLU(max_value, negative_slope, threshold)`:
/// `y = clip(x·1[x > t], 0, max_value) − slope · max(t − x, 0)`, exactly as `keras.backend.relu`.
public final class ReLU: UnaryLayer {
    public let name: String
    /// Upper clip (`nil` = none), e.g. 6 for ReLU6.
    public let maxValue: Float?
    public let negativeSlope: Float
    public let threshold: Float
    public var typeName: String { "ReLU" }
    public var parameterCount: Int { 0 }
    private var input: Tensor?
    private var recycledOutput: Tensor?

    private struct Rule: RectifierRule {
        let upper: Float, negativeSlope: Float, threshold: Float

        func value(_ x: Float) -> Float {
            let positive = x > threshold ? min(max(x, 0), upper) : 0
            return positive - negativeSlope * max(threshold - x, 0)
        }

        func derivative(_ x: Float) -> Float {
            let positive: Float = x > threshold && x > 0 && x < upper ? 1 : 0
            return positive + (x < threshold ? negativeSlope : 0)
        }
    }

    public init(name: String = "re_lu", maxValue: Float? = nil, negativeSlope: Float = 0, threshold: Float = 0) throws {
        if let maxValue, maxValue < 0 {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "max_value must be >= 0, got \(maxValue)")
        }
        self.name = name
        self.maxValue = maxValue
        self.negativeSlope = negativeSlope
        self.threshold = threshold
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }

    private var rule: Rule { Rule(upper: maxValue ?? .infinity, negativeSlope: negativeSlope, threshold: threshold) }

    public func forward(_ input: Tensor) -> Tensor {
        self.input = input
        return rule.forward(input, recycling: &recycledOutput)
    }

    public func releaseInputs() { input = nil }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let input else { preconditionFailure("\(name): backward before forward") }
        return rule.backward(input: input, outputGradient: outputGradient, modifier: modifier)
    }
}
