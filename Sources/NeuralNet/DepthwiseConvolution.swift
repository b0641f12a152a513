/// Depthwise 2-D convolution (Keras `DepthwiseConv2D`, and the first half of `SeparableConv2D`), with
/// stride, dilation, optional bias and a fused activation.
///
/// Layouts: input `[N, H, W, C]`, output `[N, OH, OW, C·M]` (NHWC) where `M` is the depth multiplier;
/// `kernel` is `[KH, KW, C, M]` as Keras stores it and output channel `c·M + m` is input channel `c`
/// filtered by `kernel[:, :, c, m]`; `bias` is `[C·M]`. Padding follows TensorFlow with the dilated
/// kernel extent `(K − 1)·D + 1` (see ``Padding``).
///
/// Forward: `y[n, i, j, c·M + m] = act(b + Σ_{ky,kx} x[n, i·sh − pt + ky·dh, j·sw − pl + kx·dw, c]·k[ky, kx, c, m])`
/// (padding cells are zero). Backward: `dZ = dY ⊙ act′(Y)`, then each `dZ` element scatters
/// `dZ·k[ky, kx, c, m]` back onto the input cell it read. Direct loops: a depthwise layer has
/// `KH·KW` multiply-adds per output element, too few for a GEMM to pay off.
/// See https://keras.io/api/layers/convolution_layers/depthwise_convolution2d/.
public final class DepthwiseConv2D: UnaryLayer {
    public let name: String
    public let kernel: Tensor
    public let bias: Tensor?
    public let strides: (height: Int, width: Int)
    public let dilation: (height: Int, width: Int)
    public let padding: Padding
    public let activation: ActivationKind
    public var typeName: String { "DepthwiseConv2D" }
    public var parameterCount: Int { kernel.count + (bias?.count ?? 0) }
    public var channels: Int { kernel.shape[2] }
    public var depthMultiplier: Int { kernel.shape[3] }

    private var output: Tensor?
    private var inputShape: [Int]?

    /// - Parameters:
    ///   - kernel: `[KH, KW, C, M]`.
    ///   - bias: `[C·M]`, or `nil` for `use_bias=False`.
    public init(
        name: String = "depthwise_conv2d", kernel: Tensor, bias: Tensor? = nil, strides: (Int, Int) = (1, 1),
        dilation: (Int, Int) = (1, 1), padding: Padding = .valid, activation: ActivationKind = .linear
    ) throws {
        guard kernel.shape.count == 4, kernel.count > 0 else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "kernel must be [KH, KW, C, M], got \(describe(kernel.shape))")
        }
        if let bias, bias.count != kernel.shape[2] * kernel.shape[3] {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "bias has \(bias.count) values for \(kernel.shape[2] * kernel.shape[3]) output channels")
        }
        guard strides.0 >= 1, strides.1 >= 1, dilation.0 >= 1, dilation.1 >= 1 else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "strides \(strides) and dilation \(dilation) must be positive")
        }
        if let problem = activation.fusionProblem {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: problem)
        }
        self.name = name
        self.kernel = kernel
        self.bias = bias
        self.strides = (strides.0, strides.1)
        self.dilation = (dilation.0, dilation.1)
        self.padding = padding
        self.activation = activation
    }

    private func geometry(_ shape: [Int]) throws -> (rows: AxisGeometry, columns: AxisGeometry) {
        let extent = ((kernel.shape[0] - 1) * dilation.height + 1, (kernel.shape[1] - 1) * dilation.width + 1)
        let geometry = try windowGeometry(layer: name, inputShape: shape, kernel: extent, strides: (strides.height, strides.width), padding: padding)
        guard shape[2] == channels else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "kernel expects \(channels) channels, input \(describe(shape)) has \(shape[2])")
        }
        return geometry
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        let (rows, columns) = try geometry(shape)
        return [rows.output, columns.output, channels * depthMultiplier]
    }

    /// Calls `body(outputIndexBase, inputIndexBase, kernelIndexBase)` for every (output pixel, kernel tap)
    /// pair whose input cell lies inside the image; bases point at channel 0.
    private func forEachTap(batch: Int, rows: AxisGeometry, columns: AxisGeometry, _ body: (Int, Int, Int) -> Void) {
        let (kh, kw, c, m) = (kernel.shape[0], kernel.shape[1], channels, depthMultiplier)
        var o = 0
        for n in 0..<batch {
            for oh in 0..<rows.output {
                let top = oh * rows.stride - rows.padBefore
                for ow in 0..<columns.output {
                    let left = ow * columns.stride - columns.padBefore
                    for ky in 0..<kh {
                        let ih = top + ky * dilation.height
                        guard ih >= 0 && ih < rows.input else { continue }
                        for kx in 0..<kw {
                            let iw = left + kx * dilation.width
                            guard iw >= 0 && iw < columns.input else { continue }
                            body(o, ((n * rows.input + ih) * columns.input + iw) * c, (ky * kw + kx) * c * m)
                        }
                    }
                    o += c * m
                }
            }
        }
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.shape.count == 4, "\(name): expects [N, H, W, C], got \(input.shape)")
        guard let (rows, columns) = try? geometry(Array(input.shape.dropFirst())) else { preconditionFailure("\(name): bad input \(input.shape)") }
        let (c, m) = (channels, depthMultiplier)
        let batch = input.shape[0]
        var result = Tensor(zeros: [batch, rows.output, columns.output, c * m])
        result.scalars.withUnsafeMutableBufferPointer { y in
            input.scalars.withUnsafeBufferPointer { x in
                kernel.scalars.withUnsafeBufferPointer { w in
                    forEachTap(batch: batch, rows: rows, columns: columns) { o, i, k in
                        for ch in 0..<c {
                            let value = x[i + ch]
                            for q in 0..<m { y[o + ch * m + q] += value * w[k + ch * m + q] }
                        }
                    }
                }
            }
            let b = bias?.scalars
            b.map { bias in bias.withUnsafeBufferPointer { activation.apply(y.baseAddress!, count: y.count, addingBias: $0.baseAddress!, featureCount: c * m) } }
                ?? activation.apply(y.baseAddress!, count: y.count, addingBias: nil, featureCount: c * m)
        }
        output = result
        inputShape = input.shape
        return result
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        guard let output, let inputShape, let (rows, columns) = try? geometry(Array(inputShape.dropFirst())) else {
            preconditionFailure("\(name): backward before forward")
        }
        precondition(outputGradient.shape == output.shape, "\(name): gradient shape \(outputGradient.shape) != \(output.shape)")
        var dz = outputGradient
        dz.scalars.withUnsafeMutableBufferPointer { g in
            output.scalars.withUnsafeBufferPointer { y in
                activation.backward(output: y, outputGradient: UnsafeBufferPointer(g), inputGradient: g,
                                    featureCount: channels * depthMultiplier, modifier: modifier)
            }
        }
        let (c, m) = (channels, depthMultiplier)
        var result = Tensor(zeros: inputShape)
        result.scalars.withUnsafeMutableBufferPointer { dx in
            dz.scalars.withUnsafeBufferPointer { g in
                kernel.scalars.withUnsafeBufferPointer { w in
                    forEachTap(batch: inputShape[0], rows: rows, columns: columns) { o, i, k in
                        for ch in 0..<c {
                            var sum: Float = 0
                            for q in 0..<m { sum += g[o + ch * m + q] * w[k + ch * m + q] }
                            dx[i + ch] += sum
                        }
                    }
                }
            }
        }
        return result
    }
}
