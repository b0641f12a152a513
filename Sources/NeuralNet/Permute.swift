/// Permutes the axes of each item (Keras `Permute(dims)`).
///
/// Layout: input `[N, d₀, d₁, …]`; `order` lists, for each output axis, the input axis it takes (0-based,
/// batch excluded; Keras' 1-based `dims` minus one): output shape `[N, d[order[0]], d[order[1]], …]`.
/// Backward applies the inverse permutation. See https://keras.io/api/layers/reshaping_layers/permute/.
public final class Permute: UnaryLayer {
    public let name: String
    public let order: [Int]
    public var typeName: String { "Permute" }
    public var parameterCount: Int { 0 }
    private var inputShape: [Int]?

    public init(name: String = "permute", order: [Int]) throws {
        guard order.sorted() == Array(0..<order.count) else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "\(order) is not a permutation of 0..<\(order.count)")
        }
        self.name = name
        self.order = order
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard shape.count == order.count else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "permutes \(order.count) axes, input is \(describe(shape))")
        }
        return order.map { shape[$0] }
    }

    /// `target[n, permuted index] = source[n, index]` where output axis `k` walks input axis `order[k]`.
    private static func transpose(_ source: Tensor, itemShape: [Int], order: [Int]) -> Tensor {
        let outputShape = order.map { itemShape[$0] }
        var inputStrides = [Int](repeating: 1, count: itemShape.count)
        for axis in stride(from: itemShape.count - 2, through: 0, by: -1) { inputStrides[axis] = inputStrides[axis + 1] * itemShape[axis + 1] }
        let strides = order.map { inputStrides[$0] }  // input stride of each output axis
        let item = itemShape.reduce(1, *)
        return Tensor(shape: [source.batchSize] + outputShape) { y in
            source.scalars.withUnsafeBufferPointer { x in
                var index = [Int](repeating: 0, count: outputShape.count)
                for n in 0..<source.batchSize {
                    let base = n * item
                    var offset = 0
                    for o in 0..<item {
                        y[base + o] = x[base + offset]
                        // Advance the output multi-index (last axis fastest) and the matching input offset.
                        var axis = outputShape.count - 1
                        while axis >= 0 {
                            index[axis] += 1
                            offset += strides[axis]
                            if index[axis] < outputShape[axis] { break }
                            offset -= strides[axis] * outputShape[axis]
                            index[axis] = 0
                            axis -= 1
                        }
                    }
                }
            }
        }
    }

    public func forward(_ input: Tensor) -> Tensor {
        inputShape = input.shape
        return Self.transpose(input, itemShape: Array(input.shape.dropFirst()), order: order)
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard inputShape != nil else { preconditionFailure("\(name): backward before forward") }
        var inverse = [Int](repeating: 0, count: order.count)
        for (k, axis) in order.enumerated() { inverse[axis] = k }
        return Self.transpose(outputGradient, itemShape: Array(outputGradient.shape.dropFirst()), order: inverse)
    }
}
