import NeuralNet

/// The `occlusion` method (Zeiler & Fergus 2014), the model-agnostic reference: a `patch × patch`
/// square slides over the model input with `stride` (the last row/column of positions is moved to
/// touch the far edge); at each position every image of the batch gets the square filled with its own
/// per-channel mean colour, and the drop of the objective `Δ = y(x) − y(x_occluded)` is credited to
/// every pixel the square covers. Per pixel the mean `Δ̄` over the squares covering it feeds the map
/// kinds (``AttributionMaps``: `increase` = `Δ̄` — pixels whose presence raises the output —,
/// `decrease` = `−Δ̄`, `maintain` = `|1/(Δ̄+ε)|`). Forward passes only: one batch per position.
public final class OcclusionExplainer: Explainer {
    public let model: Model
    public let objective: SaliencyObjective
    public let kinds: [SaliencyMapKind]
    public let patch: Int
    public let stride: Int
    public var method: ExplanationMethod { .occlusion }
    public var runsOwnForwardPasses: Bool { true }

    public init(model: Model, objective: SaliencyObjective, kinds: [SaliencyMapKind], patch: Int, stride: Int) throws {
        guard patch >= 1, stride >= 1 else {
            throw SaliencyError.invalidMethodSetting(detail: "--occlusion-patch and --occlusion-stride must be at least 1", hint: "e.g. --occlusion-patch 16 --occlusion-stride 8")
        }
        (self.model, self.objective, self.kinds, self.patch, self.stride) = (model, objective, kinds, patch, stride)
    }

    /// Top-left corners along an axis of `size`: 0, stride, … and `size − patch` at the end.
    static func positions(size: Int, patch: Int, stride: Int) -> [Int] {
        let last = max(size - patch, 0)
        var result = Array(Swift.stride(from: 0, through: last, by: stride))
        if result.last != last { result.append(last) }
        return result
    }

    public func explain(_ batch: Tensor, outputs: [Tensor]) throws -> MethodExplanation {
        let original = objective.values(of: model, outputs: outputs)
        let (items, height, width, channels) = (batch.shape[0], batch.shape[1], batch.shape[2], batch.shape[3])
        let fill = IntegratedGradientsExplainer.baseline(.mean, for: batch)
        let (rows, columns) = (min(patch, height), min(patch, width))
        var drops = [Double](repeating: 0, count: items * height * width), coverage = [Double](repeating: 0, count: height * width)
        for top in Self.positions(size: height, patch: rows, stride: stride) {
            for left in Self.positions(size: width, patch: columns, stride: stride) {
                var occluded = batch
                for item in 0..<items {
                    for y in top..<(top + rows) {
                        let start = ((item * height + y) * width + left) * channels, end = start + columns * channels
                        occluded.scalars.replaceSubrange(start..<end, with: fill.scalars[start..<end])
                    }
                }
                let values = objective.values(of: model, outputs: try model.forward(occluded))
                for y in top..<(top + rows) {
                    for x in left..<(left + columns) {
                        coverage[y * width + x] += 1
                        for item in 0..<items { drops[(item * height + y) * width + x] += original[item] - values[item] }
                    }
                }
            }
        }
        let mean = drops.enumerated().map { Float($0.element / max(coverage[$0.offset % (height * width)], 1)) }
        return MethodExplanation(method: .occlusion, maps: AttributionMaps.maps(mean, items: items, height: height, width: width, kinds: kinds))
    }
}
