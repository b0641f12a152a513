import NeuralNet

/// Builds a NeuralNet ``NeuralNet/Model`` from a ``KerasModelDescription`` and its weights, checking every
/// weight's shape and that every stored weight is used exactly once.
struct KerasGraphBuilder {
    let description: KerasModelDescription
    /// The weights by layer name, following the file's `layer_names` / `weight_names`.
    let weights: KerasWeightStore
    /// User-declared Lambda meanings (`--lambda NAME=EXPR`), taking priority over the file's bytecode.
    let lambdaOverrides: [String: [LambdaOperation]]

    struct Result {
        let model: NeuralNet.Model
        let rows: [ModelCard.LayerRow]
        let lambdaResolutions: [LambdaLayerResolution]
    }

    func build() throws -> Result {
        try rejectSequenceAndVolumeLayers()
        try checkWeightLayersExist()
        var resolutions: [LambdaLayerResolution] = []
        var factory = KerasLayerFactory { layer in
            let resolution = try resolve(layer)
            resolutions.append(resolution)
            return resolution.operations
        }
        factory.generation = description.generation
        // Each Keras layer's output is a NeuralNet node (or, for identity Lambdas, an alias of its input).
        var nodeOf: [String: String] = [:]
        var shapeOf: [String: [Int]] = [:]
        var inputs: [NeuralNet.Model.Input] = []
        var nodes: [NeuralNet.Model.Node] = []
        var rows: [ModelCard.LayerRow] = []
        var seen = Set<String>()

        for layer in try orderedLayers() {
            guard seen.insert(layer.name).inserted else {
                throw ModelImportError.invalidGraph(detail: "two layers are named '\(layer.name)'")
            }
            if layer.className == "InputLayer" {
                let shape = try inputShape(of: layer)
                inputs.append(NeuralNet.Model.Input(name: layer.name, shape: shape))
                nodeOf[layer.name] = layer.name
                shapeOf[layer.name] = shape
                rows.append(ModelCard.LayerRow(name: layer.name, className: "InputLayer", outputShape: shape, parameterCount: 0, inbound: []))
                try KerasLayerWeights(layer: layer.name, weights: weights.weights[layer.name] ?? []).finish()
                continue
            }
            guard !layer.inbound.isEmpty else {
                throw ModelImportError.invalidGraph(detail: "layer '\(layer.name)' (\(layer.className)) has no inbound layer")
            }
            let inboundNodes = try layer.inbound.map { reference -> String in
                guard reference.nodeIndex == 0, reference.tensorIndex == 0 else {
                    throw ModelImportError.unsupportedConfig(
                        layer: layer.name, detail: "reads \(reference) (shared layers and multi-output layers are not supported)")
                }
                guard let node = nodeOf[reference.layer] else {
                    throw ModelImportError.invalidGraph(detail: "layer '\(layer.name)' reads unknown layer '\(reference.layer)'")
                }
                return node
            }
            let inputShapes = inboundNodes.map { shapeOf[$0]! }
            var layerWeights = KerasLayerWeights(layer: layer.name, weights: weights.weights[layer.name] ?? [])
            let made = try rethrowingNeuralNetErrors(layer: layer.name) {
                try factory.makeLayers(for: layer, inputShapes: inputShapes, weights: &layerWeights)
            }
            try layerWeights.finish()

            var previous = inboundNodes
            var shape = inputShapes.first ?? []
            for madeLayer in made {
                shape = try rethrowingNeuralNetErrors(layer: layer.name) {
                    try madeLayer.outputShape(forInputShapes: previous.map { shapeOf[$0]! })
                }
                try Self.checkItemSize(shape, layer: layer.name)
                nodes.append(NeuralNet.Model.Node(madeLayer, inputs: previous))
                shapeOf[madeLayer.name] = shape
                previous = [madeLayer.name]
            }
            if made.isEmpty {
                guard inboundNodes.count == 1 else {
                    throw ModelImportError.invalidGraph(detail: "identity layer '\(layer.name)' has \(inboundNodes.count) inputs")
                }
                nodeOf[layer.name] = inboundNodes[0]
            } else {
                nodeOf[layer.name] = made.last!.name
            }
            rows.append(ModelCard.LayerRow(
                name: layer.name, className: layer.className, outputShape: shape,
                parameterCount: made.reduce(0) { $0 + $1.parameterCount }, inbound: layer.inbound.map(\.layer)))
        }

        let inputNames = try description.inputs.map { reference -> String in
            guard let input = inputs.first(where: { $0.name == reference.layer }) else {
                throw ModelImportError.invalidGraph(detail: "model input '\(reference.layer)' is not an InputLayer")
            }
            return input.name
        }
        let orderedInputs = inputNames.map { name in inputs.first { $0.name == name }! }
        let outputs = try description.outputs.map { reference -> String in
            guard reference.nodeIndex == 0, reference.tensorIndex == 0, let node = nodeOf[reference.layer] else {
                throw ModelImportError.invalidGraph(detail: "model output \(reference) is not a layer of the model")
            }
            return node
        }
        let model = try rethrowingNeuralNetErrors(layer: description.name ?? "model") {
            try NeuralNet.Model(inputs: orderedInputs, nodes: nodes, outputs: outputs)
        }
        return Result(model: model, rows: rows, lambdaResolutions: resolutions)
    }

