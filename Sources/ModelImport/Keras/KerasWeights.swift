/// One stored weight array of a layer: its name in the file, its shape and its values (row-major Float32).
struct KerasWeight: Sendable {
    /// The name as listed in `weight_names`, e.g. `conv2d_1/kernel:0` or `convolution2d_1_W:0`.
    var name: String
    var shape: [Int]
    var values: [Float]
}

/// What a stored weight is for, recognised from the end of its name.
enum KerasWeightRole: String, Sendable, CaseIterable {
    case kernel, bias, gamma, beta, movingMean = "moving_mean", movingVariance = "moving_variance"
    /// Separable convolutions (`depthwise_kernel`, `pointwise_kernel`; Keras 3 names a DepthwiseConv2D's
    /// kernel plain `kernel`) and PReLU slopes (`alpha`, Keras 1 `alphas`).
    case depthwiseKernel = "depthwise_kernel", pointwiseKernel = "pointwise_kernel", alpha

    /// Recognises Keras 2/3 names (`.../kernel:0`, `moving_variance`) and Keras 1 names
    /// (`convolution2d_1_W:0`, `_b:0`, `_running_mean`, `_running_std`). Keras 1.2 stores the running
    /// *variance* under the name `running_std`: its `BatchNormalization.call` passes `running_std` as the
    /// variance argument of `K.batch_normalization`, and the TensorFlow backend's
    /// `normalize_batch_in_training` returns the batch variance that the moving-average update feeds into it.
    init?(weightName: String) {
        var name = weightName
        if let colon = name.lastIndex(of: ":"), name[name.index(after: colon)...].allSatisfy(\.isNumber) {
            name = String(name[..<colon])
        }
        let leaf = name.split(separator: "/").last.map(String.init) ?? name
        let table: [(String, KerasWeightRole)] = [
            ("moving_variance", .movingVariance), ("running_std", .movingVariance), ("running_var", .movingVariance),
            ("moving_mean", .movingMean), ("running_mean", .movingMean),
            ("depthwise_kernel", .depthwiseKernel), ("pointwise_kernel", .pointwiseKernel),
            ("alphas", .alpha), ("alpha", .alpha),
            ("kernel", .kernel), ("gamma", .gamma), ("beta", .beta), ("bias", .bias),
        ]
        for (suffix, role) in table where leaf == suffix || leaf.hasSuffix("_\(suffix)") {
            self = role
            return
        }
        if leaf == "W" || leaf.hasSuffix("_W") { self = .kernel; return }
        if leaf == "b" || leaf.hasSuffix("_b") { self = .bias; return }
        return nil
    }
}

/// The weights of every layer, read by following `layer_names` and each layer group's `weight_names`
/// (never by guessing from layer numbers).
struct KerasWeightStore: Sendable {
    /// Layer names in the order of the file's `layer_names`.
    var layerNames: [String]
    /// Each layer's weights in `weight_names` order.
    var weights: [String: [KerasWeight]]

    /// Reads from `group`: the file's `model_weights` group (full model) or its root (weights-only file).
    static func read(from group: HDF5Group) throws -> KerasWeightStore {
        let layerNames = try group.stringsAttribute("layer_names")
        var weights: [String: [KerasWeight]] = [:]
        for layerName in layerNames {
            guard group.isGroup(layerName) else {
                throw ModelImportError.missingWeights(layer: layerName, detail: "layer_names lists it but '\(group.path)' has no group '\(layerName)'")
            }
            let layerGroup = try group.group(layerName)
            let names = layerGroup.hasAttribute("weight_names") ? try layerGroup.stringsAttribute("weight_names") : []
            weights[layerName] = try names.map { name in
                guard layerGroup.contains(name) else {
                    throw ModelImportError.missingWeights(layer: layerName, detail: "weight_names lists '\(name)' but no such dataset exists")
                }
                let dataset = try layerGroup.dataset(name)
                return KerasWeight(name: name, shape: try dataset.shape(), values: try dataset.readFloats())
            }
        }
        // tf.keras 2.x writes the model's own (non-layer) weights in `top_level_model_weights`; steering
        // models have none, and any there would be silently ignored by the layers, so they are an error.
        let topLevel = "top_level_model_weights"
        if !layerNames.contains(topLevel), group.isGroup(topLevel) {
            let topGroup = try group.group(topLevel)
            let names = topGroup.hasAttribute("weight_names") ? try topGroup.stringsAttribute("weight_names") : []
            if !names.isEmpty { throw ModelImportError.unusedWeights(layer: topLevel, names: names) }
        }
        return KerasWeightStore(layerNames: layerNames, weights: weights)
    }
}
