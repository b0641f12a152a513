/// NumPy broadcasting over row-major tensors: shape arithmetic and the strided walks that element-wise
/// operators, reductions and their gradients share.
///
/// Shapes are right-aligned; an axis of extent 1 (or a missing leading axis) repeats. An extent of −1
/// stands for the batch size while shapes are checked before any data exists, and only matches −1 or 1.
/// Reference: NumPy "Broadcasting" (numpy.org/doc/stable/user/basics.broadcasting.html).
public enum Broadcast {
    /// The broadcast shape of `a` and `b`, or nil when an axis differs and neither is 1.
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        let left = [Int](repeating: 1, count: rank - a.count) + a
        let right = [Int](repeating: 1, count: rank - b.count) + b
        var result: [Int] = []
        for (x, y) in zip(left, right) {
            if x == y || y == 1 { result.append(x) } else if x == 1 { result.append(y) } else { return nil }
        }
        return result
    }

    /// Strides of `shape` seen from an output of `outputShape` (0 along broadcast axes), right-aligned.
    public static func strides(of shape: [Int], in outputShape: [Int]) -> [Int] {
        let padded = [Int](repeating: 1, count: outputShape.count - shape.count) + shape
        var strides = [Int](repeating: 0, count: outputShape.count)
        var step = 1
        for axis in stride(from: outputShape.count - 1, through: 0, by: -1) {
            strides[axis] = padded[axis] == 1 && outputShape[axis] != 1 ? 0 : step
            step *= padded[axis]
        }
        return strides
    }

    /// Calls `body(outputIndex, offsets)` for every element of `outputShape` in row-major order, with
    /// the matching element offset in each operand (given by its ``strides(of:in:)``).
    ///
    /// Adjacent axes that every operand steps through contiguously (or repeats together) are merged
    /// first, as NumPy's iterator does, so a per-image scalar against an `[N, H, W, C]` batch walks as
    /// `[N, H·W·C]` and the odometer carries once per run instead of once per element.
    static func walk(_ outputShape: [Int], _ operandStrides: [[Int]], _ body: (Int, [Int]) -> Void) {
        let count = outputShape.reduce(1, *)
        guard count > 0 else { return }
        var shape: [Int] = []
        var strides: [[Int]] = operandStrides.map { _ in [] }
        for axis in outputShape.indices where outputShape[axis] != 1 {
            if let last = shape.indices.last,
               operandStrides.indices.allSatisfy({ strides[$0][last] == operandStrides[$0][axis] * outputShape[axis] }) {
                shape[last] *= outputShape[axis]
                for k in operandStrides.indices { strides[k][last] = operandStrides[k][axis] }
            } else {
                shape.append(outputShape[axis])
                for k in operandStrides.indices { strides[k].append(operandStrides[k][axis]) }
            }
        }
        if shape.isEmpty { shape = [1]; strides = operandStrides.map { _ in [0] } }
        let rank = shape.count, inner = shape[rank - 1]
        let innerStrides = strides.map { $0[rank - 1] }
        var index = [Int](repeating: 0, count: rank)
        var offsets = [Int](repeating: 0, count: operandStrides.count)
        var element = 0
        while element < count {
            var running = offsets
            for _ in 0..<inner {
                body(element, running)
                for k in running.indices { running[k] += innerStrides[k] }
                element += 1
            }
            // Odometer step over the outer axes.
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                for k in offsets.indices { offsets[k] += strides[k][axis] }
                if index[axis] < shape[axis] { break }
                for k in offsets.indices { offsets[k] -= strides[k][axis] * shape[axis] }
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// Sums `gradient` (of shape `outputShape`) over the axes along which `shape` was broadcast: the
    /// gradient of an operand of `shape` (TensorFlow's `reduce_sum(..., broadcast_gradient_args)`).
    static func unbroadcast(_ gradient: [Float], from outputShape: [Int], to shape: [Int]) -> [Float] {
        if shape == outputShape { return gradient }
        var result = [Float](repeating: 0, count: shape.reduce(1, *))
        walk(outputShape, [strides(of: shape, in: outputShape)]) { element, offsets in
            result[offsets[0]] += gradient[element]
        }
        return result
    }
}
