import NeuralNet

extension BackpropModifier {
    /// The name `--backprop-modifier` takes and run.json records.
    public var argumentName: String {
        switch self {
        case .guided: "guided"
        case .rectified: "rectified"
        }
    }

    /// The modifier a name stands for (`deconv` is keras-vis's name for `rectified`).
    public init?(name: String) {
        switch name {
        case "guided": self = .guided
        case "rectified", "deconv": self = .rectified
        default: return nil
        }
    }
}
