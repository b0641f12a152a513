import SteerLensSupport

/// Why a model file could not be turned into a runnable ``NeuralNet/Model``.
///
/// Every case names what the user needs to fix it (file, layer, weight, value); ``message`` is one line and
/// ``hint`` says what to do.
public enum ModelImportError: SteerLensError, Equatable {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but cannot be read (permissions, a directory, I/O error).
    case unreadable(path: String, reason: String)
    /// The file is neither an HDF5 file (no HDF5 signature) nor a ZIP archive (`.keras`).
    case notHDF5(path: String)
    /// The HDF5 file is shorter than its superblock says (an interrupted copy or download).
    case truncated(path: String, detail: String)
    /// libhdf5 failed to read part of the file.
    case corrupt(path: String, detail: String)
    /// A valid HDF5 file without a Keras model: no `model_config` and no `layer_names`.
    case noModel(path: String)
    /// A weights-only file (`save_weights`) was given without an architecture.
    case architectureRequired(path: String)
    /// The architecture JSON (`model_config` or `--architecture`) cannot be understood.
    case invalidArchitecture(path: String, detail: String)
    /// A layer class SteerLens does not implement.
    case unknownLayer(layer: String, className: String)
    /// A layer setting SteerLens cannot run exactly (e.g. `channels_first`, dilation).
    case unsupportedConfig(layer: String, detail: String)
    /// A Lambda layer whose Python function could not be recognised (the resolver's error names the
    /// layer, the decompiled lambda when there is one, and the `--lambda` hint).
    case unresolvableLambda(LambdaResolutionError)
    /// A stored weight's shape differs from what the layer's configuration implies.
    case weightShapeMismatch(layer: String, weight: String, expected: [Int], found: [Int])
    /// A layer lacks weights its configuration needs, or the file lacks a layer's weight group.
    case missingWeights(layer: String, detail: String)
    /// A weight holds NaN or infinite values (a damaged file or a diverged training run).
    case nonFiniteWeight(layer: String, weight: String)
    /// The file holds weights no layer uses.
    case unusedWeights(layer: String, names: [String])
    /// The layers and their connections do not form a runnable graph.
    case invalidGraph(detail: String)
    /// `--lambda NAME=...` names no Lambda layer of the model.
    case unknownLambdaOverride(name: String, lambdaLayers: [String])
    /// The file is not a parseable ONNX `ModelProto` (malformed protobuf, no graph, bad tensor data).
    case invalidONNX(path: String, detail: String)
    /// An ONNX node whose operator SteerLens does not implement.
    case unsupportedOperator(node: String, op: String)
    /// An extra (non-image) ONNX input was not given a value with `--input NAME=VALUE`.
    case missingInputValue(name: String, shape: [Int])
    /// `--input NAME=VALUE` names no extra input of the model.
    case unknownInputValue(name: String, inputs: [String])

    public var kind: FailureKind {
        switch self {
        case .fileNotFound, .unreadable: .missingInput
        case .unknownLambdaOverride, .missingInputValue, .unknownInputValue: .usage
        default: .badInput
        }
    }

