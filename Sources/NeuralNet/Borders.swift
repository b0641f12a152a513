/// Spatial border layers: `Cropping2D` removes rows/columns, `ZeroPadding2D` adds zero rows/columns.
/// Layout: `[N, H, W, C]` in and out; each is the other's adjoint.

/// Copies between an outer `[N, outerHeight, outerWidth, C]` tensor and the inner rectangle starting at
/// `(top, left)` of extent `innerHeight × innerWidth`: outer → inner (crop) when `innerToOuter` is false,
/// inner → outer (pad; the rest of the outer tensor is left untouched) when true.
private func copyWindow(
    batch: Int, outerHeight: Int, outerWidth: Int, channels: Int,
    top: Int, left: Int, innerHeight: Int, innerWidth: Int,
    from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, innerToOuter: Bool
) {
    let rowLength = innerWidth * channels
    for n in 0..<batch {
        for r in 0..<innerHeight {
            let outer = ((n * outerHeight + top + r) * outerWidth + left) * channels
            let inner = (n * innerHeight + r) * rowLength
            if innerToOuter {
                (target + outer).update(from: source + inner, count: rowLength)
            } else {
                (target + inner).update(from: source + outer, count: rowLength)
            }
        }
    }
}

/// Keras `Cropping2D(cropping=((top, bottom), (left, right)))`.
public final class Cropping2D: UnaryLayer {
    public let name: String
    public let top: Int, bottom: Int, left: Int, right: Int
    public var typeName: String { "Cropping2D" }
    public var parameterCount: Int { 0 }
    private var inputShape: [Int]?
    private var recycledOutput: Tensor?

    public init(name: String = "cropping2d", top: Int = 0, bottom: Int = 0, left: Int = 0, right: Int = 0) throws {
        guard [top, bottom, left, right].allSatisfy({ $0 >= 0 }) else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "negative cropping \(((top, bottom), (left, right)))")
        }
        self.name = name
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard shape.count == 3, shape[0] > top + bottom, shape[1] > left + right else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "cannot crop ((\(top), \(bottom)), (\(left), \(right))) from \(describe(shape))")
        }
        return [shape[0] - top - bottom, shape[1] - left - right, shape[2]]
    }

    public func forward(_ input: Tensor) -> Tensor {
        guard let item = try? outputShape(forInputShape: Array(input.shape.dropFirst())) else {
            preconditionFailure("\(name): bad input \(input.shape)")
        }
        inputShape = input.shape
        return Tensor(shape: [input.shape[0]] + item, recycling: &recycledOutput) { out in
            input.scalars.withUnsafeBufferPointer { x in
                copyWindow(batch: input.shape[0], outerHeight: input.shape[1], outerWidth: input.shape[2], channels: item[2],
                           top: top, left: left, innerHeight: item[0], innerWidth: item[1],
                           from: x.baseAddress!, to: out.baseAddress!, innerToOuter: false)
            }
        }
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let inputShape else { preconditionFailure("\(name): backward before forward") }
        let gradient = outputGradient
        return Tensor(shape: inputShape) { dx in
            dx.update(repeating: 0)
            gradient.scalars.withUnsafeBufferPointer { dy in
                copyWindow(batch: inputShape[0], outerHeight: inputShape[1], outerWidth: inputShape[2], channels: inputShape[3],
                           top: top, left: left, innerHeight: gradient.shape[1], innerWidth: gradient.shape[2],
                           from: dy.baseAddress!, to: dx.baseAddress!, innerToOuter: true)
            }
        }
    }
}

/// Keras `ZeroPadding2D(padding=((top, bottom), (left, right)))`; with a `value` other than 0, constant
/// padding (an ONNX `MaxPool`'s implicit −∞ border, as the lowest finite Float). Backward crops.
public final class ZeroPadding2D: UnaryLayer {
    public let name: String
    public let top: Int, bottom: Int, left: Int, right: Int
    /// The value of the added cells.
    public let value: Float
    public var typeName: String { value == 0 ? "ZeroPadding2D" : "ConstantPadding2D" }
    public var parameterCount: Int { 0 }
    private var inputShape: [Int]?

    public init(name: String = "zero_padding2d", top: Int = 1, bottom: Int = 1, left: Int = 1, right: Int = 1, value: Float = 0) throws {
        guard [top, bottom, left, right].allSatisfy({ $0 >= 0 }) else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "negative padding \(((top, bottom), (left, right)))")
        }
        self.name = name
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
        self.value = value
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard shape.count == 3 else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "expects an image [H, W, C], got \(describe(shape))")
        }
        return [shape[0] + top + bottom, shape[1] + left + right, shape[2]]
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.shape.count == 4, "\(name): expects [N, H, W, C], got \(input.shape)")
        inputShape = input.shape
        let (batch, height, width, channels) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        var result = Tensor(repeating: value, shape: [batch, height + top + bottom, width + left + right, channels])
        result.scalars.withUnsafeMutableBufferPointer { y in
            input.scalars.withUnsafeBufferPointer { x in
                copyWindow(batch: batch, outerHeight: height + top + bottom, outerWidth: width + left + right, channels: channels,
                           top: top, left: left, innerHeight: height, innerWidth: width,
                           from: x.baseAddress!, to: y.baseAddress!, innerToOuter: true)
            }
        }
        return result
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let inputShape else { preconditionFailure("\(name): backward before forward") }
        let gradient = outputGradient
        return Tensor(shape: inputShape) { dx in
            gradient.scalars.withUnsafeBufferPointer { dy in
                copyWindow(batch: inputShape[0], outerHeight: gradient.shape[1], outerWidth: gradient.shape[2], channels: inputShape[3],
                           top: top, left: left, innerHeight: inputShape[1], innerWidth: inputShape[2],
                           from: dy.baseAddress!, to: dx.baseAddress!, innerToOuter: false)
            }
        }
    }
}
