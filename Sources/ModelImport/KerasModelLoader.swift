import Foundation
import NeuralNet

/// A Keras model ready to run: the NeuralNet graph, what `inspect` shows, and the input size.
public struct LoadedModel {
    public let model: NeuralNet.Model
    public let card: ModelCard
    /// The first input's shape without batch: `[H, W, C]` for image models.
    public let inputShape: [Int]
}

/// Loads Keras models: HDF5 full models (`model.save('m.h5')`, Keras 1.x, 2.x, tf.keras 2.x, Keras 3
/// legacy h5), weights-only files (`save_weights`) with a JSON architecture (`model.to_json()`), and
/// Keras 3 `.keras` archives (a zip of `config.json` and `model.weights.h5`, read without `unzip`).
///
/// Weights are matched by the file's `layer_names` and each layer's `weight_names`, every shape is checked,
/// and missing or unused weights are errors; `optimizer_weights` are ignored. Lambda layers are resolved
/// from their marshalled bytecode unless `lambdaOverrides` declares them.
public enum KerasModelLoader {
    /// libhdf5 (serial build) is not thread-safe: one load at a time.
    private static let lock = NSLock()

    /// Loads the model at `url`.
    /// - Parameters:
    ///   - architecture: a JSON file from `model.to_json()`; required for weights-only files, and when
    ///     given for a full model it replaces the file's `model_config`.
    ///   - lambdaOverrides: Lambda layer name → operations, from `--lambda NAME=EXPR`.
    /// - Throws: ``ModelImportError`` (one-line message + hint) for every problem with the files.
    public static func load(
        from url: URL, architecture: URL? = nil, lambdaOverrides: [String: [LambdaOperation]] = [:]
    ) throws -> LoadedModel {
        lock.lock()
        defer { lock.unlock() }
        let path = url.path
        try checkReadable(url)
        let isArchive = ZipArchive.hasSignature(at: url)
        guard try isArchive || readingFile(path, { try HDF5File.hasSignature(at: url) }) else { throw ModelImportError.notHDF5(path: path) }

        let (description, store, kerasVersion, backend) = try readingFile(path) { () throws -> (KerasModelDescription, KerasWeightStore, String?, String?) in
            if isArchive { return try KerasArchive.read(url, architecture: architecture) }
            let file = try HDF5File(readingAt: path)
            let root = try file.rootGroup()
            let kerasVersion = try root.stringAttribute("keras_version")
            let backend = try root.stringAttribute("backend")
            // Full model: model_config at the root, weights under model_weights. Weights-only: layer groups at the root.
            let weightsGroup: HDF5Group
            if root.isGroup("model_weights") {
                weightsGroup = try root.group("model_weights")
            } else if root.hasAttribute("layer_names") {
                weightsGroup = root
            } else if root.hasAttribute("model_config") {
                throw ModelImportError.missingWeights(layer: "(model)", detail: "'\(path)' has a model_config but no model_weights group")
            } else {
                throw ModelImportError.noModel(path: path)
            }
            let json: String
            let source: String
            if let architecture {
                try checkReadable(architecture)
                json = try readArchitecture(architecture)
                source = architecture.path
            } else if let config = try root.stringAttribute("model_config") {
                json = config
                source = path
            } else {
                throw ModelImportError.architectureRequired(path: path)
            }
            let description = try KerasArchitectureParser.parse(json: json, source: source, kerasVersion: kerasVersion)
            let store = try KerasWeightStore.read(from: weightsGroup)
            return (description, store, kerasVersion, backend)
        }

        let lambdaLayers = description.layers.filter { $0.className == "Lambda" }.map(\.name)
        for name in lambdaOverrides.keys.sorted() where !lambdaLayers.contains(name) {
            throw ModelImportError.unknownLambdaOverride(name: name, lambdaLayers: lambdaLayers)
        }
        let built = try KerasGraphBuilder(description: description, weights: store, lambdaOverrides: lambdaOverrides).build()
        let model = built.model
        let card = ModelCard(
            file: path, architectureFile: architecture?.path, format: description.generation.rawValue,
            kerasVersion: kerasVersion, backend: backend, modelClass: description.modelClass, layers: built.rows,
            inputs: model.inputs.map { ($0.name, $0.shape) },
            outputs: zip(description.outputs, model.outputShapes).map { ($0.layer, $1) },
            totalParameters: model.parameterCount, lambdaResolutions: built.lambdaResolutions)
        return LoadedModel(model: model, card: card, inputShape: model.inputs[0].shape)
    }

    // MARK: Files

    static func checkReadable(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelImportError.fileNotFound(path: url.path)
        }
        if isDirectory.boolValue { throw ModelImportError.unreadable(path: url.path, reason: "it is a directory") }
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw ModelImportError.unreadable(path: url.path, reason: "permission denied")
        }
    }

    static func readArchitecture(_ url: URL) throws -> String {
        do {
            return String(decoding: try Data(contentsOf: url), as: UTF8.self)
        } catch {
            throw ModelImportError.unreadable(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Runs `body`, turning libhdf5 and Foundation failures into ``ModelImportError``s about `path`.
    private static func readingFile<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ModelImportError {
            throw error
        } catch let error as HDF5Error {
            if error.isTruncatedFile { throw ModelImportError.truncated(path: path, detail: error.message) }
            throw ModelImportError.corrupt(path: path, detail: error.description)
        } catch {
            throw ModelImportError.unreadable(path: path, reason: error.localizedDescription)
        }
    }
}
