import NeuralNet

/// What the saliency explains: the scalar whose gradient with respect to the input is taken.
public enum SaliencyObjective: Sendable, Equatable {
    /// One unit of a model output, e.g. the steering angle (output 0, unit 0). keras-vis:
    /// `layer_idx = -1`, `filter_indices = unit`.
    case output(index: Int, unit: Int)
    /// The mean activation of filter `filter` of an intermediate feature map `(H, W, C)`: keras-vis
    /// `layer_idx` on a convolution layer with `filter_indices = filter` (its ActivationMaximization loss
    /// with weight −1, i.e. the gradient of `+mean(A[..., filter])`).
    case filter(layer: String, filter: Int)

    /// Checks the objective against `model`.
    /// - Throws: ``SaliencyError`` when the output, unit, layer or filter does not exist.
    func validate(for model: Model) throws {
        switch self {
        case .output(let index, let unit):
            let shape = model.outputShapes[index]
            let units = shape.reduce(1, *)
            guard (0..<units).contains(unit) else { throw SaliencyError.unknownUnit(output: model.outputNames[index], unit: unit, units: units) }
        case .filter(let layer, let filter):
            guard let shape = model.shape(ofNode: layer) else { throw SaliencyError.unknownLayer(layer, available: model.nodeNames) }
            guard shape.count == 3, (0..<shape[2]).contains(filter) else { throw SaliencyError.invalidFilter(layer: layer, filter: filter, shape: shape) }
        }
    }

    /// The input gradient of the objective for the latest forward pass, one backward pass.
    func inputGradient(of model: Model, modifier: BackpropModifier?) throws -> Tensor {
        switch self {
        case .output(let index, let unit):
            return model.backward(output: index, unit: unit, modifier: modifier)
        case .filter(let layer, let filter):
            guard let activation = model.activation(of: layer) else { throw SaliencyError.unknownLayer(layer, available: model.nodeNames) }
            // ∂ mean(A[n, :, :, filter]) / ∂A = 1 / (H·W) on that filter's channel, per sample.
            let (items, channels) = (activation.batchSize, activation.shape[3])
            let positions = activation.shape[1] * activation.shape[2]
            var seed = Tensor(zeros: activation.shape)
            let share = 1 / Float(positions)
            for item in 0..<items {
                for position in 0..<positions { seed.scalars[(item * positions + position) * channels + filter] = share }
            }
            let input = model.inputs[0].name
            return try model.gradients(seeds: [layer: seed], at: [input], modifier: modifier)[input]!
        }
    }

    /// `∂objective/∂A` at node `target` (e.g. Grad-CAM's penultimate layer) for the latest forward
    /// pass; the backward walk stops at `target`.
    func gradient(of model: Model, at target: String, modifier: BackpropModifier?) throws -> Tensor {
        switch self {
        case .output(let index, let unit):
            guard let value = model.activation(of: model.outputNames[index]) else { preconditionFailure("gradient before forward") }
            var seed = Tensor(zeros: value.shape)
            for item in 0..<value.batchSize { seed.scalars[item * value.itemCount + unit] = 1 }
            return try model.gradients(seeds: [model.outputNames[index]: seed], at: [target], modifier: modifier)[target]!
        case .filter(let layer, let filter):
            guard let activation = model.activation(of: layer) else { throw SaliencyError.unknownLayer(layer, available: model.nodeNames) }
            let (items, channels) = (activation.batchSize, activation.shape[3])
            let positions = activation.shape[1] * activation.shape[2]
            var seed = Tensor(zeros: activation.shape)
            for item in 0..<items {
                for position in 0..<positions { seed.scalars[(item * positions + position) * channels + filter] = 1 / Float(positions) }
            }
            return try model.gradients(seeds: [layer: seed], at: [target], modifier: modifier)[target]!
        }
    }

    /// The node whose activation holds the objective (the output node or the filter's layer).
    func node(in model: Model) -> String {
        switch self {
        case .output(let index, _): model.outputNames[index]
        case .filter(let layer, _): layer
        }
    }

    /// The objective's value per item for the latest forward pass (`outputs` are its outputs).
    func values(of model: Model, outputs: [Tensor]) -> [Double] {
        switch self {
        case .output(let index, let unit):
            let output = outputs[index]
            return (0..<output.batchSize).map { Double(output.scalars[$0 * output.itemCount + unit]) }
        case .filter(let layer, let filter):
            let activation = model.activation(of: layer)!
            let (channels, positions) = (activation.shape[3], activation.shape[1] * activation.shape[2])
            return (0..<activation.batchSize).map { item in
                (0..<positions).reduce(0.0) { $0 + Double(activation.scalars[(item * positions + $1) * channels + filter]) } / Double(positions)
            }
        }
    }
}
