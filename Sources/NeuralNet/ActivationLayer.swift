import Foundation

/// Applies an ``ActivationKind`` (Keras `Activation` layer, and the `Softmax` layer on the last axis).
///
/// Any shape; softmax over the last axis. Most kinds are differentiated from the cached output; swish
/// and GELU (``ActivationKind/derivativeNeedsInput``) cache the input as well:
/// swish `σ(x)·(1 + x·(1 − σ(x)))`, GELU `Φ(x) + x·φ(x)`.
public final class Activation: UnaryLayer {
    public let name: String
    public let kind: ActivationKind
    public var typeName: String { "Activation" }
    public var parameterCount: Int { 0 }
    /// The activated output: kept for the derivative and recycled by the next forward.
    private var output: Tensor?
    private var input: Tensor?

    public init(name: String = "activation", _ kind: ActivationKind) throws {
        if let problem = kind.configurationProblem {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: problem)
        }
        self.name = name
        self.kind = kind
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }

    public func forward(_ input: Tensor) -> Tensor {
        let result = kind.forward(input, recycling: &output)
        self.input = kind.derivativeNeedsInput ? input : nil
        return result
    }

    public func releaseInputs() { input = nil }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let output else { preconditionFailure("\(name): backward before forward") }
        precondition(outputGradient.shape == output.shape, "\(name): gradient shape \(outputGradient.shape) != \(output.shape)")
        if let input { return Self.backward(kind, input: input, outputGradient: outputGradient) }
        let featureCount = output.shape.last ?? 1
        return Tensor(shape: output.shape) { dx in
            output.scalars.withUnsafeBufferPointer { y in
                outputGradient.scalars.withUnsafeBufferPointer { dy in
                    ActivationKind.forEachRowShare(dx.count, featureCount: featureCount) { part in
                        kind.backward(output: y.baseAddress! + part.lowerBound, outputGradient: dy.baseAddress! + part.lowerBound,
                                      inputGradient: dx.baseAddress! + part.lowerBound, count: part.count, featureCount: featureCount,
                                      modifier: modifier)
                    }
                }
            }
        }
    }

    /// `dx = dy·f′(x)` for the kinds whose derivative needs `x` (neither is rectifying: modifiers do not apply).
    private static func backward(_ kind: ActivationKind, input: Tensor, outputGradient: Tensor) -> Tensor {
        Tensor(shape: input.shape) { dx in
            input.scalars.withUnsafeBufferPointer { x in
                outputGradient.scalars.withUnsafeBufferPointer { dy in
                    switch kind {
                    case .swish:
                        for i in dx.indices {
                            let s = 1 / (1 + Foundation.exp(-x[i]))
                            dx[i] = dy[i] * s * (1 + x[i] * (1 - s))
                        }
                    case .gelu:
                        for i in dx.indices {
                            let v = x[i]
                            let cdf = 0.5 * (1 + Foundation.erf(v * 0.707_106_781_186_547_5))
                            let pdf = Foundation.exp(-0.5 * v * v) * 0.398_942_280_401_432_7
                            dx[i] = dy[i] * (cdf + v * pdf)
                        }
                    default:
                        preconditionFailure("\(kind) is differentiated from its output")
                    }
                }
            }
        }
    }
}

extension ActivationKind {
    /// The activation of every value of `input` (rows of its last axis, softmax's unit), written into
    /// `slot`'s storage, each lane its share of whole rows: the forward pass of the `Activation` layer and
    /// of the stand-alone `ELU` layer.
    func forward(_ input: Tensor, recycling slot: inout Tensor?) -> Tensor {
        let featureCount = input.shape.last ?? 1
        return Tensor(shape: input.shape, recycling: &slot) { y in
            input.scalars.withUnsafeBufferPointer { x in
                Self.forEachRowShare(y.count, featureCount: featureCount) { part in
                    (y.baseAddress! + part.lowerBound).update(from: x.baseAddress! + part.lowerBound, count: part.count)
                    apply(y.baseAddress! + part.lowerBound, count: part.count, addingBias: nil, featureCount: featureCount)
                }
            }
        }
    }

    /// `body(part)` for each lane's share of `count` values, in whole rows of `featureCount` (softmax's unit).
    static func forEachRowShare(_ count: Int, featureCount: Int, _ body: (Range<Int>) -> Void) {
        let rowLength = max(featureCount, 1)
        forEachLaneShare(of: count / rowLength, itemSize: rowLength) { rows in body((rows.lowerBound * rowLength)..<(rows.upperBound * rowLength)) }
    }
}
