import Foundation
@_spi(Testing) import ModelImport

/// Small Keras `.h5` files written in tests through the importer's own HDF5 layer, in the Keras 2 layout:
/// `model_config` at the root and `model_weights/<layer>/<weight name>` with `layer_names` /
/// `weight_names` attributes (or the weights at the root for a `save_weights` file).
public enum KerasTestFiles {
    /// A weight as stored: its name (e.g. `d/kernel:0`), shape and values.
    public typealias StoredWeight = (name: String, shape: [Int], values: [Float])

    /// A Keras 2 `Sequential` config JSON from layer JSON objects.
    public static func sequential(_ layers: [String]) -> String {
        #"{"class_name": "Sequential", "config": {"name": "test", "layers": ["# + layers.joined(separator: ", ") + "]}}"
    }

    /// Dense(2) on 3 features: kernel [[1,2],[3,4],[5,6]], bias [0.5, -0.5].
    public static func denseConfig() -> String {
        sequential([#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "linear", "use_bias": true, "batch_input_shape": [null, 3]}}"#])
    }

    public static func denseWeights() -> [String: [StoredWeight]] {
        ["d": [("d/kernel:0", [3, 2], [1, 2, 3, 4, 5, 6]), ("d/bias:0", [2], [0.5, -0.5])]]
    }

    /// Writes a model file with `config` and `weights` (layer name → weights) to `url`.
    @discardableResult
    public static func writeModel(to url: URL, config: String, weights: [String: [StoredWeight]], weightsOnly: Bool = false) throws -> URL {
        let root = try HDF5WritableGroup.creatingFile(at: url.path)
        try root.writeStringAttribute("keras_version", ["2.2.4"])
        let group: HDF5WritableGroup
        if weightsOnly {
            group = root
        } else {
            try root.writeStringAttribute("model_config", [config])
            group = try root.subgroup("model_weights")
        }
        let layerNames = weights.keys.sorted()
        try group.writeStringAttribute("layer_names", layerNames, fixedLength: true)
        for layerName in layerNames {
            let layer = try group.subgroup(layerName)
            let stored = weights[layerName]!
            try layer.writeStringAttribute("weight_names", stored.map(\.name), fixedLength: true)
            for weight in stored {
                var parent = layer
                let parts = weight.name.split(separator: "/").map(String.init)
                for part in parts.dropLast() {
                    parent = try parent.subgroup(part)
                }
                try parent.writeDataset(parts.last!, shape: weight.shape, values: weight.values)
            }
        }
        return url
    }

    /// An HDF5 file that holds data but no Keras model.
    public static func writeNonModel(to url: URL) throws {
        let root = try HDF5WritableGroup.creatingFile(at: url.path)
        try root.writeDataset("frames", shape: [2, 2], values: [1, 2, 3, 4])
        try root.writeStringAttribute("note", ["not a model"])
    }
}
