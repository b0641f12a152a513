/// Layers that combine several inputs: `Add` (Keras 2/3 `Add`, Keras 1 `Merge(mode="sum")`) and
/// `Concatenate` along the last (channel) axis.

/// Element-wise sum of inputs of identical shape.
public final class Add: Layer {
    public let name: String
    public var typeName: String { "Add" }
    public var parameterCount: Int { 0 }
    private var inputCount = 0

    public init(name: String = "add") { self.name = name }

    public func outputShape(forInputShapes shapes: [[Int]]) throws -> [Int] {
        guard shapes.count >= 2 else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "Add needs at least two inputs, got \(shapes.count)")
        }
        guard shapes.allSatisfy({ $0 == shapes[0] }) else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "inputs differ: \(shapes.map(describe).joined(separator: " vs "))")
        }
        return shapes[0]
    }

    public func forward(inputs: [Tensor]) -> Tensor {
        precondition(inputs.count >= 2 && inputs.allSatisfy { $0.shape == inputs[0].shape }, "\(name): inputs differ")
        inputCount = inputs.count
        var sum = inputs[0]
        for other in inputs.dropFirst() { sum.add(other) }
        return sum
    }

    public func backward(outputGradient: Tensor, modifier: BackpropModifier?) -> [Tensor] {
        [Tensor](repeating: outputGradient, count: inputCount)
    }
}

/// Concatenation along the last axis (Keras `Concatenate(axis=-1)`); all other extents must match.
public final class Concatenate: Layer {
    public let name: String
    public var typeName: String { "Concatenate" }
    public var parameterCount: Int { 0 }
    /// Last-axis extents of the inputs of the latest forward call.
    private var widths: [Int] = []
    private var inputShapes: [[Int]] = []

    /// Only the last axis is supported (`axis=-1`, or its positive equivalent, which the importer maps).
    public init(name: String = "concatenate") { self.name = name }

    public func outputShape(forInputShapes shapes: [[Int]]) throws -> [Int] {
        guard shapes.count >= 1, let first = shapes.first, !first.isEmpty else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "Concatenate needs inputs with at least one axis")
        }
        guard shapes.allSatisfy({ $0.count == first.count && Array($0.dropLast()) == Array(first.dropLast()) }) else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "inputs differ outside the last axis: \(shapes.map(describe).joined(separator: " vs "))")
        }
        return first.dropLast() + [shapes.reduce(0) { $0 + $1.last! }]
    }

    public func forward(inputs: [Tensor]) -> Tensor {
        inputShapes = inputs.map(\.shape)
        widths = inputs.map { $0.shape.last! }
        let total = widths.reduce(0, +)
        let rows = inputs[0].count / widths[0]
        precondition(inputs.allSatisfy { $0.count / $0.shape.last! == rows }, "\(name): inputs differ outside the last axis")
        return Tensor(shape: inputs[0].shape.dropLast() + [total]) { out in
            var offset = 0
            for (input, width) in zip(inputs, widths) {
                input.scalars.withUnsafeBufferPointer { x in
                    for r in 0..<rows {
                        (out.baseAddress! + r * total + offset).update(from: x.baseAddress! + r * width, count: width)
                    }
                }
                offset += width
            }
        }
    }

    public func backward(outputGradient: Tensor, modifier: BackpropModifier?) -> [Tensor] {
        let total = widths.reduce(0, +)
        let rows = outputGradient.count / total
        var offset = 0
        return zip(inputShapes, widths).map { shape, width in
            defer { offset += width }
            return Tensor(shape: shape) { dx in
                outputGradient.scalars.withUnsafeBufferPointer { dy in
                    for r in 0..<rows {
                        (dx.baseAddress! + r * width).update(from: dy.baseAddress! + r * total + offset, count: width)
                    }
                }
            }
        }
    }
}
