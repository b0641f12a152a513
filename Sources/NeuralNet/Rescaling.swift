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
    private var recycledOutput: Tensor?, recycledInputGradient: Tensor?

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
        let output = Tensor(shape: input.shape, recycling: &recycledOutput) { y in
            input.scalars.withUnsafeBufferPointer { x in
                Self.affine(x, into: y, channels: channels, scale: expand(scale, channels), offset: expand(offset, channels))
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard inputShape != nil else { preconditionFailure("\(name): backward before forward") }
        let channels = outputGradient.shape.last ?? 1
        let inputGradient = Tensor(shape: outputGradient.shape, recycling: &recycledInputGradient) { dx in
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                Self.affine(dy, into: dx, channels: channels, scale: expand(scale, channels), offset: nil)
            }
        }
        return inputGradient
    }

    /// `y[i] = x[i]·scale[c] + offset[c]` (no addition when `offset` is nil) for channel `c = i mod
    /// channels`: a flat loop the compiler vectorises when every channel shares one scale and offset,
    /// else one channel at a time. Multiply then add, never fused: the same bits either way. A batch of
    /// megabytes is cut into one run of whole pixels per lane, so every core's memory bandwidth serves it.
    private static func affine(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>, channels: Int,
                               scale: [Float], offset: [Float]?) {
        let pixels = channels > 0 ? x.count / channels : 0
        forEachLaneShare(of: pixels, itemSize: channels) { share in
            affine(x, into: y, (share.lowerBound * channels)..<(share.upperBound * channels), channels: channels, scale: scale, offset: offset)
        }
    }

    /// ``affine(_:into:channels:scale:offset:)`` on the values `part` (whole pixels).
    private static func affine(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>, _ part: Range<Int>, channels: Int,
                               scale: [Float], offset: [Float]?) {
        // One value repeated (bit for bit: 0 and −0 differ) is the common case, `x/127.5 − 1`.
        func isUniform(_ values: [Float]) -> Bool { values.allSatisfy { $0.bitPattern == values[0].bitPattern } }
        if isUniform(scale) && offset.map(isUniform) != false {
            let a = scale[0]
            if let b = offset?[0] {
                for index in part { y[index] = x[index] * a + b }
            } else {
                for index in part { y[index] = x[index] * a }
            }
            return
        }
        for channel in 0..<channels {
            let a = scale[channel]
            if let b = offset?[channel] {
                for index in stride(from: part.lowerBound + channel, to: part.upperBound, by: channels) { y[index] = x[index] * a + b }
            } else {
                for index in stride(from: part.lowerBound + channel, to: part.upperBound, by: channels) { y[index] = x[index] * a }
            }
        }
    }
}
