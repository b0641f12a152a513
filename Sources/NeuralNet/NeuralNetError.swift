import SteerLensSupport

/// Errors raised while building or running a ``Model``: all are problems with the model or its input.
public enum NeuralNetError: SteerLensError, Equatable {
    /// A layer received an input whose shape it cannot handle.
    case shapeMismatch(layer: String, detail: String)
    /// A layer's hyperparameters or weights are inconsistent (e.g. bias length ≠ filters).
    case invalidConfiguration(layer: String, detail: String)
    /// The model graph is malformed: unknown or duplicate node names, cycles, missing outputs.
    case invalidGraph(detail: String)
    /// A tensor passed to ``Model/forward(_:)-(Tensor)`` does not match the declared input.
    case inputMismatch(input: String, expected: [Int], got: [Int])

    public var kind: FailureKind { .badInput }

    public var message: String {
        switch self {
        case .shapeMismatch(let layer, let detail):
            return "layer '\(layer)': shape mismatch: \(detail)"
        case .invalidConfiguration(let layer, let detail):
            return "layer '\(layer)': invalid configuration: \(detail)"
        case .invalidGraph(let detail):
            return "invalid model graph: \(detail)"
        case .inputMismatch(let input, let expected, let got):
            return "model input '\(input)' expects shape [N, \(expected.map(String.init).joined(separator: ", "))], got \(got)"
        }
    }

    public var hint: String {
        switch self {
        case .shapeMismatch, .invalidConfiguration:
            return "check the model file or the layer's weights and configuration"
        case .invalidGraph:
            return "check the layer names and inbound connections of the model"
        case .inputMismatch:
            return "check the preprocessing (crop/resize/colour) against the model's input shape"
        }
    }
}
