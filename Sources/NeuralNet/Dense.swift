/// Fully connected layer (Keras `Dense`) with optional bias and fused activation.
///
/// Layouts: input `[N, ..., in]`, output `[N, ..., out]` (applied to the last axis like Keras);
/// `kernel` is `[in, out]` as Keras stores it, `bias` is `[out]`.
/// Forward `Y = act(X · W + b)` with one `sgemm` over all `M = count / in` rows, bias and activation
/// fused after it; backward `dZ = dY ⊙ act′(Y)` (into a kept scratch buffer, `dY` is not copied) and
/// `dX = dZ · Wᵀ`. Outputs and input gradients reuse last batch's storage when nobody holds it.
/// See https://keras.io/api/layers/core_layers/dense/.
public final class Dense: UnaryLayer {
    public let name: String
    public let kernel: Tensor
    public let bias: Tensor?
    public let activation: ActivationKind
    public var typeName: String { "Dense" }
    public var parameterCount: Int { kernel.count + (bias?.count ?? 0) }
    public var inputFeatures: Int { kernel.shape[0] }
    public var units: Int { kernel.shape[1] }

    /// The activated output `[M, out]`: kept for the activation backward and recycled by the next forward.
    private var output: Tensor?
    private var recycledInputGradient: Tensor?
    /// `dZ` of the latest backward, `[M, out]`; kept so its storage is reused.
    private var preActivationGradient: [Float] = []

    /// - Parameters:
    ///   - kernel: `[in, out]`.
    ///   - bias: `[out]`, or `nil` for `use_bias=False`.
    public init(name: String = "dense", kernel: Tensor, bias: Tensor? = nil, activation: ActivationKind = .linear) throws {
        guard kernel.shape.count == 2, kernel.count > 0 else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "kernel must be [in, out], got \(describe(kernel.shape))")
        }
        if let bias, bias.count != kernel.shape[1] {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "bias has \(bias.count) values for \(kernel.shape[1]) units")
        }
        if let problem = activation.fusionProblem {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: problem)
        }
        self.name = name
        self.kernel = kernel
        self.bias = bias
        self.activation = activation
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard let last = shape.last, last == inputFeatures else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "kernel expects \(inputFeatures) input features, input is \(describe(shape))")
        }
        return shape.dropLast() + [units]
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.shape.last == inputFeatures, "\(name): expects last axis \(inputFeatures), got \(input.shape)")
        let k = inputFeatures, n = units, m = input.count / k
        let result = Tensor(shape: input.shape.dropLast() + [n], recycling: &output) { out in
            input.scalars.withUnsafeBufferPointer { x in
                kernel.scalars.withUnsafeBufferPointer { w in
                    sgemm(m: m, n: n, k: k, a: x.baseAddress!, lda: k, b: w.baseAddress!, ldb: n,
                          beta: 0, c: out.baseAddress!, ldc: n)
                }
            }
            if let bias {
                bias.scalars.withUnsafeBufferPointer { b in
                    activation.apply(out.baseAddress!, count: m * n, addingBias: b.baseAddress!, featureCount: n)
                }
            } else {
                activation.apply(out.baseAddress!, count: m * n, addingBias: nil, featureCount: n)
            }
        }
        return result
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let output else { preconditionFailure("\(name): backward before forward") }
        precondition(outputGradient.shape == output.shape, "\(name): gradient shape \(outputGradient.shape) != \(output.shape)")
        let k = inputFeatures, n = units, m = output.count / n
        if preActivationGradient.count != m * n { preActivationGradient = [Float](repeating: 0, count: m * n) }
        let inputGradient = Tensor(shape: output.shape.dropLast() + [k], recycling: &recycledInputGradient) { dx in
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                output.scalars.withUnsafeBufferPointer { y in
                    kernel.scalars.withUnsafeBufferPointer { w in
                        preActivationGradient.withUnsafeMutableBufferPointer { dz in
                            activation.backward(output: y.baseAddress!, outputGradient: dy.baseAddress!, inputGradient: dz.baseAddress!,
                                                count: m * n, featureCount: n, modifier: modifier)
                            sgemm(transposeB: true, m: m, n: k, k: n, a: dz.baseAddress!, lda: n, b: w.baseAddress!, ldb: n,
                                  beta: 0, c: dx.baseAddress!, ldc: k)
                        }
                    }
                }
            }
        }
        return inputGradient
    }
}
