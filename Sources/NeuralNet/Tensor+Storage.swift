/// Module-internal construction helpers for ``Tensor`` used by the hot paths.
extension Tensor {
    /// A tensor whose scalars are written by `initializer`, which must set every element.
    ///
    /// Skips the zero fill of ``init(zeros:)`` for outputs that are fully overwritten.
    init(shape: [Int], initializingWith initializer: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let count = shape.reduce(1, *)
        let scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            initializer(buffer)
            initializedCount = count
        }
        self.init(shape: shape, scalars: scalars)
    }

    /// Adds `other` element-wise (shapes must have the same element count).
    mutating func add(_ other: Tensor) {
        precondition(count == other.count, "cannot add \(other.shape) to \(shape)")
        scalars.withUnsafeMutableBufferPointer { target in
            other.scalars.withUnsafeBufferPointer { source in
                for index in 0..<target.count { target[index] += source[index] }
            }
        }
    }
}

/// Shapes in error messages: `[66, 200, 3]`.
func describe(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
