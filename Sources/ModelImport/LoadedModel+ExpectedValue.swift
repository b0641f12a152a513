import NeuralNet

extension LoadedModel {
    /// The name given to the expected-value output appended after output `name`.
    public static func expectedValueName(after name: String) -> String { "\(name)/expected" }

    /// This model with `Σ pᵢ·cᵢ` of output `output` (a softmax over bins with centres `values`) appended
    /// as one more output, the last, `[1]` per frame; the card lists it as `<output>/expected`. Layers
    /// are shared: use only the returned model afterwards.
    public func appendingExpectedValue(ofOutput output: Int, values: [Float]) throws -> LoadedModel {
        let outputName = model.outputNames[output]
        let layer = try ExpectedValue(name: Self.expectedValueName(after: outputName), values: values)
        let extended = try model.appending(layer, afterOutput: output)
        let card = ModelCard(
            file: card.file, architectureFile: card.architectureFile, format: card.format, kerasVersion: card.kerasVersion,
            backend: card.backend, modelClass: card.modelClass, layers: card.layers, inputs: card.inputs,
            outputs: card.outputs + [(name: Self.expectedValueName(after: card.outputs[output].name), shape: [1])],
            totalParameters: card.totalParameters, lambdaResolutions: card.lambdaResolutions)
        return LoadedModel(model: extended, card: card, inputShape: inputShape)
    }
}
