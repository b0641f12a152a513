/// Affine rescaling `y = x·scale + offset` (Keras `Rescaling`), broadcast over the last axis.
///
/// Layout: any `[N, ..., C]`; `scale` and `offset` hold 1 value or C values (per channel).
/// Also the target for resolved affine `Lambda` layers (`x/127.5 − 1`, `x/255 − 0.5`).
public final class Rescaling: UnaryLayer {
    public let name: String
    public let scale: [Float]
    public let offset: [Float]
    public var typeName: String { "Rescaling" }
    public var parameterCount: Int { 0 }
    private var inputShape: [Int]?

    public init(name: String = "rescaling", scale: [Float], offset: [Float] = [0]) throws {
        guard !scale.isEmpty, !offset.isEmpty else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "scale and offset need at least one value")
        }
        self.name = name
        self.scale = scale
        self.offset = offset
    }

    /// Scalar scale and offset.
    public convenience init(name: String = "rescaling", scale: Float, offset: Float = 0) {
        try! self.init(name: name, scale: [scale], offset: [offset])
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        for values in [scale, offset] where values.count != 1 && values.count != shape.last {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "\(values.count) per-channel values for input \(describe(shape))")
        }
        return shape
    }

    /// `values` repeated to one entry per channel.
    private func expand(_ values: [Float], _ channels: Int) -> [Float] {
        values.count == 1 ? [Float](repeating: values[0], count: channels) : values
    }

    public func forward(_ input: Tensor) -> Tensor {
        let channels = input.shape.last ?? 1
        precondition((try? outputShape(forInputShape: Array(input.shape.dropFirst()))) != nil, "\(name): bad input \(input.shape)")
        inputShape = input.shape
        let a = expand(scale, channels), b = expand(offset, channels)
        return Tensor(shape: input.shape) { y in
            input.scalars.withUnsafeBufferPointer { x in
                var i = 0
                while i < x.count {
                    for c in 0..<channels { y[i + c] = x[i + c] * a[c] + b[c] }
                    i += channels
                }
            }
        }
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard inputShape != nil else { preconditionFailure("\(name): backward before forward") }
        let channels = outputGradient.shape.last ?? 1
        let a = expand(scale, channels)
        return Tensor(shape: outputGradient.shape) { dx in
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                var i = 0
                while i < dy.count {
                    for c in 0..<channels { dx[i + c] = dy[i + c] * a[c] }
                    i += channels
                }
            }
        }
    }
}
