/// 2-D cross-correlation (Keras `Conv2D` / `Convolution2D`), with optional bias and fused activation.
///
/// Layouts: input `[N, H, W, Cin]`, output `[N, OH, OW, Cout]` (NHWC); `kernel` is `[KH, KW, Cin, Cout]`
/// exactly as Keras stores it (no flip), `bias` is `[Cout]`. Padding follows TensorFlow (see ``Padding``).
///
/// Forward: im2col into an `M × K` matrix (`M = N·OH·OW` rows for the whole batch, `K = KH·KW·Cin`
/// columns in kernel order) and one `sgemm` with the kernel viewed as `K × Cout`; the bias is written
/// into the output first and accumulated with `beta = 1`. A 1×1, stride-1 convolution skips im2col.
/// Backward to the input: `dCols = dZ · Wᵀ` (`sgemm`) then col2im (scatter-add).
/// The column buffer is kept between calls and only grows. See https://keras.io/api/layers/convolution_layers/convolution2d/.
public final class Conv2D: UnaryLayer {
    public let name: String
    public let kernel: Tensor
    public let bias: Tensor?
    public let strides: (height: Int, width: Int)
    public let padding: Padding
    public let activation: ActivationKind
    public var typeName: String { "Conv2D" }
    public var parameterCount: Int { kernel.count + (bias?.count ?? 0) }

    public var kernelSize: (height: Int, width: Int) { (kernel.shape[0], kernel.shape[1]) }
    public var inputChannels: Int { kernel.shape[2] }
    public var filters: Int { kernel.shape[3] }

    // Forward cache: the activated output (for the activation backward) and the geometry.
    private var output: Tensor?
    private var cachedGeometry: (rows: AxisGeometry, columns: AxisGeometry, batch: Int)?
    // Scratch: im2col columns in forward, their gradient in backward. Reused across calls.
    private var columns: [Float] = []

