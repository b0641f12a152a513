import ModelImport
import Saliency
import SteerLensSupport

/// Classifier steering heads (`--bins MIN:MAX:N` or the sidecar's `"bins"`): the chosen output is a
/// softmax over angle bins, and the prediction is the expected angle `Σ pᵢ·cᵢ`, computed by an
/// ``NeuralNet/ExpectedValue`` layer appended to the graph so that saliency explains the angle in the
/// same single backward pass (or, with `--unit K` in `analyze`, the probability of bin K).
public enum ClassifierHead {
    /// The model to run and the output that is the prediction: `output` itself without bins, else the
    /// expected angle appended after it. `source` names where the bins came from, for errors.
    public static func apply(_ bins: AngleBins?, source: BinsSource, to loaded: LoadedModel, output: Int) throws -> (loaded: LoadedModel, output: Int) {
        guard let bins else { return (loaded, output) }
        let shape = loaded.card.outputs[output].shape
        guard shape == [bins.count] else {
            let detail = "bins \(bins.minimum):\(bins.maximum):\(bins.count) need an output of \(bins.count) probabilities, but output \(output) '\(loaded.card.outputs[output].name)' has shape \(shape)"
            let choices = loaded.card.outputs.enumerated().map { "\($0.offset)=\($0.element.name) \($0.element.shape)" }.joined(separator: ", ")
            switch source {
            case .flag: throw UsageError(message: "--bins: \(detail)", hint: "choose the softmax output with --output (outputs: \(choices))")
            case .sidecar(let path): throw SidecarError(path: path, detail: detail)
            }
        }
        let extended = try loaded.appendingExpectedValue(ofOutput: output, values: bins.centers)
        return (extended, extended.card.outputs.count - 1)
    }

    public enum BinsSource {
        case flag
        case sidecar(path: String)
    }
}
