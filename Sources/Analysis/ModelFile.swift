import Foundation
import ModelImport
import Saliency

/// How to read a model file: a Keras `.h5`/`.keras` or an ONNX graph, with what `--architecture`,
/// `--lambda` and `--input` say about it.
public struct ModelFileOptions {
    /// JSON architecture for a weights-only `.h5` (Keras only).
    public var architecture: String?
    /// Lambda layers declared by the user, by layer name (Keras only).
    public var lambdaOverrides: [String: [LambdaOperation]]
    /// Values of extra ONNX inputs (e.g. vehicle speed), fixed for every frame.
    public var inputValues: [String: Float]

    public init(architecture: String? = nil, lambdaOverrides: [String: [LambdaOperation]] = [:], inputValues: [String: Float] = [:]) {
        (self.architecture, self.lambdaOverrides, self.inputValues) = (architecture, lambdaOverrides, inputValues)
    }

    /// Loads the model at `path`; an `.onnx` file by ``ONNXModelLoader``, anything else by ``KerasModelLoader``
    /// under ``ModelLoadingGuard``.
    /// - Parameter inspecting: extra ONNX inputs without a value are shown (as 0), not refused.
    public func load(_ path: String, inspecting: Bool = false) throws -> LoadedModel {
        let url = URL(fileURLWithPath: path)
        if ONNXModelLoader.isONNX(url) {
            guard architecture == nil, lambdaOverrides.isEmpty else {
                throw UsageError(message: "--architecture and --lambda apply to Keras models, not to the ONNX model '\(path)'", hint: "drop them for ONNX models")
            }
            return try ONNXModelLoader.load(from: url, inputValues: inputValues, unsetInputValue: inspecting ? 0 : nil)
        }
        return try ModelLoadingGuard.run(path: path) {
            try KerasModelLoader.load(from: url, architecture: architecture.map { URL(fileURLWithPath: $0) }, lambdaOverrides: lambdaOverrides)
        }
    }
}

extension ModelSession {
    /// Reads the model's sidecar (unless `ignoreSidecar`), then loads the model, and builds its session:
    /// `bins` and each field of `preprocessing` override the sidecar's.
    public static func open(_ path: String, file: ModelFileOptions, ignoreSidecar: Bool, bins: AngleBins? = nil, request: ExplanationRequest,
                            explains: Bool = true, preprocessing: PreprocessOverrides) throws -> ModelSession {
        let sidecar = ignoreSidecar ? nil : try ModelSidecar.load(forModel: path)
        let loaded = try file.load(path)
        return try ModelSession(path: path, loaded: loaded, sidecar: sidecar, bins: bins, request: request, explains: explains,
                                preprocess: preprocessing.resolved(over:))
    }
}