    // MARK: Steps

    /// Layers in an order where every inbound layer comes first (the config order when it already is).
    private func orderedLayers() throws -> [KerasLayerDescription] {
        var done = Set<String>()
        var pending = description.layers
        var ordered: [KerasLayerDescription] = []
        let known = Set(description.layers.map(\.name))
        for layer in description.layers {
            for reference in layer.inbound where !known.contains(reference.layer) {
                throw ModelImportError.invalidGraph(detail: "layer '\(layer.name)' reads unknown layer '\(reference.layer)'")
            }
        }
        while !pending.isEmpty {
            guard let index = pending.firstIndex(where: { $0.inbound.allSatisfy { done.contains($0.layer) } }) else {
                throw ModelImportError.invalidGraph(detail: "cycle through layers \(pending.map(\.name).joined(separator: ", "))")
            }
            let layer = pending.remove(at: index)
            done.insert(layer.name)
            ordered.append(layer)
        }
        return ordered
    }

    /// `batch_input_shape` / `batch_shape` without the batch axis; every extent must be known.
    private func inputShape(of layer: KerasLayerDescription) throws -> [Int] {
        guard let batchShape = try layer.config.shape("batch_input_shape", "batch_shape") ?? (try layer.config.shape("input_shape").map { [nil] + $0 }),
              batchShape.count >= 2 else {
            throw ModelImportError.invalidArchitecture(path: layer.name, detail: "InputLayer '\(layer.name)' declares no input shape")
        }
        let shape = Array(batchShape.dropFirst())
        guard shape.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ModelImportError.unsupportedConfig(
                layer: layer.name, detail: "input shape \(shape.map { $0.map(String.init) ?? "None" }) has unknown extents (variable-size inputs are not supported)")
        }
        let known = shape.map { $0! }
        try Self.checkItemSize(known, layer: layer.name)
        return known
    }

    /// The most values a layer's output may hold per item: 2²⁸ (1 GiB of Float).
    static let largestItemCount = 1 << 28

    /// Refuses an input or layer output beyond ``largestItemCount`` values (a crafted input shape, a
    /// chain of upsamplings), so that every layer computes its shapes from bounded extents.
    static func checkItemSize(_ shape: [Int], layer: String) throws {
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard extent >= 1, !overflow, product <= largestItemCount else {
                throw ModelImportError.unsupportedConfig(layer: layer, detail: "shape \(shape) holds more than \(largestItemCount) values an item")
            }
            count = product
        }
    }

    /// Recurrent and 3-D models are rejected up front, naming the first such layer, before any earlier
    /// layer can fail on the extra time/depth axis with a less telling shape error.
    private func rejectSequenceAndVolumeLayers() throws {
        for layer in description.layers where ModelImportError.isSequenceOrVolume(layer.className) {
            var className = layer.className
            if let inner = layer.config.values["layer"] as? [String: Any], let innerClass = inner["class_name"] as? String {
                className += "(\(innerClass))"
            }
            throw ModelImportError.unknownLayer(layer: layer.name, className: className)
        }
    }

    /// Every weight group the file lists must belong to a layer of the architecture (or hold nothing).
    private func checkWeightLayersExist() throws {
        let known = Set(description.layers.map(\.name))
        for name in weights.layerNames where !known.contains(name) {
            let stored = weights.weights[name] ?? []
            if !stored.isEmpty { throw ModelImportError.unusedWeights(layer: name, names: stored.map(\.name)) }
        }
    }

    private func resolve(_ layer: KerasLayerDescription) throws -> LambdaLayerResolution {
        if let operations = lambdaOverrides[layer.name] {
            return LambdaLayerResolution(layer: layer.name, operations: operations, source: .override)
        }
        do {
            let resolved = try LambdaResolver.resolution(layerName: layer.name, config: layer.config.values)
            return LambdaLayerResolution(layer: layer.name, operations: resolved.operations, source: .bytecode(python: resolved.decompiled.lambdaSource),
                                         decompiled: resolved.decompiled)
        } catch {
            throw ModelImportError.unresolvableLambda(error)
        }
    }

    /// NeuralNet rejects a layer (bad shape, inconsistent weights): report it as an import error.
    private func rethrowingNeuralNetErrors<T>(layer: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as NeuralNetError {
            switch error {
            case .invalidConfiguration(let name, let detail): throw ModelImportError.unsupportedConfig(layer: name, detail: detail)
            default: throw ModelImportError.invalidGraph(detail: error.message)
            }
        }
    }
}