    /// - Parameters:
    ///   - kernel: `[KH, KW, Cin, Cout]`.
    ///   - bias: `[Cout]`, or `nil` for `use_bias=False`.
    public init(
        name: String = "conv2d", kernel: Tensor, bias: Tensor? = nil,
        strides: (Int, Int) = (1, 1), padding: Padding = .valid, activation: ActivationKind = .linear
    ) throws {
        guard kernel.shape.count == 4, kernel.count > 0 else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "kernel must be [KH, KW, Cin, Cout], got \(describe(kernel.shape))")
        }
        if let bias, bias.count != kernel.shape[3] {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "bias has \(bias.count) values for \(kernel.shape[3]) filters")
        }
        guard strides.0 >= 1, strides.1 >= 1 else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "strides must be positive, got \(strides)")
        }
        if let problem = activation.configurationProblem {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: problem)
        }
        self.name = name
        self.kernel = kernel
        self.bias = bias
        self.strides = (strides.0, strides.1)
        self.padding = padding
        self.activation = activation
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        let (rows, columns) = try windowGeometry(
            layer: name, inputShape: shape, kernel: (kernel.shape[0], kernel.shape[1]),
            strides: (strides.height, strides.width), padding: padding)
        guard shape[2] == inputChannels else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "kernel expects \(inputChannels) input channels, input \(describe(shape)) has \(shape[2])")
        }
        return [rows.output, columns.output, filters]
    }

    /// The validated geometry for an input shape; a mismatch here is a programming error (the model
    /// checks shapes at construction).
    private func geometry(forInputShape shape: [Int]) -> (rows: AxisGeometry, columns: AxisGeometry) {
        do {
            _ = try outputShape(forInputShape: shape)
            return try windowGeometry(
                layer: name, inputShape: shape, kernel: (kernel.shape[0], kernel.shape[1]),
                strides: (strides.height, strides.width), padding: padding)
        } catch {
            preconditionFailure("\(error)")
        }
    }

    /// Whether the input itself is the column matrix (1×1 kernel, stride 1, no padding).
    private func isPointwise(_ rows: AxisGeometry, _ columns: AxisGeometry) -> Bool {
        rows.kernel == 1 && columns.kernel == 1 && rows.stride == 1 && columns.stride == 1
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.shape.count == 4, "\(name): expects [N, H, W, C], got \(input.shape)")
        let (rows, cols) = geometry(forInputShape: Array(input.shape.dropFirst()))
        let outputShape = [rows.output, cols.output, filters]
        let batch = input.shape[0]
        let m = batch * rows.output * cols.output
        let k = kernel.shape[0] * kernel.shape[1] * inputChannels
        let n = filters
        let pointwise = isPointwise(rows, cols)
        if !pointwise, columns.count < m * k { columns = [Float](repeating: 0, count: m * k) }

        let result = Tensor(shape: [batch] + outputShape) { out in
            // Bias first, accumulated by sgemm (beta = 1); zeros otherwise (beta = 0 ignores content).
            if let bias {
                bias.scalars.withUnsafeBufferPointer { b in
                    for row in 0..<m { (out.baseAddress! + row * n).update(from: b.baseAddress!, count: n) }
                }
            }
            let beta: Float = bias == nil ? 0 : 1
            input.scalars.withUnsafeBufferPointer { x in
                kernel.scalars.withUnsafeBufferPointer { w in
                    if pointwise {
                        sgemm(m: m, n: n, k: k, a: x.baseAddress!, lda: k, b: w.baseAddress!, ldb: n,
                              beta: beta, c: out.baseAddress!, ldc: n)
                    } else {
                        columns.withUnsafeMutableBufferPointer { c in
                            Conv2D.im2col(x, into: c, batch: batch, rows: rows, columns: cols, channels: inputChannels)
                            sgemm(m: m, n: n, k: k, a: c.baseAddress!, lda: k, b: w.baseAddress!, ldb: n,
                                  beta: beta, c: out.baseAddress!, ldc: n)
                        }
                    }
                }
            }
            activation.apply(out, featureCount: n)
        }
        output = result
        cachedGeometry = (rows, cols, batch)
        return result
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let output, let (rows, cols, batch) = cachedGeometry else { preconditionFailure("\(name): backward before forward") }
        precondition(outputGradient.shape == output.shape, "\(name): gradient shape \(outputGradient.shape) != \(output.shape)")
        let m = batch * rows.output * cols.output
        let k = kernel.shape[0] * kernel.shape[1] * inputChannels
        let n = filters
        // dZ = activation backward (in a copy of dY).
        var preActivationGradient = outputGradient
        preActivationGradient.scalars.withUnsafeMutableBufferPointer { dz in
            output.scalars.withUnsafeBufferPointer { y in
                activation.backward(output: y, outputGradient: UnsafeBufferPointer(dz), inputGradient: dz,
                                    featureCount: n, modifier: modifier)
            }
        }
        let inputShape = [batch, rows.input, cols.input, inputChannels]
        if isPointwise(rows, cols) {
            return Tensor(shape: inputShape) { dx in
                preActivationGradient.scalars.withUnsafeBufferPointer { dz in
                    kernel.scalars.withUnsafeBufferPointer { w in
                        sgemm(transposeB: true, m: m, n: k, k: n, a: dz.baseAddress!, lda: n, b: w.baseAddress!, ldb: n,
                              beta: 0, c: dx.baseAddress!, ldc: k)
                    }
                }
            }
        }
        if columns.count < m * k { columns = [Float](repeating: 0, count: m * k) }
        var inputGradient = Tensor(zeros: inputShape)
        preActivationGradient.scalars.withUnsafeBufferPointer { dz in
            kernel.scalars.withUnsafeBufferPointer { w in
                columns.withUnsafeMutableBufferPointer { c in
                    sgemm(transposeB: true, m: m, n: k, k: n, a: dz.baseAddress!, lda: n, b: w.baseAddress!, ldb: n,
                          beta: 0, c: c.baseAddress!, ldc: k)
                    inputGradient.scalars.withUnsafeMutableBufferPointer { dx in
                        Conv2D.col2im(UnsafeBufferPointer(c), into: dx, batch: batch, rows: rows, columns: cols, channels: inputChannels)
                    }
                }
            }
        }
        return inputGradient
    }

    /// Gathers every receptive field into one row of `columns` (`[N·OH·OW, KH·KW·C]`), zeros for padding.
    static func im2col(
        _ x: UnsafeBufferPointer<Float>, into columns: UnsafeMutableBufferPointer<Float>,
        batch: Int, rows: AxisGeometry, columns cols: AxisGeometry, channels: Int
    ) {
        let imageStride = rows.input * cols.input * channels
        let source = x.baseAddress!
        var target = columns.baseAddress!
        for n in 0..<batch {
            let image = source + n * imageStride
            for oh in 0..<rows.output {
                let top = oh * rows.stride - rows.padBefore
                for ow in 0..<cols.output {
                    let left = ow * cols.stride - cols.padBefore
                    for ky in 0..<rows.kernel {
                        let ih = top + ky
                        if ih < 0 || ih >= rows.input {
                            target.update(repeating: 0, count: cols.kernel * channels)
                            target += cols.kernel * channels
                            continue
                        }
                        let line = image + ih * cols.input * channels
                        // Columns [left, left + KW) clipped to the image; the rest is zero padding.
                        let first = max(left, 0), last = min(left + cols.kernel, cols.input)
                        let before = (first - left) * channels
                        if before > 0 { target.update(repeating: 0, count: before) }
                        if last > first {
                            (target + before).update(from: line + first * channels, count: (last - first) * channels)
                        }
                        let filled = before + max(last - first, 0) * channels
                        let after = cols.kernel * channels - filled
                        if after > 0 { (target + filled).update(repeating: 0, count: after) }
                        target += cols.kernel * channels
                    }
                }
            }
        }
    }

    /// Adds every row of `columns` back onto its receptive field in `x` (the adjoint of im2col).
    static func col2im(
        _ columns: UnsafeBufferPointer<Float>, into x: UnsafeMutableBufferPointer<Float>,
        batch: Int, rows: AxisGeometry, columns cols: AxisGeometry, channels: Int
    ) {
        let imageStride = rows.input * cols.input * channels
        let target = x.baseAddress!
        var source = columns.baseAddress!
        for n in 0..<batch {
            let image = target + n * imageStride
            for oh in 0..<rows.output {
                let top = oh * rows.stride - rows.padBefore
                for ow in 0..<cols.output {
                    let left = ow * cols.stride - cols.padBefore
                    for ky in 0..<rows.kernel {
                        let ih = top + ky
                        if ih >= 0 && ih < rows.input {
                            let line = image + ih * cols.input * channels
                            let first = max(left, 0), last = min(left + cols.kernel, cols.input)
                            if last > first {
                                let from = source + (first - left) * channels
                                let to = line + first * channels
                                for i in 0..<((last - first) * channels) { to[i] += from[i] }
                            }
                        }
                        source += cols.kernel * channels
                    }
                }
            }
        }
    }
}
