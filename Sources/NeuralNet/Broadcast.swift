/// NumPy broadcasting over row-major tensors: shape arithmetic and the strided walks that element-wise
/// operators, reductions and their gradients share.
///
/// Shapes are right-aligned; an axis of extent 1 (or a missing leading axis) repeats. An extent of −1
/// stands for the batch size while shapes are checked before any data exists, and only matches −1 or 1.
/// Reference: NumPy "Broadcasting" (numpy.org/doc/stable/user/basics.broadcasting.html).
enum Broadcast {
    /// The broadcast shape of `a` and `b`, or nil when an axis differs and neither is 1.
    static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
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
    static func strides(of shape: [Int], in outputShape: [Int]) -> [Int] {
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
    static func walk(_ outputShape: [Int], _ operandStrides: [[Int]], _ body: (Int, [Int]) -> Void) {
        let count = outputShape.reduce(1, *)
        guard count > 0 else { return }
        let rank = outputShape.count
        var index = [Int](repeating: 0, count: rank)
        var offsets = [Int](repeating: 0, count: operandStrides.count)
        for element in 0..<count {
            body(element, offsets)
            // Odometer step: advance the last axis, carrying into earlier ones.
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                for k in operandStrides.indices { offsets[k] += operandStrides[k][axis] }
                if index[axis] < outputShape[axis] { break }
                for k in operandStrides.indices { offsets[k] -= operandStrides[k][axis] * outputShape[axis] }
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
