extension Model {
    /// A model with `layer` appended after output `output` as one more output (the last one). The new
    /// model shares every layer instance with this one, which must not be used afterwards.
    public func appending(_ layer: any Layer, afterOutput output: Int) throws -> Model {
        guard outputNames.indices.contains(output) else {
            throw NeuralNetError.invalidGraph(detail: "the model has no output \(output) (it has \(outputNames.count))")
        }
        let nodes = layerInfo.compactMap { info in self.layer(named: info.name).map { Node($0, inputs: info.inputs) } }
        return try Model(inputs: inputs, nodes: nodes + [Node(layer, inputs: [outputNames[output]])], outputs: outputNames + [layer.name])
    }
}
