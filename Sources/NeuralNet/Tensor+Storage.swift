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

    /// Like ``init(shape:initializingWith:)`` but writes into `recycled`'s storage when it has the same
    /// element count, so a layer that returns a same-shaped tensor every batch allocates nothing.
    ///
    /// `recycled` is the layer's slot for what it returned last time. On return it holds the new tensor,
    /// so the next call writes into it again: no layer has to remember to store it back. If a caller still
    /// holds the old tensor, the write copies first (copy-on-write): never wrong, just no saving.
    /// Contents are undefined before `initializer` runs.
    init(shape: [Int], recycling recycled: inout Tensor?, initializingWith initializer: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let count = shape.reduce(1, *)
        if var scalars = recycled?.scalars, scalars.count == count {
            recycled = nil  // drop the slot's reference so `scalars` is unique unless a caller holds it
            scalars.withUnsafeMutableBufferPointer { initializer($0) }
            self.init(shape: shape, scalars: scalars)
        } else {
            recycled = nil
            self.init(shape: shape, initializingWith: initializer)
        }
        recycled = self
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
