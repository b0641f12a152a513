/// A dense Float32 tensor in row-major order.
///
/// Image tensors are NHWC: `shape = [N, H, W, C]` where N is the batch, H the rows, W the columns and
/// C the channels; dense activations are `[N, features]`. Element `(n, h, w, c)` lives at
/// `((n * H + h) * W + w) * C + c`.
public struct Tensor: Sendable, Equatable {
    /// The extent of each axis, outermost first.
    public let shape: [Int]
    /// The elements, `shape.reduce(1, *)` of them.
    public var scalars: [Float]

    /// A tensor over existing scalars; `scalars.count` must equal the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(scalars.count == shape.reduce(1, *), "\(scalars.count) scalars do not fill shape \(shape)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// A tensor filled with one value.
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// Number of elements.
    public var count: Int { scalars.count }

    /// Batch size: the extent of the first axis.
    public var batchSize: Int { shape.first ?? 1 }

    /// Elements per batch item (product of all axes but the first).
    public var itemCount: Int { shape.dropFirst().reduce(1, *) }

    /// The scalars of batch item `index` (its `itemCount` elements, in the tensor's layout), copied.
    public func item(_ index: Int) -> [Float] {
        let count = itemCount
        return Array(scalars[(index * count)..<((index + 1) * count)])
    }

    /// The same scalars viewed with another shape of equal element count.
    public func reshaped(to newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }
}
