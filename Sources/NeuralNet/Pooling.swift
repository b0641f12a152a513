/// Spatial pooling: `MaxPooling2D`, `AveragePooling2D`, `GlobalAveragePooling2D`.
///
/// Layouts: input `[N, H, W, C]`, output `[N, OH, OW, C]` (global pooling: `[N, C]`). Windows and
/// `SAME` padding follow TensorFlow (see ``Padding``): padded cells never win a max and are not counted
/// in an average (TF divides by the number of valid elements). See https://keras.io/api/layers/pooling_layers/.

/// Max over each window; backward routes the gradient to the first maximal element in row-major window
/// order (ties are measure-zero for real data).
public final class MaxPooling2D: UnaryLayer {
    public let name: String
    public let poolSize: (height: Int, width: Int)
    public let strides: (height: Int, width: Int)
    public let padding: Padding
    public var typeName: String { "MaxPooling2D" }
    public var parameterCount: Int { 0 }

    private var inputShape: [Int]?
    /// For each output element, the flat index of the input element that won.
    private var winners: [Int] = []

    /// `strides` defaults to `poolSize`, as in Keras.
    public init(name: String = "max_pooling2d", poolSize: (Int, Int) = (2, 2), strides: (Int, Int)? = nil, padding: Padding = .valid) throws {
        (self.poolSize, self.strides) = try poolingWindow(layer: name, poolSize: poolSize, strides: strides)
        self.name = name
        self.padding = padding
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        try poolingOutputShape(layer: name, inputShape: shape, poolSize: poolSize, strides: strides, padding: padding)
    }

