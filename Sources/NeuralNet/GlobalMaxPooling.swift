/// Maximum over all pixels per channel: `[N, H, W, C] → [N, C]` (Keras `GlobalMaxPooling2D`).
///
/// Backward routes each channel's gradient to the first maximal pixel in row-major order (ties are
/// measure-zero for real data), like ``MaxPooling2D``.
/// See https://keras.io/api/layers/pooling_layers/global_max_pooling2d/.
public final class GlobalMaxPooling2D: UnaryLayer {
    public let name: String
    public var typeName: String { "GlobalMaxPooling2D" }
    public var parameterCount: Int { 0 }
    private var inputShape: [Int]?
    /// For each output element `(n, c)`, the flat input index that won.
    private var winners: [Int] = []

    public init(name: String = "global_max_pooling2d") { self.name = name }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        try globalPoolingOutputShape(layer: name, inputShape: shape)
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.shape.count == 4, "\(name): expects [N, H, W, C], got \(input.shape)")
        inputShape = input.shape
        let batch = input.shape[0], pixels = input.shape[1] * input.shape[2], channels = input.shape[3]
        winners = [Int](repeating: 0, count: batch * channels)
        return Tensor(shape: [batch, channels]) { out in
            input.scalars.withUnsafeBufferPointer { x in
                for n in 0..<batch {
                    for c in 0..<channels {
                        var best = -Float.infinity, bestIndex = n * pixels * channels + c
                        for p in 0..<pixels {
                            let i = (n * pixels + p) * channels + c
                            if x[i] > best { best = x[i]; bestIndex = i }
                        }
                        out[n * channels + c] = best
                        winners[n * channels + c] = bestIndex
                    }
                }
            }
        }
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let inputShape else { preconditionFailure("\(name): backward before forward") }
        precondition(outputGradient.count == winners.count, "\(name): gradient shape \(outputGradient.shape) does not match the output")
        var result = Tensor(zeros: inputShape)
        for (o, winner) in winners.enumerated() { result.scalars[winner] += outputGradient.scalars[o] }
        return result
    }
}
