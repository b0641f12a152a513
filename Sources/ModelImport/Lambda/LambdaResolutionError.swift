import SteerLensSupport

/// Why a Keras Lambda layer could not be turned into ``LambdaOperation``s.
///
/// Every case names the layer; the hint shows how to declare the layer's meaning on the command
/// line instead (`--lambda NAME=EXPR`, see ``LambdaExpression``).
public enum LambdaResolutionError: SteerLensError, Equatable {
    /// The config's `function` is not marshalled Python 3.5–3.12 code.
    case unreadableFunction(layer: String, reason: String)
    /// `function_type` is `"function"`: the config names a Python function but holds no code.
    case namedFunction(layer: String, name: String)
    /// The code object was read but its bytecode uses instructions SteerLens does not follow.
    case unsupportedBytecode(layer: String, reason: String)
    /// The lambda was decompiled (`lambdaSource`) but is not one of the known operations.
    case unrecognised(layer: String, lambdaSource: String, reason: String)

    public var kind: FailureKind { .badInput }

    /// The layer the error is about.
    public var layer: String {
        switch self {
        case .unreadableFunction(let layer, _), .namedFunction(let layer, _),
             .unsupportedBytecode(let layer, _), .unrecognised(let layer, _, _):
            layer
        }
    }

    public var message: String {
        switch self {
        case .unreadableFunction(let layer, let reason):
            "Lambda layer '\(layer)': \(reason)"
        case .namedFunction(let layer, let name):
            "Lambda layer '\(layer)' calls the Python function '\(name)', whose code is not stored in the model"
        case .unsupportedBytecode(let layer, let reason):
            "Lambda layer '\(layer)' holds Python bytecode SteerLens cannot follow: \(reason)"
        case .unrecognised(let layer, let lambdaSource, let reason):
            "Lambda layer '\(layer)' computes `\(lambdaSource)`, which SteerLens cannot translate: \(reason)"
        }
    }

    public var hint: String {
        "declare what it computes, e.g. --lambda \(layer)='x/127.5-1' "
            + "(arithmetic in x with min/max/mean/sum/relu/tanh/sigmoid/…, resize(h,w[,method]), "
            + "crop(top,bottom,left,right), upsample(rows,columns); steps joined by ';')"
    }
}
