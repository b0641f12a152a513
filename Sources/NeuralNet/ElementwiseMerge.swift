/// Element-wise merges of inputs of identical shape other than the sum (``Add``): Keras `Multiply`,
/// `Average`, `Maximum`, `Minimum` (any number of inputs) and `Subtract` (exactly two), and Keras 1
/// `Merge(mode="mul"|"ave"|"max")`.
///
/// Layout: any `[N, ...]`, all inputs and the output the same shape. Backward: multiply
/// `dxᵢ = dy·Πⱼ≠ᵢ xⱼ`; average `dy/k`; maximum/minimum route `dy` to the first input holding the extreme
/// value (ties are measure-zero for real data); subtract `(dy, −dy)`.
/// See https://keras.io/api/layers/merging_layers/.
public final class ElementwiseMerge: Layer {
    public enum Operation: String, Sendable, Hashable {
        case multiply = "Multiply", average = "Average", maximum = "Maximum", minimum = "Minimum", subtract = "Subtract"
    }

    public let name: String
    public let operation: Operation
    public var typeName: String { operation.rawValue }
    public var parameterCount: Int { 0 }
    /// The inputs of the latest forward call (kept for multiply only) and their number.
    private var inputs: [Tensor] = []
    private var inputCount = 0
    /// For maximum/minimum: the input index that won each element.
    private var winners: [Int] = []

    public init(name: String, operation: Operation) {
        self.name = name
        self.operation = operation
    }

    public func outputShape(forInputShapes shapes: [[Int]]) throws -> [Int] {
        let needed = operation == .subtract ? 2...2 : 2...Int.max
        guard needed.contains(shapes.count) else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "\(operation.rawValue) takes \(operation == .subtract ? "exactly" : "at least") two inputs, got \(shapes.count)")
        }
        guard shapes.allSatisfy({ $0 == shapes[0] }) else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "inputs differ: \(shapes.map(describe).joined(separator: " vs "))")
        }
        return shapes[0]
    }

    public func forward(inputs: [Tensor]) -> Tensor {
        precondition(inputs.count >= 2 && inputs.allSatisfy { $0.shape == inputs[0].shape }, "\(name): inputs differ")
        self.inputs = operation == .multiply ? inputs : []
        inputCount = inputs.count
        var result = inputs[0]
        switch operation {
        case .multiply:
            for other in inputs.dropFirst() { for i in 0..<result.count { result.scalars[i] *= other.scalars[i] } }
        case .average:
            for other in inputs.dropFirst() { result.add(other) }
            let scale = 1 / Float(inputs.count)
            for i in 0..<result.count { result.scalars[i] *= scale }
        case .subtract:
            for i in 0..<result.count { result.scalars[i] -= inputs[1].scalars[i] }
        case .maximum, .minimum:
            winners = [Int](repeating: 0, count: result.count)
            let wantsLarger = operation == .maximum
            for (k, other) in inputs.enumerated().dropFirst() {
                for i in 0..<result.count where wantsLarger ? other.scalars[i] > result.scalars[i] : other.scalars[i] < result.scalars[i] {
                    result.scalars[i] = other.scalars[i]
                    winners[i] = k
                }
            }
        }
        return result
    }

    public func releaseInputs() { inputs = [] }

    public func backward(outputGradient: Tensor, modifier: BackpropModifier?) -> [Tensor] {
        let count = inputCount
        precondition(count >= 2, "\(name): backward before forward")
        switch operation {
        case .multiply:
            return (0..<count).map { k in
                var gradient = outputGradient
                for (j, other) in inputs.enumerated() where j != k {
                    for i in 0..<gradient.count { gradient.scalars[i] *= other.scalars[i] }
                }
                return gradient
            }
        case .average:
            var gradient = outputGradient
            let scale = 1 / Float(count)
            for i in 0..<gradient.count { gradient.scalars[i] *= scale }
            return [Tensor](repeating: gradient, count: count)
        case .subtract:
            var negated = outputGradient
            for i in 0..<negated.count { negated.scalars[i] = -negated.scalars[i] }
            return [outputGradient, negated]
        case .maximum, .minimum:
            var gradients = [Tensor](repeating: Tensor(zeros: outputGradient.shape), count: count)
            for i in 0..<outputGradient.count { gradients[winners[i]].scalars[i] = outputGradient.scalars[i] }
            return gradients
        }
    }
}
