import SteerLensSupport

/// A saliency request that does not fit the model.
public enum SaliencyError: SteerLensError, Equatable {
    /// `--maps` names no known map or modifier.
    case unknownMap(String)
    /// The objective's output index or unit is out of range.
    case unknownUnit(output: String, unit: Int, units: Int)
    /// `--layer` names no node of the model.
    case unknownLayer(String, available: [String])
    /// `--layer` is not a feature map (H, W, C) or `--filter` is out of range.
    case invalidFilter(layer: String, filter: Int, shape: [Int])
    /// The model's output overflowed to inf or NaN on the frames given: there is nothing to explain.
    case nonFiniteOutput(output: String)
    /// Grad-CAM found no convolution or pooling layer before the objective, or `--cam-layer` is not a feature map.
    case noCamLayer(detail: String)
    /// VisualBackProp is not defined on this model's convolution stack.
    case visualBackPropUnsupported(detail: String)
    /// A method setting out of range (e.g. `--ig-steps 0`).
    case invalidMethodSetting(detail: String, hint: String)

    public var kind: FailureKind {
        if case .nonFiniteOutput = self { return .badInput }
        return .usage
    }

    public var message: String {
        switch self {
        case .unknownMap(let name): "unknown map '\(name)'"
        case .unknownUnit(let output, let unit, let units): "output '\(output)' has \(units) units, unit \(unit) does not exist"
        case .unknownLayer(let name, _): "the model has no layer '\(name)'"
        case .invalidFilter(let layer, let filter, let shape):
            shape.count == 3 ? "layer '\(layer)' has \(shape[2]) filters, filter \(filter) does not exist"
                             : "layer '\(layer)' has output shape \(shape), not a feature map (height, width, filters)"
        case .nonFiniteOutput(let output): "the model's output '\(output)' is infinite or NaN on these frames: its weights overflow float32"
        case .noCamLayer(let detail): "gradcam: \(detail)"
        case .visualBackPropUnsupported(let detail): "visualbackprop is not defined for this model: \(detail)"
        case .invalidMethodSetting(let detail, _): detail
        }
    }

    public var hint: String {
        switch self {
        case .unknownMap: "use increase, decrease, maintain or a modifier: " + GradientModifier.allCases.map(\.rawValue).joined(separator: ", ")
        case .unknownUnit: "choose --unit between 0 and units-1"
        case .unknownLayer(_, let available): "choose a layer shown by `steerlens inspect`: " + available.prefix(12).joined(separator: ", ")
        case .invalidFilter: "choose a convolution or pooling layer and a --filter below its filter count"
        case .noCamLayer: "name a convolution or pooling layer with --cam-layer (see `steerlens inspect`)"
        case .visualBackPropUnsupported: "VisualBackProp needs a plain chain of convolutions (no merges, no pooling or resizing between them); use --method gradcam or gradient"
        case .invalidMethodSetting(_, let hint): hint
        case .nonFiniteOutput: "check the model file and the preprocessing it gets (sidecar, --crop, --color); `steerlens predict` prints the raw outputs"
        }
    }
}
