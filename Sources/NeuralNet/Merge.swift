/// Layers that combine several inputs: `Add` (Keras 2/3 `Add`, Keras 1 `Merge(mode="sum")`) and
/// `Concatenate` along any axis. The other element-wise merges are in `ElementwiseMerge.swift`.

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

/// Concatenation along one axis (Keras `Concatenate(axis)`, Keras 1 `Merge(mode="concat")`); all other
/// extents must match.
///
/// Layout: any `[N, ...]`; ``axis`` counts the item axes (batch excluded), `-1` = last. Each item is a
/// sequence of `rows` runs where input `k` contributes a run of `width_k = extent_k(axis)·inner`
/// consecutive elements (`inner` = product of the later axes); backward copies the runs back.
public final class Concatenate: Layer {
    public let name: String
    /// The concatenation axis in the item shape; negative counts from the end.
    public let axis: Int
    public var typeName: String { "Concatenate" }
    public var parameterCount: Int { 0 }
    /// Elements per run of each input in the latest forward call.
    private var widths: [Int] = []
    private var inputShapes: [[Int]] = []

    public init(name: String = "concatenate", axis: Int = -1) {
        self.name = name
        self.axis = axis
    }

    public func outputShape(forInputShapes shapes: [[Int]]) throws -> [Int] {
        guard let first = shapes.first, !first.isEmpty else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "Concatenate needs inputs with at least one axis")
        }
        let resolved = axis < 0 ? first.count + axis : axis
        guard first.indices.contains(resolved) else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "axis \(axis) is not an axis of \(describe(first))")
        }
        func others(_ shape: [Int]) -> [Int] { shape.enumerated().filter { $0.offset != resolved }.map(\.element) }
        guard shapes.allSatisfy({ $0.count == first.count && others($0) == others(first) }) else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "inputs differ outside axis \(axis): \(shapes.map(describe).joined(separator: " vs "))")
        }
        var result = first
        result[resolved] = shapes.reduce(0) { $0 + $1[resolved] }
        return result
    }

    /// Elements of one run of an input of batch shape `shape`: the extents from the axis to the end.
    private func runLength(_ shape: [Int]) -> Int {
        let item = Array(shape.dropFirst())
        let resolved = axis < 0 ? item.count + axis : axis
        return item[resolved...].reduce(1, *)
    }

    public func forward(inputs: [Tensor]) -> Tensor {
        inputShapes = inputs.map(\.shape)
        guard let shape = try? outputShape(forInputShapes: inputs.map { Array($0.shape.dropFirst()) }) else {
            preconditionFailure("\(name): inputs differ outside axis \(axis): \(inputs.map(\.shape))")
        }
        widths = inputs.map { runLength($0.shape) }
        let total = widths.reduce(0, +)
        let rows = inputs[0].count / widths[0]
        return Tensor(shape: [inputs[0].batchSize] + shape) { out in
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
