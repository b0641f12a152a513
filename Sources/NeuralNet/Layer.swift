/// A differentiable inference layer: forward caches what backward needs.
///
/// Shapes passed to ``outputShape(forInputShapes:)`` exclude the batch axis (`[H, W, C]` for images,
/// `[features]` for vectors); tensors passed to ``forward(inputs:)`` include it (`[N, H, W, C]`).
/// ``backward(outputGradient:modifier:)`` returns the gradient with respect to each input for the most
/// recent forward call, and may be called several times after one forward (it never consumes the cache).
///
/// Layers are classes holding caches and scratch buffers: one instance belongs to one model node and is
/// not thread-safe. Parameter gradients are not computed.
public protocol Layer: AnyObject {
    /// The node name, unique within a ``Model`` (Keras layer name).
    var name: String { get }
    /// The Keras class name, e.g. `Conv2D`, for summaries and error messages.
    var typeName: String { get }
    /// Number of stored weights (kernel, bias, statistics...), as Keras counts them.
    var parameterCount: Int { get }
    /// The output shape (without batch) for the given input shapes, or a ``NeuralNetError`` naming the layer.
    func outputShape(forInputShapes shapes: [[Int]]) throws -> [Int]
    /// Computes the output for a batch and caches what ``backward(outputGradient:modifier:)`` needs.
    func forward(inputs: [Tensor]) -> Tensor
    /// The gradients with respect to each input, given the gradient with respect to the output.
    func backward(outputGradient: Tensor, modifier: BackpropModifier?) -> [Tensor]
    /// Drops what the layer kept of its inputs for the latest backward. A ``Model`` calls it on every
    /// layer before the next forward pass, so the layers that produced those tensors can write the next
    /// batch into the same storage instead of copying it first (a layer that held its input this way
    /// made the layer before it copy a batch-sized tensor every pass).
    func releaseInputs()
}

extension Layer {
    /// Most layers keep nothing of their inputs.
    public func releaseInputs() {}
}

/// A layer with exactly one input.
public protocol UnaryLayer: Layer {
    /// The output shape (without batch) for one input shape (without batch).
    func outputShape(forInputShape shape: [Int]) throws -> [Int]
    /// Computes the output for a batch and caches what backward needs.
    func forward(_ input: Tensor) -> Tensor
    /// The gradient with respect to the input of the latest forward call.
    func backward(_ outputGradient: Tensor, modifier: BackpropModifier?) -> Tensor
}

extension UnaryLayer {
    public func outputShape(forInputShapes shapes: [[Int]]) throws -> [Int] {
        guard shapes.count == 1 else {
            throw NeuralNetError.shapeMismatch(layer: name, detail: "\(typeName) takes one input, got \(shapes.count)")
        }
        return try outputShape(forInputShape: shapes[0])
    }

    public func forward(inputs: [Tensor]) -> Tensor {
        precondition(inputs.count == 1, "\(name): \(typeName) takes one input")
        return forward(inputs[0])
    }

    public func backward(outputGradient: Tensor, modifier: BackpropModifier?) -> [Tensor] {
        [backward(outputGradient, modifier: modifier)]
    }

    /// Backward without a modifier (plain gradient).
    public func backward(_ outputGradient: Tensor) -> Tensor {
        backward(outputGradient, modifier: nil)
    }
}

/// How rectifying activations (ReLU, ReLU6, ELU, SELU, LeakyReLU, PReLU and their layers) propagate
/// gradients backwards.
///
/// `nil` everywhere means the true gradient. With a modifier, a rectifying activation with output `y`
/// replaces its local rule by:
/// - ``guided``: `1[dy > 0] · 1[y > 0] · dy` (guided backpropagation, Springenberg et al. 2015);
/// - ``rectified``: `1[dy > 0] · dy` (the "deconvnet" rule, Zeiler & Fergus 2014).
/// Non-rectifying activations (tanh, sigmoid, hard sigmoid, softsign, softmax, softplus, swish, GELU,
/// linear) and all other layers ignore it.
public enum BackpropModifier: Sendable, Hashable {
    case guided
    case rectified
}

/// Spatial padding of convolutions and pooling, with TensorFlow's rules.
public enum Padding: String, Sendable, Hashable {
    /// No padding: `out = floor((in − k) / s) + 1`, requires `in ≥ k`.
    case valid
    /// `out = ceil(in / s)`; total padding `max((out − 1)·s + k − in, 0)`, the odd extra row/column
    /// goes to the bottom/right (TensorFlow `SAME`).
    case same
}

/// The output extent and leading padding along one spatial axis.
struct AxisGeometry: Equatable {
    var input: Int
    var output: Int
    var kernel: Int
    var stride: Int
    /// Zero rows/columns added before the first input element.
    var padBefore: Int

    /// TensorFlow's window geometry; `nil` when the window does not fit (`valid` with `in < k`).
    init?(input: Int, kernel: Int, stride: Int, padding: Padding) {
        guard input >= 1, kernel >= 1, stride >= 1 else { return nil }
        self.input = input
        self.kernel = kernel
        self.stride = stride
        switch padding {
        case .valid:
            guard input >= kernel else { return nil }
            output = (input - kernel) / stride + 1
            padBefore = 0
        case .same:
            output = (input + stride - 1) / stride
            padBefore = max((output - 1) * stride + kernel - input, 0) / 2
        }
    }

    /// No padding on either side: every window lies inside the input.
    var isUnpadded: Bool { padBefore == 0 && (output - 1) * stride + kernel <= input }
}

/// Validates a spatial window for `layer` and returns the geometry of both axes.
func windowGeometry(
    layer: String, inputShape: [Int], kernel: (Int, Int), strides: (Int, Int), padding: Padding
) throws -> (rows: AxisGeometry, columns: AxisGeometry) {
    guard inputShape.count == 3 else {
        throw NeuralNetError.shapeMismatch(layer: layer, detail: "expects an image [H, W, C], got \(describe(inputShape))")
    }
    guard let rows = AxisGeometry(input: inputShape[0], kernel: kernel.0, stride: strides.0, padding: padding),
          let columns = AxisGeometry(input: inputShape[1], kernel: kernel.1, stride: strides.1, padding: padding)
    else {
        throw NeuralNetError.shapeMismatch(
            layer: layer,
            detail: "window \(kernel.0)x\(kernel.1) stride \(strides.0)x\(strides.1) padding \(padding.rawValue) does not fit input \(describe(inputShape))")
    }
    return (rows, columns)
}
