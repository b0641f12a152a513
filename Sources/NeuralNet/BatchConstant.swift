/// A constant tensor repeated for every item of a batch: the runtime form of a value an imported graph
/// computes from no input (an ONNX initializer or a fixed extra input such as vehicle speed) where a
/// layer needs it as an operand (`Concat` with image features, an element-wise merge).
///
/// Layout: reads any `[N, ...]` tensor only for its batch size `N`; output `[N] + value.shape` with
/// `y[n] = value` for every `n`. Backward returns zeros of the input's shape (the output does not
/// depend on the input).
public final class BatchConstant: UnaryLayer {
    public let name: String
    /// One item, without the batch axis.
    public let value: Tensor
    public var typeName: String { "Constant" }
    public var parameterCount: Int { value.count }
    private var inputShape: [Int]?

    public init(name: String = "constant", value: Tensor) throws {
        guard !value.shape.isEmpty, value.count > 0 else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "constant needs at least one element, got shape \(describe(value.shape))")
        }
        self.name = name
        self.value = value
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] { value.shape }

    public func forward(_ input: Tensor) -> Tensor {
        inputShape = input.shape
        let batch = input.batchSize
        var scalars: [Float] = []
        scalars.reserveCapacity(batch * value.count)
        for _ in 0..<batch { scalars.append(contentsOf: value.scalars) }
        return Tensor(shape: [batch] + value.shape, scalars: scalars)
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let inputShape else { preconditionFailure("\(name): backward before forward") }
        return Tensor(zeros: inputShape)
    }
}
