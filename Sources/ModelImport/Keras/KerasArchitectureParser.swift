import Foundation

/// Parses a Keras model JSON (`model_config` attribute or `model.to_json()` file) of Keras 1.x, Keras 2.x /
/// tf.keras 2.x or Keras 3 into a ``KerasModelDescription``.
///
/// Handles Sequential configs written as a list (Keras 1 – 2.2) or as `{"name", "layers"}` (Keras 2.2.3+),
/// functional configs with Keras 1/2 `inbound_nodes` (`[[[name, node, tensor, kwargs?], ...]]`) and Keras 3
/// ones (`[{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": [...]}}], "kwargs": {}}]`),
/// and JSON that was encoded twice (a JSON string holding the JSON).
enum KerasArchitectureParser {
    /// Parses JSON text. `source` names the file for messages; `kerasVersion` (the file's `keras_version`
    /// attribute) helps tell Keras 1 from Keras 2 when the JSON itself does not say.
    static func parse(json: String, source: String, kerasVersion: String? = nil) throws -> KerasModelDescription {
        var value: Any = json
        // A JSON string whose content is JSON again (double-encoded `to_json()` output): unwrap up to twice.
        for _ in 0..<3 {
            guard let text = value as? String else { break }
            do {
                value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            } catch {
                throw ModelImportError.invalidArchitecture(path: source, detail: "not valid JSON (\(error.localizedDescription))")
            }
        }
        return try parse(object: value, source: source, kerasVersion: kerasVersion)
    }

    /// Parses an already decoded JSON object.
    static func parse(object: Any, source: String, kerasVersion: String? = nil) throws -> KerasModelDescription {
        guard let top = object as? [String: Any] else {
            throw ModelImportError.invalidArchitecture(path: source, detail: "the top level is not a JSON object")
        }
        let version = kerasVersion ?? (top["keras_version"] as? String)
        let generation = detectGeneration(top, kerasVersion: version)
        // Keras 1.0 Sequential JSON may omit class_name and hold the layer list directly in "config".
        let modelClass = (top["class_name"] as? String) ?? (top["config"] is [Any] ? "Sequential" : "")
        switch modelClass {
        case "Sequential":
            return try parseSequential(top["config"], source: source, generation: generation)
        case "Model", "Functional":
            return try parseFunctional(top["config"], modelClass: modelClass, source: source, generation: generation)
        case "":
            throw ModelImportError.invalidArchitecture(path: source, detail: "no 'class_name' at the top level")
        default:
            throw ModelImportError.invalidArchitecture(
                path: source, detail: "model class '\(modelClass)' is not supported (expected Sequential, Model or Functional)")
        }
    }

    // MARK: Sequential

    private static func parseSequential(_ config: Any?, source: String, generation: KerasGeneration) throws -> KerasModelDescription {
        let items: [Any]
        var name: String?
        var buildInputShape: [Int?]?
        if let list = config as? [Any] {
            items = list
        } else if let object = config as? [String: Any], let list = object["layers"] as? [Any] {
            items = list
            name = object["name"] as? String
            buildInputShape = (object["build_input_shape"] as? [Any]).map { $0.map { KerasLayerConfig.integer($0) } }
        } else {
            throw ModelImportError.invalidArchitecture(path: source, detail: "Sequential config has no layer list")
        }
        var layers: [KerasLayerDescription] = []
        for (index, item) in items.enumerated() {
            var layer = try unwrapLayer(item, source: source, position: index)
            if layer.className == "InputLayer" {
                guard layers.isEmpty else {
                    throw ModelImportError.invalidArchitecture(path: source, detail: "InputLayer '\(layer.name)' in the middle of a Sequential model")
                }
                layers.append(layer)
                continue
            }
            if layers.isEmpty {
                layers.append(try synthesizedInput(for: layer, fallbackShape: buildInputShape, source: source))
            }
            layer.inbound = [KerasTensorReference(layer: layers[layers.count - 1].name)]
            layers.append(layer)
        }
        guard layers.count >= 2, let first = layers.first, let last = layers.last else {
            throw ModelImportError.invalidArchitecture(path: source, detail: "the Sequential model has no layers")
        }
        return KerasModelDescription(
            modelClass: "Sequential", name: name, generation: generation, layers: layers,
            inputs: [KerasTensorReference(layer: first.name)], outputs: [KerasTensorReference(layer: last.name)])
    }

