/// A reference to one output tensor of a Keras layer call: `[layer name, node index, tensor index]`.
struct KerasTensorReference: Hashable, Sendable, CustomStringConvertible {
    var layer: String
    var nodeIndex: Int
    var tensorIndex: Int

    init(layer: String, nodeIndex: Int = 0, tensorIndex: Int = 0) {
        self.layer = layer
        self.nodeIndex = nodeIndex
        self.tensorIndex = tensorIndex
    }

    var description: String { "\(layer)[\(nodeIndex)][\(tensorIndex)]" }
}

/// One layer of a Keras model as described by its JSON config, independent of the Keras generation.
struct KerasLayerDescription: @unchecked Sendable {
    /// The Keras class name as written (`Conv2D`, `Convolution2D`, `Lambda`, ...).
    var className: String
    /// The layer name (unique in the model; also the weight group name).
    var name: String
    /// The layer's settings.
    var config: KerasLayerConfig
    /// The tensors the layer's (single) call consumes, in argument order; empty for `InputLayer`.
    var inbound: [KerasTensorReference]
}

/// Which Keras generation wrote the model JSON; decides the spelling of settings and the weight names.
enum KerasGeneration: String, Sendable {
    /// Keras 1.x (`Convolution2D`, `nb_filter`, `border_mode`, `dim_ordering`).
    case keras1 = "Keras 1"
    /// Keras 2.x and tf.keras 2.x (`Conv2D`, `filters`, `padding`, `data_format`).
    case keras2 = "Keras 2"
    /// Keras 3 (legacy .h5 or .keras): layers wrapped with `module` / `registered_name`.
    case keras3 = "Keras 3"
}

/// A Keras model's architecture in a normalised form: layers in config order with their inbound tensors,
/// the model's inputs and outputs, and the declared input shape.
///
/// Sequential models are turned into a chain whose first node is an `InputLayer` (synthesised from the
/// first layer's `batch_input_shape` when the config has none), so the builder only sees graphs.
struct KerasModelDescription: @unchecked Sendable {
    /// `Sequential`, `Model` (Keras 1/2 functional) or `Functional` (Keras 2.4+ / 3).
    var modelClass: String
    /// The model's name from the config, if any.
    var name: String?
    var generation: KerasGeneration
    /// Layers in config order (a valid topological order for the configs Keras writes).
    var layers: [KerasLayerDescription]
    /// The `InputLayer` tensors feeding the model.
    var inputs: [KerasTensorReference]
    /// The model's output tensors, in order.
    var outputs: [KerasTensorReference]

    /// The layer called `name`.
    func layer(named name: String) -> KerasLayerDescription? { layers.first { $0.name == name } }
}
