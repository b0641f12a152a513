/// Reads the weights file of a Keras 3 `.keras` archive (`model.weights.h5`) into a ``KerasWeightStore``.
///
/// Layout written by Keras 3 (`saving_lib`): one group per layer under `layers/`, keyed by an
/// object path (`conv2d`, `batch_normalization_1`, …) that need not equal the layer name; its `vars`
/// group carries the layer name in a `name` attribute (older 3.x writers: the key is the name) and the
/// variables as datasets `0`, `1`, … in `layer.weights` order. The datasets have no names, so each one
/// is given the name its position means for the layer's class and settings (Conv2D: kernel, bias;
/// BatchNormalization: gamma if `scale`, beta if `center`, moving_mean, moving_variance; …), and from
/// then on loading is as strict as for `.h5` files (shape checks, no unused and no missing weights).
enum KerasV3Weights {
    static func read(from root: HDF5Group, description: KerasModelDescription) throws -> KerasWeightStore {
        guard root.isGroup("layers") else {
            throw ModelImportError.missingWeights(layer: "(model)", detail: "model.weights.h5 has no 'layers' group")
        }
        let layers = try root.group("layers")
        var names: [String] = []
        var weights: [String: [KerasWeight]] = [:]
        for key in try layers.childNames() where layers.isGroup(key) {
            let group = try layers.group(key)
            guard group.isGroup("vars") else { continue }
            let vars = try group.group("vars")
            let name = try vars.stringAttribute("name") ?? key
            let datasets = try variables(vars)
            if group.isGroup("layers"), !(try group.group("layers").childNames().isEmpty) {
                throw ModelImportError.unsupportedConfig(layer: name, detail: "nested models (a model used as a layer) are not supported")
            }
            guard !datasets.isEmpty else { continue }
            guard let layer = description.layer(named: name) else {
                throw ModelImportError.unusedWeights(layer: name, names: datasets.map { "layers/\(key)/vars/\($0)" })
            }
            let roles = variableNames(of: layer)
            guard roles.count == datasets.count else {
                throw ModelImportError.missingWeights(
                    layer: name, detail: "layers/\(key)/vars holds \(datasets.count) variables, a \(layer.className) with these settings has \(roles.count) (\(roles.joined(separator: ", ")))")
            }
            names.append(name)
            weights[name] = try zip(datasets, roles).map { index, role in
                let dataset = try vars.dataset(index)
                return KerasWeight(name: "\(name)/\(role)", shape: try dataset.shape(), values: try dataset.readFloats())
            }
        }
        if root.isGroup("vars") {
            let leftover = try variables(try root.group("vars"))
            if !leftover.isEmpty { throw ModelImportError.unusedWeights(layer: "(model)", names: leftover.map { "vars/\($0)" }) }
        }
        return KerasWeightStore(layerNames: names, weights: weights)
    }

    /// The dataset names `0`, `1`, … of a `vars` group in numeric order.
    private static func variables(_ vars: HDF5Group) throws -> [String] {
        try vars.childNames().filter { Int($0) != nil }.sorted { Int($0)! < Int($1)! }
    }

    /// What each position of `layer.weights` is, for the classes SteerLens runs; other classes get
    /// placeholder names that no layer consumes (so they are reported, never silently dropped).
    static func variableNames(of layer: KerasLayerDescription) -> [String] {
        let config = layer.config
        func flag(_ key: String) -> Bool { (try? config.bool(key, default: true)) ?? true }
        let bias = flag("use_bias") ? ["bias"] : []
        switch layer.className {
        case "Conv2D", "Dense", "DepthwiseConv2D": return ["kernel"] + bias
        case "SeparableConv2D": return ["depthwise_kernel", "pointwise_kernel"] + bias
        case "BatchNormalization":
            return (flag("scale") ? ["gamma"] : []) + (flag("center") ? ["beta"] : []) + ["moving_mean", "moving_variance"]
        case "PReLU": return ["alpha"]
        default: return []
        }
    }
}
