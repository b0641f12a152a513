/// Nearest-neighbour upsampling by integer factors (Keras `UpSampling2D(size, interpolation="nearest")`).
///
/// Layout: input `[N, H, W, C]`, output `[N, H·sh, W·sw, C]` with `y[n, i, j, c] = x[n, i / sh, j / sw, c]`
/// (integer division). Backward sums each `sh × sw` block of `dy` into its source cell. The bilinear
/// variant is ``Resizing`` with ``ResizeMethod/bilinearHalfPixel`` (what Keras calls for it).
/// See https://keras.io/api/layers/reshaping_layers/up_sampling2d/.
public final class UpSampling2D: UnaryLayer {
    public let name: String
    public let size: (height: Int, width: Int)
    public var typeName: String { "UpSampling2D" }
    public var parameterCount: Int { 0 }
    private var inputShape: [Int]?

    public init(name: String = "up_sampling2d", size: (Int, Int) = (2, 2)) throws {
        guard size.0 >= 1, size.1 >= 1 else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "size must be positive, got \(size)")
        }
        self.name = name
        self.size = (size.0, size.1)
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard shape.count == 3 else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "expects an image [H, W, C], got \(describe(shape))")
        }
        return [shape[0] * size.height, shape[1] * size.width, shape[2]]
    }

    /// Calls `body(outputIndex, inputIndex)` for the first channel of every output pixel.
    private func forEachPixel(_ shape: [Int], _ body: (Int, Int) -> Void) {
        let (batch, height, width, channels) = (shape[0], shape[1], shape[2], shape[3])
        let outWidth = width * size.width
        var o = 0
        for n in 0..<batch {
            for i in 0..<(height * size.height) {
                let row = (n * height + i / size.height) * width
                for j in 0..<outWidth {
                    body(o, (row + j / size.width) * channels)
                    o += channels
                }
            }
        }
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.shape.count == 4, "\(name): expects [N, H, W, C], got \(input.shape)")
        inputShape = input.shape
        let channels = input.shape[3]
        let shape = [input.shape[0], input.shape[1] * size.height, input.shape[2] * size.width, channels]
        return Tensor(shape: shape) { y in
            input.scalars.withUnsafeBufferPointer { x in
                forEachPixel(input.shape) { o, i in
                    for c in 0..<channels { y[o + c] = x[i + c] }
                }
            }
        }
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let inputShape else { preconditionFailure("\(name): backward before forward") }
        let channels = inputShape[3]
        var result = Tensor(zeros: inputShape)
        result.scalars.withUnsafeMutableBufferPointer { dx in
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                forEachPixel(inputShape) { o, i in
                    for c in 0..<channels { dx[i + c] += dy[o + c] }
                }
            }
        }
        return result
    }
}
