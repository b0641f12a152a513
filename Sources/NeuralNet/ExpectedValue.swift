/// The expected value of a categorical distribution: `y = Σᵢ pᵢ·cᵢ` (a classifier steering head's
/// expected angle, e.g. DonkeyCar's 15-bin softmax over angles in [−1, 1]).
///
/// Layout: input `[N, K]` probabilities (the softmax output), output `[N, 1]`; `values` are the `K`
/// bin centres `cᵢ`. Linear, so backward is `dpᵢ = dy·cᵢ`: appended to a model's graph, the ordinary
/// one-pass saliency explains the expected angle through the softmax.
public final class ExpectedValue: UnaryLayer {
    public let name: String
    public let values: [Float]
    public var typeName: String { "ExpectedValue" }
    public var parameterCount: Int { 0 }

    public init(name: String = "expected_value", values: [Float]) throws {
        guard !values.isEmpty, values.allSatisfy(\.isFinite) else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "needs finite bin values, got \(values.count)")
        }
        self.name = name
        self.values = values
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard shape == [values.count] else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "expects \(values.count) probabilities [\(values.count)], got \(describe(shape))")
        }
        return [1]
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.itemCount == values.count, "\(name): expects [N, \(values.count)], got \(input.shape)")
        let k = values.count
        return Tensor(shape: [input.batchSize, 1]) { y in
            input.scalars.withUnsafeBufferPointer { p in
                for n in 0..<input.batchSize {
                    var sum: Double = 0
                    for i in 0..<k { sum += Double(p[n * k + i]) * Double(values[i]) }
                    y[n] = Float(sum)
                }
            }
        }
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        let k = values.count
        return Tensor(shape: [outputGradient.batchSize, k]) { dp in
            for n in 0..<outputGradient.batchSize {
                let g = outputGradient.scalars[n]
                for i in 0..<k { dp[n * k + i] = g * values[i] }
            }
        }
    }
}
