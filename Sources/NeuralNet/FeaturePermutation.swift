/// Reorders the features of each item of a `[N, K]` batch: `y[n, k] = x[n, order[k]]`.
///
/// Used where an imported channels-first (NCHW) graph flattens a feature map that SteerLens holds
/// channels-last (NHWC): the NHWC flatten order is permuted back into the NCHW order the graph expects,
/// when no following weight matrix can absorb the permutation at load time.
/// Backward scatters: `dx[n, order[k]] = dy[n, k]`.
public final class FeaturePermutation: UnaryLayer {
    public let name: String
    /// For each output feature, the input feature it takes; a permutation of `0..<K`.
    public let order: [Int]
    public var typeName: String { "FeaturePermutation" }
    public var parameterCount: Int { 0 }

    public init(name: String = "feature_permutation", order: [Int]) throws {
        guard order.sorted() == Array(0..<order.count) else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "order is not a permutation of 0..<\(order.count)")
        }
        self.name = name
        self.order = order
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard shape == [order.count] else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "permutes \(order.count) features, input is \(describe(shape))")
        }
        return shape
    }

    public func forward(_ input: Tensor) -> Tensor {
        let features = order.count
        var scalars = [Float](repeating: 0, count: input.count)
        for n in 0..<input.batchSize {
            let base = n * features
            for k in 0..<features { scalars[base + k] = input.scalars[base + order[k]] }
        }
        return Tensor(shape: input.shape, scalars: scalars)
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        let features = order.count
        var scalars = [Float](repeating: 0, count: outputGradient.count)
        for n in 0..<outputGradient.batchSize {
            let base = n * features
            for k in 0..<features { scalars[base + order[k]] = outputGradient.scalars[base + k] }
        }
        return Tensor(shape: outputGradient.shape, scalars: scalars)
    }
}
