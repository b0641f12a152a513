import NeuralNet

/// The stored weights of one layer, consumed by role while the layer is built; whatever is left over
/// afterwards is an error (strict loading: no unused and no missing weights).
struct KerasLayerWeights {
    let layer: String
    private var remaining: [(role: KerasWeightRole?, weight: KerasWeight)]

    init(layer: String, weights: [KerasWeight]) {
        self.layer = layer
        remaining = weights.map { (KerasWeightRole(weightName: $0.name), $0) }
    }

    /// Takes the weight with `role` and checks its shape.
    /// - Throws: ``ModelImportError/missingWeights(layer:detail:)`` when absent (or present twice),
    ///   ``ModelImportError/weightShapeMismatch(layer:weight:expected:found:)`` when the shape differs.
    mutating func take(_ role: KerasWeightRole, shape expected: [Int]) throws -> Tensor {
        guard let weight = try takeIfPresent(role, shape: expected) else {
            throw ModelImportError.missingWeights(layer: layer, detail: "no '\(role.rawValue)' weight (stored: \(storedNames))")
        }
        return weight
    }

    /// Like ``take(_:shape:)`` but returns nil when the layer stores no weight with `role`.
    mutating func takeIfPresent(_ role: KerasWeightRole, shape expected: [Int]) throws -> Tensor? {
        let matches = remaining.indices.filter { remaining[$0].role == role }
        guard let index = matches.first else { return nil }
        guard matches.count == 1 else {
            throw ModelImportError.missingWeights(layer: layer, detail: "\(matches.count) weights claim the role '\(role.rawValue)': \(storedNames)")
        }
        let weight = remaining.remove(at: index).weight
        guard weight.shape == expected else {
            throw ModelImportError.weightShapeMismatch(layer: layer, weight: weight.name, expected: expected, found: weight.shape)
        }
        guard weight.values.allSatisfy(\.isFinite) else {
            throw ModelImportError.nonFiniteWeight(layer: layer, weight: weight.name)
        }
        return Tensor(shape: weight.shape, scalars: weight.values)
    }

    /// The shape of the weight with `role`, if stored (to read extents the config does not give).
    func shape(of role: KerasWeightRole) -> [Int]? { remaining.first { $0.role == role }?.weight.shape }

    /// Throws when weights are left that the layer did not use.
    func finish() throws {
        guard remaining.isEmpty else {
            throw ModelImportError.unusedWeights(layer: layer, names: remaining.map(\.weight.name))
        }
    }

    private var storedNames: String {
        remaining.isEmpty ? "none" : remaining.map(\.weight.name).joined(separator: ", ")
    }
}