    public func forward(_ input: Tensor) -> Tensor {
        let item = Array(input.shape.dropFirst())
        let (rows, cols) = poolingGeometry(layer: name, batchShape: input.shape, poolSize: poolSize, strides: strides, padding: padding)
        let batch = input.shape[0], channels = item[2]
        let outputCount = batch * rows.output * cols.output * channels
        if winners.count != outputCount { winners = [Int](repeating: 0, count: outputCount) }
        inputShape = input.shape
        return Tensor(shape: [batch, rows.output, cols.output, channels]) { out in
            input.scalars.withUnsafeBufferPointer { x in
                winners.withUnsafeMutableBufferPointer { winner in
                    var o = 0
                    for n in 0..<batch {
                        for oh in 0..<rows.output {
                            let top = oh * rows.stride - rows.padBefore
                            let y0 = max(top, 0), y1 = min(top + rows.kernel, rows.input)
                            for ow in 0..<cols.output {
                                let left = ow * cols.stride - cols.padBefore
                                let x0 = max(left, 0), x1 = min(left + cols.kernel, cols.input)
                                for c in 0..<channels {
                                    var best = -Float.infinity
                                    var bestIndex = ((n * rows.input + y0) * cols.input + x0) * channels + c
                                    for ih in y0..<y1 {
                                        var index = ((n * rows.input + ih) * cols.input + x0) * channels + c
                                        for _ in x0..<x1 {
                                            if x[index] > best { best = x[index]; bestIndex = index }
                                            index += channels
                                        }
                                    }
                                    out[o] = best
                                    winner[o] = bestIndex
                                    o += 1
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let inputShape else { preconditionFailure("\(name): backward before forward") }
        precondition(outputGradient.count == winners.count, "\(name): gradient shape \(outputGradient.shape) does not match the output")
        var result = Tensor(zeros: inputShape)
        result.scalars.withUnsafeMutableBufferPointer { dx in
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                winners.withUnsafeBufferPointer { winner in
                    for o in 0..<dy.count { dx[winner[o]] += dy[o] }
                }
            }
        }
        return result
    }
}

/// Mean over each window; with `SAME` padding the divisor is the number of valid (unpadded) elements.
public final class AveragePooling2D: UnaryLayer {
    public let name: String
    public let poolSize: (height: Int, width: Int)
    public let strides: (height: Int, width: Int)
    public let padding: Padding
    public var typeName: String { "AveragePooling2D" }
    public var parameterCount: Int { 0 }

    private var cached: (rows: AxisGeometry, columns: AxisGeometry, batch: Int, channels: Int)?

    /// `strides` defaults to `poolSize`, as in Keras.
    public init(name: String = "average_pooling2d", poolSize: (Int, Int) = (2, 2), strides: (Int, Int)? = nil, padding: Padding = .valid) throws {
        (self.poolSize, self.strides) = try poolingWindow(layer: name, poolSize: poolSize, strides: strides)
        self.name = name
        self.padding = padding
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        try poolingOutputShape(layer: name, inputShape: shape, poolSize: poolSize, strides: strides, padding: padding)
    }

    public func forward(_ input: Tensor) -> Tensor {
        let item = Array(input.shape.dropFirst())
        let (rows, cols) = poolingGeometry(layer: name, batchShape: input.shape, poolSize: poolSize, strides: strides, padding: padding)
        let batch = input.shape[0], channels = item[2]
        cached = (rows, cols, batch, channels)
        return Tensor(shape: [batch, rows.output, cols.output, channels]) { out in
            out.update(repeating: 0)
            input.scalars.withUnsafeBufferPointer { x in
                AveragePooling2D.visitWindows(rows: rows, columns: cols, batch: batch, channels: channels) { o, i, count in
                    for c in 0..<channels { out[o + c] += x[i + c] }
                    if count > 0 { for c in 0..<channels { out[o + c] /= Float(count) } }
                }
            }
        }
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let (rows, cols, batch, channels) = cached else { preconditionFailure("\(name): backward before forward") }
        precondition(outputGradient.count == batch * rows.output * cols.output * channels, "\(name): gradient shape \(outputGradient.shape) does not match the output")
        var result = Tensor(zeros: [batch, rows.input, cols.input, channels])
        result.scalars.withUnsafeMutableBufferPointer { dx in
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                AveragePooling2D.visitWindows(rows: rows, columns: cols, batch: batch, channels: channels, divisorLast: false) { o, i, count in
                    let scale = 1 / Float(count)
                    for c in 0..<channels { dx[i + c] += dy[o + c] * scale }
                }
            }
        }
        return result
    }

    /// Calls `body(outputOffset, inputOffset, count)` for every (output pixel, valid input pixel) pair.
    /// With `divisorLast` (forward), `count` is 0 except on the last pixel of each window, where it is the
    /// number of valid pixels; otherwise `count` is always that number.
    @inline(__always)
    private static func visitWindows(
        rows: AxisGeometry, columns cols: AxisGeometry, batch: Int, channels: Int, divisorLast: Bool = true,
        _ body: (Int, Int, Int) -> Void
    ) {
        var o = 0
        for n in 0..<batch {
            for oh in 0..<rows.output {
                let top = oh * rows.stride - rows.padBefore
                let y0 = max(top, 0), y1 = min(top + rows.kernel, rows.input)
                for ow in 0..<cols.output {
                    let left = ow * cols.stride - cols.padBefore
                    let x0 = max(left, 0), x1 = min(left + cols.kernel, cols.input)
                    let count = (y1 - y0) * (x1 - x0)
                    var visited = 0
                    for ih in y0..<y1 {
                        for iw in x0..<x1 {
                            visited += 1
                            let i = ((n * rows.input + ih) * cols.input + iw) * channels
                            body(o, i, divisorLast ? (visited == count ? count : 0) : count)
                        }
                    }
                    o += channels
                }
            }
        }
    }
}

/// Mean over all pixels per channel: `[N, H, W, C] → [N, C]` (Keras `GlobalAveragePooling2D`).
public final class GlobalAveragePooling2D: UnaryLayer {
    public let name: String
    public var typeName: String { "GlobalAveragePooling2D" }
    public var parameterCount: Int { 0 }
    private var inputShape: [Int]?

    public init(name: String = "global_average_pooling2d") { self.name = name }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        try globalPoolingOutputShape(layer: name, inputShape: shape)
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.shape.count == 4, "\(name): expects [N, H, W, C], got \(input.shape)")
        inputShape = input.shape
        let batch = input.shape[0], pixels = input.shape[1] * input.shape[2], channels = input.shape[3]
        return Tensor(shape: [batch, channels]) { out in
            out.update(repeating: 0)
            input.scalars.withUnsafeBufferPointer { x in
                for n in 0..<batch {
                    for p in 0..<pixels {
                        let i = (n * pixels + p) * channels
                        for c in 0..<channels { out[n * channels + c] += x[i + c] }
                    }
                    for c in 0..<channels { out[n * channels + c] /= Float(pixels) }
                }
            }
        }
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let inputShape else { preconditionFailure("\(name): backward before forward") }
        let batch = inputShape[0], pixels = inputShape[1] * inputShape[2], channels = inputShape[3]
        let scale = 1 / Float(pixels)
        return Tensor(shape: inputShape) { dx in
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                for n in 0..<batch {
                    for p in 0..<pixels {
                        let i = (n * pixels + p) * channels
                        for c in 0..<channels { dx[i + c] = dy[n * channels + c] * scale }
                    }
                }
            }
        }
    }
}

// MARK: Window shared by the pooling layers

/// The output shape `[C]` of a global pooling layer over an image `[H, W, C]`.
func globalPoolingOutputShape(layer: String, inputShape shape: [Int]) throws -> [Int] {
    guard shape.count == 3 else {
        throw NeuralNetError.shapeMismatch(layer: layer, detail: "expects an image [H, W, C], got \(describe(shape))")
    }
    return [shape[2]]
}

/// Validated pool size and strides (`strides` defaults to `poolSize`, as in Keras).
private func poolingWindow(layer: String, poolSize: (Int, Int), strides: (Int, Int)?) throws
    -> (poolSize: (height: Int, width: Int), strides: (height: Int, width: Int)) {
    let strides = strides ?? poolSize
    guard poolSize.0 >= 1, poolSize.1 >= 1, strides.0 >= 1, strides.1 >= 1 else {
        throw NeuralNetError.invalidConfiguration(layer: layer, detail: "pool size \(poolSize) and strides \(strides) must be positive")
    }
    return ((poolSize.0, poolSize.1), (strides.0, strides.1))
}

/// `[rows, columns, channels]` of a pooling layer's output for an `[H, W, C]` input.
private func poolingOutputShape(layer: String, inputShape shape: [Int], poolSize: (height: Int, width: Int),
                                strides: (height: Int, width: Int), padding: Padding) throws -> [Int] {
    let (rows, columns) = try windowGeometry(layer: layer, inputShape: shape, kernel: (poolSize.height, poolSize.width),
                                             strides: (strides.height, strides.width), padding: padding)
    return [rows.output, columns.output, shape[2]]
}

/// Row and column geometry for a batch `[N, H, W, C]` whose shape was checked when the model was built.
private func poolingGeometry(layer: String, batchShape: [Int], poolSize: (height: Int, width: Int),
                             strides: (height: Int, width: Int), padding: Padding) -> (rows: AxisGeometry, columns: AxisGeometry) {
    guard let geometry = try? windowGeometry(layer: layer, inputShape: Array(batchShape.dropFirst()), kernel: (poolSize.height, poolSize.width),
                                             strides: (strides.height, strides.width), padding: padding)
    else { preconditionFailure("\(layer): bad input \(batchShape)") }
    return geometry
}
