import NeuralNet

/// A tensor an ONNX graph knows at load time (an initializer, a `Constant` node, a fixed extra input,
/// or the folded result of `Shape`/`Gather`/`Concat`/… on those), kept in ONNX's own layout.
///
/// Layout: row-major over ``shape`` exactly as ONNX stores it (NCHW for images, `[M, C/g, kH, kW]` for
/// convolution weights). Values are held as `Double`, which represents every Float32 and every int64
/// a shape computation produces exactly; ``isInteger`` remembers the element type for `Div` and `Cast`.
struct ONNXConstant: Equatable {
    var shape: [Int]
    var values: [Double]
    var isInteger: Bool

    init(shape: [Int], values: [Double], isInteger: Bool) {
        precondition(shape.reduce(1, *) == values.count, "constant of shape \(shape) with \(values.count) values")
        (self.shape, self.values, self.isInteger) = (shape, values, isInteger)
    }

    /// A rank-0 tensor.
    init(scalar: Double, isInteger: Bool = false) { self.init(shape: [], values: [scalar], isInteger: isInteger) }

    /// A rank-1 int64 tensor (shapes, axes, pads).
    init(integers: [Int]) { self.init(shape: [integers.count], values: integers.map(Double.init), isInteger: true) }

    var count: Int { values.count }
    /// The values as integers, saturated (ONNX writes `INT64_MAX` for "to the end" in `Slice`).
    var integers: [Int] {
        values.map { value in
            guard value.isFinite else { return value > 0 ? Int.max : value < 0 ? Int.min : 0 }
            return value >= 9.2e18 ? Int.max : value <= -9.2e18 ? Int.min : Int(value)
        }
    }

    /// The element count of `shape` when every extent is in `0...2^31` and the count at most 2^28, else nil.
    static func elementCount(_ shape: [Int]) -> Int? {
        guard shape.allSatisfy({ (0...(1 << 31)).contains($0) }) else { return nil }
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow, product <= 1 << 28 else { return nil }
            count = product
        }
        return count
    }
    var floats: [Float] { values.map { Float($0) } }

    /// The values as an engine tensor of the same shape (no layout change).
    var tensor: Tensor { Tensor(shape: shape, scalars: floats) }

    /// The element at a multi-index.
    func element(_ index: [Int]) -> Double {
        var offset = 0
        for (axis, i) in index.enumerated() { offset = offset * shape[axis] + i }
        return values[offset]
    }

    /// Axes permuted: output axis `k` is input axis `order[k]` (ONNX `Transpose(perm)`).
    func transposed(_ order: [Int]) -> ONNXConstant {
        let outputShape = order.map { shape[$0] }
        var inputStrides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) { inputStrides[axis] = inputStrides[axis + 1] * shape[axis + 1] }
        var result = [Double](repeating: 0, count: values.count)
        var index = [Int](repeating: 0, count: shape.count)
        for flat in 0..<values.count {
            var offset = 0
            for k in order.indices { offset += index[k] * inputStrides[order[k]] }
            result[flat] = values[offset]
            var axis = outputShape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < outputShape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return ONNXConstant(shape: outputShape, values: result, isInteger: isInteger)
    }

    /// The values broadcast (NumPy rules) to `target`, or nil when the shapes do not broadcast.
    func broadcast(to target: [Int]) -> ONNXConstant? {
        guard shape.count <= target.count else { return nil }
        let padded = [Int](repeating: 1, count: target.count - shape.count) + shape
        guard zip(padded, target).allSatisfy({ $0 == $1 || $0 == 1 }) else { return nil }
        if padded == target { return ONNXConstant(shape: target, values: values, isInteger: isInteger) }
        let strides = Broadcast.strides(of: shape, in: target)
        let count = target.reduce(1, *)
        var result = [Double](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: target.count)
        for flat in 0..<count {
            var offset = 0
            for axis in target.indices { offset += index[axis] * strides[axis] }
            result[flat] = values[offset]
            var axis = target.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < target[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return ONNXConstant(shape: target, values: result, isInteger: isInteger)
    }

    /// Element-wise `op` with broadcasting, or nil when the shapes do not broadcast.
    static func combine(_ a: ONNXConstant, _ b: ONNXConstant, isInteger: Bool, _ op: (Double, Double) -> Double) -> ONNXConstant? {
        guard let shape = Broadcast.shape(a.shape, b.shape), let left = a.broadcast(to: shape), let right = b.broadcast(to: shape) else { return nil }
        return ONNXConstant(shape: shape, values: zip(left.values, right.values).map(op), isInteger: isInteger)
    }
}