    /// The `InputLayer` Keras creates implicitly for a Sequential model, named `<first layer>_input`.
    private static func synthesizedInput(
        for first: KerasLayerDescription, fallbackShape: [Int?]?, source: String
    ) throws -> KerasLayerDescription {
        var shape = try first.config.shape("batch_input_shape", "batch_shape")
        if shape == nil, let inputShape = try first.config.shape("input_shape") { shape = [nil] + inputShape }
        if shape == nil, first.config.has("input_dim") { shape = [nil, try first.config.int("input_dim")] }
        shape = shape ?? fallbackShape
        guard let shape else {
            throw ModelImportError.invalidArchitecture(
                path: source, detail: "the first layer '\(first.name)' declares no input shape (batch_input_shape)")
        }
        let values: [String: Any] = ["name": "\(first.name)_input", "batch_input_shape": shape.map { $0 as Any? ?? NSNull() }]
        return KerasLayerDescription(
            className: "InputLayer", name: "\(first.name)_input",
            config: KerasLayerConfig(layer: "\(first.name)_input", values: values), inbound: [])
    }

    // MARK: Functional

    private static func parseFunctional(
        _ config: Any?, modelClass: String, source: String, generation: KerasGeneration
    ) throws -> KerasModelDescription {
        guard let object = config as? [String: Any], let items = object["layers"] as? [Any] else {
            throw ModelImportError.invalidArchitecture(path: source, detail: "\(modelClass) config has no layer list")
        }
        var layers: [KerasLayerDescription] = []
        for (index, item) in items.enumerated() {
            var layer = try unwrapLayer(item, source: source, position: index)
            let nodes = (item as? [String: Any])?["inbound_nodes"] as? [Any] ?? []
            if nodes.count > 1 {
                throw ModelImportError.unsupportedConfig(
                    layer: layer.name, detail: "the layer is shared (called \(nodes.count) times); shared layers are not supported")
            }
            layer.inbound = try nodes.first.map { try inboundReferences($0, layer: layer.name) } ?? []
            layers.append(layer)
        }
        let inputs = try tensorReferenceList(object["input_layers"], what: "input_layers", source: source)
        let outputs = try tensorReferenceList(object["output_layers"], what: "output_layers", source: source)
        guard !inputs.isEmpty, !outputs.isEmpty else {
            throw ModelImportError.invalidArchitecture(path: source, detail: "\(modelClass) config lacks input_layers or output_layers")
        }
        return KerasModelDescription(
            modelClass: modelClass, name: object["name"] as? String, generation: generation,
            layers: layers, inputs: inputs, outputs: outputs)
    }

    /// The tensors one inbound node consumes: Keras 1/2 `[[name, node, tensor, kwargs?], ...]` or Keras 3
    /// `{"args": [...], "kwargs": {...}}` with `__keras_tensor__` entries (possibly nested in lists).
    static func inboundReferences(_ node: Any, layer: String) throws -> [KerasTensorReference] {
        if let list = node as? [Any] {
            return try list.map { entry in
                guard let reference = tensorReference(entry) else {
                    throw ModelImportError.invalidGraph(detail: "layer '\(layer)' has an inbound entry I cannot read: \(KerasLayerConfig.describe(entry))")
                }
                return reference
            }
        }
        if let object = node as? [String: Any] {
            var references: [KerasTensorReference] = []
            collectKerasTensors(object["args"] ?? [], into: &references)
            var fromKeywords: [KerasTensorReference] = []
            collectKerasTensors(object["kwargs"] ?? [:], into: &fromKeywords)
            if !fromKeywords.isEmpty {
                throw ModelImportError.unsupportedConfig(layer: layer, detail: "tensors passed as keyword arguments are not supported")
            }
            return references
        }
        throw ModelImportError.invalidGraph(detail: "layer '\(layer)' has inbound nodes I cannot read")
    }

