/// A directed acyclic graph of named layers (Keras Sequential or functional model) with cached
/// activations, one forward pass and input gradients by reverse-mode backpropagation.
///
/// Build it from ``Input``s (shapes without batch), ``Node``s (a layer plus the names of the nodes it
/// reads, in Keras inbound order) and output node names. Node names are the layers' names and must be
/// unique; a layer instance belongs to exactly one node (shared layers are not supported). Shapes are
/// inferred at construction, so a mismatch throws a ``NeuralNetError`` naming the layer before any data
/// is run. Tensors are NHWC with the batch first (see ``Tensor``).
///
/// ```swift
/// let model = try Model(inputShape: [66, 200, 3], layers: [conv1, conv2, flatten, dense])
/// let outputs = try model.forward(batch)                   // [[N, 1]]
/// let saliency = model.backward(output: 0, unit: 0)        // ∂y_n/∂x_n, [N, 66, 200, 3]
/// ```
public final class Model {
    /// A model input: its node name and its shape without the batch axis.
    public struct Input: Sendable, Hashable {
        public let name: String
        public let shape: [Int]
        public init(name: String, shape: [Int]) {
            self.name = name
            self.shape = shape
        }
    }

    /// A layer and the names of the nodes feeding it (its own name is `layer.name`).
    public struct Node {
        public let layer: any Layer
        public let inputs: [String]
        public init(_ layer: any Layer, inputs: [String]) {
            self.layer = layer
            self.inputs = inputs
        }
    }

    /// One row of a model summary (`steerlens inspect`).
    public struct LayerInfo: Sendable, Hashable {
        public let name: String
        /// Keras class name (`InputLayer` for inputs).
        public let typeName: String
        /// Output shape without the batch axis.
        public let outputShape: [Int]
        public let parameterCount: Int
        /// Names of the nodes feeding this one.
        public let inputs: [String]
    }

    private struct Entry {
        let name: String
        let layer: (any Layer)?
        let inputIndices: [Int]
        let shape: [Int]
    }

    public let inputs: [Input]
    public let outputNames: [String]
    /// Nodes in evaluation (topological) order, inputs first.
    private let entries: [Entry]
    private let indexByName: [String: Int]
    private let inputEntryIndices: [Int]
    private let outputEntryIndices: [Int]
    /// Activations of the latest forward pass, by entry.
    private var values: [Tensor?]

    /// A functional model. `nodes` may be in any order; they are sorted topologically.
    public init(inputs: [Input], nodes: [Node], outputs: [String]) throws {
        guard !inputs.isEmpty else { throw NeuralNetError.invalidGraph(detail: "the model has no input") }
        guard !outputs.isEmpty else { throw NeuralNetError.invalidGraph(detail: "the model has no output") }
        var declared = Set<String>()
        for name in inputs.map(\.name) + nodes.map(\.layer.name) where !declared.insert(name).inserted {
            throw NeuralNetError.invalidGraph(detail: "duplicate node name '\(name)'")
        }
        var seenLayers = Set<ObjectIdentifier>()
        for node in nodes where !seenLayers.insert(ObjectIdentifier(node.layer)).inserted {
            throw NeuralNetError.invalidGraph(detail: "layer '\(node.layer.name)' is used by more than one node (shared layers are not supported)")
        }
        for node in nodes {
            if node.inputs.isEmpty {
                throw NeuralNetError.invalidGraph(detail: "layer '\(node.layer.name)' has no inbound node")
            }
            for input in node.inputs where !declared.contains(input) {
                throw NeuralNetError.invalidGraph(detail: "layer '\(node.layer.name)' reads unknown node '\(input)'")
            }
        }
        for output in outputs where !declared.contains(output) {
            throw NeuralNetError.invalidGraph(detail: "unknown output node '\(output)'")
        }

        // Kahn's algorithm, keeping the given order among ready nodes.
        var entries: [Entry] = []
        var indexByName: [String: Int] = [:]
        for input in inputs {
            guard !input.shape.isEmpty, input.shape.allSatisfy({ $0 > 0 }) else {
                throw NeuralNetError.invalidGraph(detail: "input '\(input.name)' needs a fully known shape, got \(describe(input.shape))")
            }
            indexByName[input.name] = entries.count
            entries.append(Entry(name: input.name, layer: nil, inputIndices: [], shape: input.shape))
        }
        var pending = nodes
        while !pending.isEmpty {
            guard let ready = pending.firstIndex(where: { $0.inputs.allSatisfy { indexByName[$0] != nil } }) else {
                throw NeuralNetError.invalidGraph(detail: "cycle through layers \(pending.map(\.layer.name).joined(separator: ", "))")
            }
            let node = pending.remove(at: ready)
            let inputIndices = node.inputs.map { indexByName[$0]! }
            let shape = try node.layer.outputShape(forInputShapes: inputIndices.map { entries[$0].shape })
            indexByName[node.layer.name] = entries.count
            entries.append(Entry(name: node.layer.name, layer: node.layer, inputIndices: inputIndices, shape: shape))
        }

        self.inputs = inputs
        self.outputNames = outputs
        self.entries = entries
        self.indexByName = indexByName
        self.inputEntryIndices = inputs.map { indexByName[$0.name]! }
        self.outputEntryIndices = outputs.map { indexByName[$0]! }
        self.values = [Tensor?](repeating: nil, count: entries.count)
    }