    public var message: String {
        switch self {
        case .fileNotFound(let path): "model file '\(path)' does not exist"
        case .unreadable(let path, let reason): "cannot read model file '\(path)': \(reason)"
        case .notHDF5(let path): "'\(path)' is not an HDF5 file (no HDF5 signature) nor a .keras zip, so not a Keras model"
        case .truncated(let path, let detail): "model file '\(path)' is truncated: \(detail)"
        case .corrupt(let path, let detail): "model file '\(path)' is damaged: \(detail)"
        case .noModel(let path): "'\(path)' is an HDF5 file but holds no Keras model (no model_config, no layer_names)"
        case .architectureRequired(let path): "'\(path)' holds weights only (Keras save_weights), no architecture"
        case .invalidArchitecture(let path, let detail): "cannot understand the model architecture in '\(path)': \(detail)"
        case .unknownLayer(let layer, let className) where Self.isSequenceOrVolume(className):
            "layer '\(layer)' has class '\(className)': recurrent and 3-D (video) models are not supported"
        case .unknownLayer(let layer, let className): "layer '\(layer)' has class '\(className)', which SteerLens does not support"
        case .unsupportedConfig(let layer, let detail): "layer '\(layer)': unsupported configuration: \(detail)"
        case .unresolvableLambda(let error): error.message
        case .weightShapeMismatch(let layer, let weight, let expected, let found):
            "layer '\(layer)': weight '\(weight)' has shape \(found), expected \(expected)"
        case .missingWeights(let layer, let detail): "layer '\(layer)': missing weights: \(detail)"
        case .nonFiniteWeight(let layer, let weight): "layer '\(layer)': weight '\(weight)' contains NaN or infinite values"
        case .unusedWeights(let layer, let names): "layer '\(layer)': weights not used by the model: \(names.joined(separator: ", "))"
        case .invalidGraph(let detail): "invalid model graph: \(detail)"
        case .unknownLambdaOverride(let name, let lambdaLayers):
            "--lambda names '\(name)', which is not a Lambda layer of the model"
                + (lambdaLayers.isEmpty ? " (it has none)" : " (its Lambda layers: \(lambdaLayers.joined(separator: ", ")))")
        case .invalidONNX(let path, let detail): "'\(path)' is not a valid ONNX model: \(detail)"
        case .unsupportedOperator(let node, let op): "ONNX node '\(node)' uses operator '\(op)', which SteerLens does not support"
        case .missingInputValue(let name, let shape): "the model has an extra input '\(name)' \(shape) that needs a value"
        case .unknownInputValue(let name, let inputs):
            "--input names '\(name)', which is not an extra input of the model"
                + (inputs.isEmpty ? " (it has none)" : " (its extra inputs: \(inputs.joined(separator: ", ")))")
        }
    }

    public var hint: String {
        switch self {
        case .fileNotFound, .unreadable: "check the --model path and its permissions"
        case .notHDF5: "pass a Keras model saved with model.save('model.h5') or model.save('model.keras'), or save_weights plus --architecture"
        case .truncated: "the file was cut short (interrupted copy or download); copy it again"
        case .corrupt: "the file is damaged; re-export it from Keras"
        case .noModel, .architectureRequired:
            "for a weights-only file pass the model's JSON with --architecture FILE (model.to_json())"
        case .invalidArchitecture: "pass the JSON written by model.to_json() or a full model saved with model.save()"
        case .unknownLayer(_, let className) where Self.isSequenceOrVolume(className):
            "SteerLens explains single-frame CNNs; recurrent (LSTM, GRU, TimeDistributed) and 3-D (Conv3D) pilots are out of scope for now"
        case .unknownLayer, .unsupportedConfig:
            "re-export the model with supported layers (see README.md, Models) or open an issue with the layer's config"
        case .unresolvableLambda(let error): error.hint
        case .nonFiniteWeight: "the file is damaged or the model diverged in training; re-export a good checkpoint"
        case .weightShapeMismatch, .missingWeights, .unusedWeights:
            "the weights do not match the architecture; check that --architecture belongs to this weights file"
        case .invalidGraph: "check the layers' inbound connections in the model config"
        case .unknownLambdaOverride: "use the layer names shown by 'steerlens inspect MODEL'"
        case .invalidONNX: "re-export the model with torch.onnx.export (see README.md, ONNX models)"
        case .unsupportedOperator: "re-export with supported operators (see README.md, ONNX models) or open an issue naming the operator"
        case .missingInputValue(let name, _): "fix it for every frame with --input \(name)=VALUE (e.g. the speed in the units the model was trained on)"
        case .unknownInputValue: "use the input names shown by 'steerlens inspect MODEL'"
        }
    }
}

extension ModelImportError {
    /// Layer classes of recurrent and 3-D (video) models, e.g. DonkeyCar's RNN and 3D pilots; a wrapper
    /// is written with its inner class, `TimeDistributed(Conv2D)`.
    static let sequenceOrVolumeClasses: Set<String> = [
        "LSTM", "GRU", "SimpleRNN", "RNN", "CuDNNLSTM", "CuDNNGRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
        "TimeDistributed", "Bidirectional", "Conv3D", "Convolution3D", "Conv3DTranspose", "DepthwiseConv3D",
        "MaxPooling3D", "AveragePooling3D", "GlobalMaxPooling3D", "GlobalAveragePooling3D", "UpSampling3D",
        "ZeroPadding3D", "Cropping3D",
    ]

    static func isSequenceOrVolume(_ className: String) -> Bool {
        sequenceOrVolumeClasses.contains(String(className.prefix { $0 != "(" }))
    }
}
