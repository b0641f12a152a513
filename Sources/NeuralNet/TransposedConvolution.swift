/// 2-D transposed convolution (ONNX `ConvTranspose`, PyTorch `ConvTranspose2d`, Keras `Conv2DTranspose`)
/// with explicit cropping and optional bias.
///
/// Layouts: input `[N, H, W, Cin]`, output `[N, OH, OW, Cout]` (NHWC); `kernel` is `[KH, KW, Cin, Cout]`,
/// `bias` `[Cout]`. With strides `s`, leading crops `(top, left)` and the output size given:
/// `y[n, i·sh − top + ky, j·sw − left + kx, o] += x[n, i, j, c]·k[ky, kx, c, o]` for every input cell,
/// then `+ b[o]`; contributions that fall outside the output are dropped (ONNX's pads and
/// `output_padding` become `top`/`left` and the output size). Backward is the adjoint:
/// `dx[n, i, j, c] = Σ dy[n, i·sh − top + ky, j·sw − left + kx, o]·k[ky, kx, c, o]` over the cells inside.
/// Direct loops (decoder heads are small). See https://onnx.ai/onnx/operators/onnx__ConvTranspose.html.
public final class Conv2DTranspose: UnaryLayer {
    public let name: String
    public let kernel: Tensor
    public let bias: Tensor?
    public let strides: (height: Int, width: Int)
    /// Rows/columns cropped from the start of the full output.
    public let crop: (top: Int, left: Int)
    /// The output's spatial size for an input of `inputSize`.
    public let outputSize: (height: Int, width: Int)
    public let inputSize: (height: Int, width: Int)
    public var typeName: String { "Conv2DTranspose" }
    public var parameterCount: Int { kernel.count + (bias?.count ?? 0) }

    /// - Parameters:
    ///   - kernel: `[KH, KW, Cin, Cout]`.
    ///   - inputSize, outputSize: spatial sizes (the output's follows from ONNX's pads and output_padding).
    public init(name: String = "conv2d_transpose", kernel: Tensor, bias: Tensor? = nil, strides: (Int, Int),
                crop: (top: Int, left: Int), inputSize: (Int, Int), outputSize: (Int, Int)) throws {
        guard kernel.shape.count == 4, kernel.count > 0 else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "kernel must be [KH, KW, Cin, Cout], got \(describe(kernel.shape))")
        }
        if let bias, bias.count != kernel.shape[3] {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "bias has \(bias.count) values for \(kernel.shape[3]) filters")
        }
        guard strides.0 >= 1, strides.1 >= 1, crop.top >= 0, crop.left >= 0, outputSize.0 >= 1, outputSize.1 >= 1, inputSize.0 >= 1, inputSize.1 >= 1 else {
            throw NeuralNetError.invalidConfiguration(layer: name, detail: "strides \(strides), crop \(crop), sizes \(inputSize) → \(outputSize) must be positive")
        }
        self.name = name
        self.kernel = kernel
        self.bias = bias
        self.strides = (strides.0, strides.1)
        self.crop = (crop.top, crop.left)
        self.inputSize = (inputSize.0, inputSize.1)
        self.outputSize = (outputSize.0, outputSize.1)
    }

    public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
        guard shape == [inputSize.height, inputSize.width, kernel.shape[2]] else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "expects [\(inputSize.height), \(inputSize.width), \(kernel.shape[2])], got \(describe(shape))")
        }
        return [outputSize.height, outputSize.width, kernel.shape[3]]
    }

    /// Calls `body(inputOffset, outputOffset, kernelOffset)` (channel 0 of each) for every input cell and
    /// kernel tap whose output cell lies inside the output.
    private func forEachTap(batch: Int, _ body: (Int, Int, Int) -> Void) {
        let (kh, kw, cin, cout) = (kernel.shape[0], kernel.shape[1], kernel.shape[2], kernel.shape[3])
        for n in 0..<batch {
            for i in 0..<inputSize.height {
                for j in 0..<inputSize.width {
                    let inputOffset = ((n * inputSize.height + i) * inputSize.width + j) * cin
                    for ky in 0..<kh {
                        let y = i * strides.height - crop.top + ky
                        guard y >= 0 && y < outputSize.height else { continue }
                        for kx in 0..<kw {
                            let x = j * strides.width - crop.left + kx
                            guard x >= 0 && x < outputSize.width else { continue }
                            body(inputOffset, ((n * outputSize.height + y) * outputSize.width + x) * cout, (ky * kw + kx) * cin * cout)
                        }
                    }
                }
            }
        }
    }

    public func forward(_ input: Tensor) -> Tensor {
        let (cin, cout) = (kernel.shape[2], kernel.shape[3])
        let batch = input.batchSize
        var output = [Float](repeating: 0, count: batch * outputSize.height * outputSize.width * cout)
        kernel.scalars.withUnsafeBufferPointer { k in
            input.scalars.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    forEachTap(batch: batch) { inputOffset, outputOffset, kernelOffset in
                        for c in 0..<cin {
                            let value = x[inputOffset + c], row = kernelOffset + c * cout
                            for o in 0..<cout { y[outputOffset + o] += value * k[row + o] }
                        }
                    }
                }
            }
        }
        if let bias {
            for index in output.indices { output[index] += bias.scalars[index % cout] }
        }
        return Tensor(shape: [batch, outputSize.height, outputSize.width, cout], scalars: output)
    }

    public func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor {
        let (cin, cout) = (kernel.shape[2], kernel.shape[3])
        let batch = outputGradient.batchSize
        var gradient = [Float](repeating: 0, count: batch * inputSize.height * inputSize.width * cin)
        kernel.scalars.withUnsafeBufferPointer { k in
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                gradient.withUnsafeMutableBufferPointer { dx in
                    forEachTap(batch: batch) { inputOffset, outputOffset, kernelOffset in
                        for c in 0..<cin {
                            var sum: Float = 0
                            let row = kernelOffset + c * cout
                            for o in 0..<cout { sum += dy[outputOffset + o] * k[row + o] }
                            dx[inputOffset + c] += sum
                        }
                    }
                }
            }
        }
        return Tensor(shape: [batch, inputSize.height, inputSize.width, cin], scalars: gradient)
    }
}