    /// A sequential model: each layer reads the previous one; the last layer is the single output.
    public convenience init(inputShape: [Int], layers: [any Layer], inputName: String = "input") throws {
        guard let last = layers.last else { throw NeuralNetError.invalidGraph(detail: "a sequential model needs at least one layer") }
        var previous = inputName
        let nodes = layers.map { layer in
            defer { previous = layer.name }
            return Node(layer, inputs: [previous])
        }
        try self.init(inputs: [Input(name: inputName, shape: inputShape)], nodes: nodes, outputs: [last.name])
    }

    // MARK: Introspection

    /// Every node in evaluation order (inputs first), for summaries.
    public var layerInfo: [LayerInfo] {
        entries.map { entry in
            LayerInfo(name: entry.name, typeName: entry.layer?.typeName ?? "InputLayer", outputShape: entry.shape,
                      parameterCount: entry.layer?.parameterCount ?? 0, inputs: entry.inputIndices.map { entries[$0].name })
        }
    }

    /// Total stored weights.
    public var parameterCount: Int { entries.reduce(0) { $0 + ($1.layer?.parameterCount ?? 0) } }

    /// Node names in evaluation order.
    public var nodeNames: [String] { entries.map(\.name) }

    /// Output shapes without batch, in ``outputNames`` order.
    public var outputShapes: [[Int]] { outputEntryIndices.map { entries[$0].shape } }

    /// The shape (without batch) of a node's activation, or `nil` for an unknown name.
    public func shape(ofNode name: String) -> [Int]? { indexByName[name].map { entries[$0].shape } }

    /// The layer of a node (`nil` for inputs and unknown names).
    public func layer(named name: String) -> (any Layer)? { indexByName[name].flatMap { entries[$0].layer } }

    // MARK: Forward

    /// Runs the single-input model on a batch `[N] + inputs[0].shape`; returns every output.
    public func forward(_ input: Tensor) throws -> [Tensor] {
        try forward([input])
    }

    /// Runs the model on one batch per input (same N), in ``inputs`` order; caches every activation.
    public func forward(_ batch: [Tensor]) throws -> [Tensor] {
        guard batch.count == inputs.count else {
            throw NeuralNetError.invalidGraph(detail: "the model has \(inputs.count) inputs, \(batch.count) tensors were given")
        }
        for (input, tensor) in zip(inputs, batch) where Array(tensor.shape.dropFirst()) != input.shape || tensor.shape.count != input.shape.count + 1 || tensor.shape[0] != batch[0].shape[0] {
            throw NeuralNetError.inputMismatch(input: input.name, expected: input.shape, got: tensor.shape)
        }
        releaseActivations()
        for (entryIndex, tensor) in zip(inputEntryIndices, batch) { values[entryIndex] = tensor }
        return runLayers()
    }

    /// The single input's only consumer when it is a ``Rescaling`` with one scale and one offset: a
    /// leading `x·scale + offset` (Keras `Rescaling`, or a resolved `Lambda` such as `x/127.5 − 1`) that a
    /// caller writing the input batch can apply itself (``forward(rescaledInput:)``); nil otherwise.
    public var leadingRescaling: (scale: Float, offset: Float)? {
        leadingRescalingEntry.map { ($0.layer.scale[0], $0.layer.offset[0]) }
    }

    private var leadingRescalingEntry: (index: Int, layer: Rescaling)? {
        guard let input = inputEntryIndices.first, inputEntryIndices.count == 1, !outputEntryIndices.contains(input) else { return nil }
        let readers = entries.indices.filter { entries[$0].inputIndices.contains(input) }
        guard readers.count == 1, let rescaling = entries[readers[0]].layer as? Rescaling, entries[readers[0]].inputIndices == [input],
              rescaling.scale.count == 1, rescaling.offset.count == 1, !outputEntryIndices.contains(readers[0]) else { return nil }
        return (readers[0], rescaling)
    }

    /// ``forward(_:)`` for a batch that already holds the ``leadingRescaling``'s output, computed as the
    /// layer computes it (`x·scale + offset`, multiply then add): the same outputs, without that pass
    /// over the batch. Forward only: a backward pass needs ``forward(_:)``.
    public func forward(rescaledInput batch: Tensor) throws -> [Tensor] {
        guard let (index, _) = leadingRescalingEntry else {
            throw NeuralNetError.invalidGraph(detail: "the model does not start with a scalar Rescaling")
        }
        guard Array(batch.shape.dropFirst()) == entries[index].shape else {
            throw NeuralNetError.inputMismatch(input: entries[index].name, expected: entries[index].shape, got: batch.shape)
        }
        releaseActivations()
        values[index] = batch
        return runLayers()
    }