    private static func collectKerasTensors(_ value: Any, into references: inout [KerasTensorReference]) {
        if let object = value as? [String: Any] {
            if object["class_name"] as? String == "__keras_tensor__",
               let config = object["config"] as? [String: Any], let history = config["keras_history"],
               let reference = tensorReference(history) {
                references.append(reference)
            } else {
                for key in object.keys.sorted() { collectKerasTensors(object[key]!, into: &references) }
            }
        } else if let list = value as? [Any] {
            for item in list { collectKerasTensors(item, into: &references) }
        }
    }

    /// `[name, node, tensor, ...]` → reference.
    static func tensorReference(_ value: Any) -> KerasTensorReference? {
        guard let list = value as? [Any], list.count >= 3, let name = list[0] as? String,
              let node = KerasLayerConfig.integer(list[1]), let tensor = KerasLayerConfig.integer(list[2]) else { return nil }
        return KerasTensorReference(layer: name, nodeIndex: node, tensorIndex: tensor)
    }

    /// `input_layers` / `output_layers`: a list of `[name, node, tensor]`, or (Keras 3, one tensor) a single one.
    private static func tensorReferenceList(_ value: Any?, what: String, source: String) throws -> [KerasTensorReference] {
        guard let value else { return [] }
        if let single = tensorReference(value) { return [single] }
        guard let list = value as? [Any] else {
            throw ModelImportError.invalidArchitecture(path: source, detail: "'\(what)' is not a list")
        }
        return try list.map { entry in
            guard let reference = tensorReference(entry) else {
                throw ModelImportError.invalidArchitecture(path: source, detail: "'\(what)' entry \(KerasLayerConfig.describe(entry)) is not [name, node, tensor]")
            }
            return reference
        }
    }

    // MARK: Layers

    /// `{"class_name", "config", ("name", "inbound_nodes", "module", "registered_name")}` → a layer.
    private static func unwrapLayer(_ item: Any, source: String, position: Int) throws -> KerasLayerDescription {
        guard let object = item as? [String: Any], let className = object["class_name"] as? String else {
            throw ModelImportError.invalidArchitecture(path: source, detail: "layer #\(position + 1) has no class_name")
        }
        let config = object["config"] as? [String: Any] ?? [:]
        guard let name = (object["name"] as? String) ?? (config["name"] as? String) else {
            throw ModelImportError.invalidArchitecture(path: source, detail: "layer #\(position + 1) (\(className)) has no name")
        }
        if ["Sequential", "Model", "Functional"].contains(className) {
            throw ModelImportError.unsupportedConfig(
                layer: name, detail: "nested models (\(className) used as a layer) are not supported; save the inner model's layers flat")
        }
        return KerasLayerDescription(
            className: className, name: name, config: KerasLayerConfig(layer: name, values: config), inbound: [])
    }

    /// Keras 3 wraps layers with `module`/`registered_name`; Keras 1 uses `Convolution2D`, `nb_filter`,
    /// `output_dim`, `border_mode`, `dim_ordering`; otherwise Keras 2.
    static func detectGeneration(_ top: [String: Any], kerasVersion: String?) -> KerasGeneration {
        if let version = kerasVersion {
            if version.hasPrefix("1.") { return .keras1 }
            if version.hasPrefix("3.") { return .keras3 }
            // tf-keras 2.13+ also writes Keras 3-style "registered_name" wrappers, but keeps Keras 2 semantics.
            if version.hasPrefix("2.") { return .keras2 }
        }
        let text = (try? JSONSerialization.data(withJSONObject: top)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        if text.contains("\"registered_name\"") || text.contains("\"__keras_tensor__\"") { return .keras3 }
        for marker in ["\"nb_filter\"", "\"output_dim\"", "\"border_mode\"", "\"dim_ordering\"", "\"Convolution2D\"", "\"Merge\""]
        where text.contains(marker) { return .keras1 }
        return .keras2
    }
}