    /// Runs, in evaluation order, every layer whose activation is not set yet; returns the outputs.
    private func runLayers() -> [Tensor] {
        for (index, entry) in entries.enumerated() where values[index] == nil {
            guard let layer = entry.layer else { continue }
            values[index] = layer.forward(inputs: entry.inputIndices.map { values[$0]! })
        }
        return outputEntryIndices.map { values[$0]! }
    }

    /// Drops what the latest forward pass cached for a backward pass: every activation, the input
    /// batch's included, and what layers kept of their inputs. After a forward-only pass the caller's
    /// input is then its own again (a next batch written into its storage is not copied first), and the
    /// layers' outputs are theirs to write the next batch into. A backward pass needs a new forward pass.
    public func releaseActivations() {
        for index in values.indices { values[index] = nil }
        for entry in entries { entry.layer?.releaseInputs() }
    }

    /// A node's activation from the latest forward pass (`[N] + shape(ofNode:)`), or `nil`.
    public func activation(of name: String) -> Tensor? {
        indexByName[name].flatMap { values[$0] }
    }

    // MARK: Backward

    /// `∂(Σ_n output[n, unit]) / ∂input` for the latest forward pass: a seed of 1 at `unit` for every
    /// sample, so each item of the result is `∂y_n/∂x_n`. `unit` indexes the flattened per-sample output.
    /// Shape: that of the first input batch.
    public func backward(output: Int, unit: Int, modifier: BackpropModifier? = nil) -> Tensor {
        precondition(outputEntryIndices.indices.contains(output), "output \(output) out of range 0..<\(outputEntryIndices.count)")
        guard let value = values[outputEntryIndices[output]] else { preconditionFailure("backward before forward") }
        let itemCount = value.itemCount
        precondition((0..<itemCount).contains(unit), "unit \(unit) out of range 0..<\(itemCount) for output '\(outputNames[output])'")
        var seed = Tensor(zeros: value.shape)
        for n in 0..<value.batchSize { seed.scalars[n * itemCount + unit] = 1 }
        return backward(output: output, seed: seed, modifier: modifier)
    }

    /// The gradient of `Σ seed ⊙ output` with respect to the first input (vector–Jacobian product).
    public func backward(output: Int, seed: Tensor, modifier: BackpropModifier? = nil) -> Tensor {
        precondition(outputEntryIndices.indices.contains(output), "output \(output) out of range 0..<\(outputEntryIndices.count)")
        let outputName = outputNames[output], inputName = inputs[0].name
        do {
            return try gradients(seeds: [outputName: seed], at: [inputName], modifier: modifier)[inputName]!
        } catch {
            preconditionFailure("\(error)")
        }
    }

    /// General backpropagation for the latest forward pass: seeds any nodes (e.g. an output, or an
    /// intermediate feature map for filter saliency) with `∂L/∂node` and returns `∂L/∂node` at each
    /// target node (inputs or intermediate activations, e.g. the last conv layer for Grad-CAM).
    ///
    /// Nodes are visited in reverse evaluation order and the walk stops once every target is complete.
    /// A target that the seeds do not reach gets zeros. `modifier` is passed to every layer.
    public func gradients(seeds: [String: Tensor], at targets: [String], modifier: BackpropModifier? = nil) throws -> [String: Tensor] {
        var gradients = [Tensor?](repeating: nil, count: entries.count)
        for (name, seed) in seeds {
            guard let index = indexByName[name] else { throw NeuralNetError.invalidGraph(detail: "unknown seed node '\(name)'") }
            guard let value = values[index] else { preconditionFailure("backward before forward") }
            guard seed.shape == value.shape else {
                throw NeuralNetError.shapeMismatch(layer: name, detail: "seed shape \(describe(seed.shape)) != activation shape \(describe(value.shape))")
            }
            gradients[index] = seed
        }
        var remaining = Set<Int>()
        for name in targets {
            guard let index = indexByName[name] else { throw NeuralNetError.invalidGraph(detail: "unknown target node '\(name)'") }
            remaining.insert(index)
        }
        var result: [String: Tensor] = [:]
        for index in entries.indices.reversed() where !remaining.isEmpty {
            let entry = entries[index]
            if remaining.remove(index) != nil {
                result[entry.name] = gradients[index] ?? Tensor(zeros: values[index]!.shape)
            }
            guard let gradient = gradients[index], let layer = entry.layer, !remaining.isEmpty else { continue }
            gradients[index] = nil
            let inputGradients = layer.backward(outputGradient: gradient, modifier: modifier)
            precondition(inputGradients.count == entry.inputIndices.count, "\(entry.name): backward returned \(inputGradients.count) gradients")
            for (inputIndex, inputGradient) in zip(entry.inputIndices, inputGradients) {
                if gradients[inputIndex] == nil {
                    gradients[inputIndex] = inputGradient
                } else {
                    gradients[inputIndex]!.add(inputGradient)
                }
            }
        }
        return result
    }
}
