import NeuralNet

/// Map kinds from a signed per-pixel attribution `a` `[N, H, W]` (integrated gradients' channel sum,
/// occlusion's output drop): each kind's ``GradientModifier`` applied to `a` (`increase` = `a`,
/// `decrease` = `−a`, `maintain` = `|1/(a + ε)|`), then keras-vis' per-image normalisation
/// `(m − min)/(max − min + ε)` for display; importance is `max(m(a), 0)`, unnormalised.
enum AttributionMaps {
    static func maps(_ attribution: [Float], items: Int, height: Int, width: Int, kinds: [SaliencyMapKind]) -> [SaliencyMapKind: KindMaps] {
        precondition(attribution.count == items * height * width)
        let count = height * width
        var result: [SaliencyMapKind: KindMaps] = [:]
        for kind in kinds {
            let modified = attribution.map { kind.modifier.apply($0) }
            var display = modified
            for item in 0..<items {
                let range = (item * count)..<((item + 1) * count)
                let low = Double(modified[range].min()!), high = Double(modified[range].max()!)
                let scale = 1 / (high - low + Double(GradientModifier.epsilon))
                for index in range { display[index] = Float((Double(modified[index]) - low) * scale) }
            }
            result[kind] = KindMaps(display: Tensor(shape: [items, height, width], scalars: display),
                                    importance: Tensor(shape: [items, height, width], scalars: modified.map { max($0, 0) }))
        }
        return result
    }

    /// Channel sums of an NHWC tensor given as flat values: `[N, H, W]`.
    static func channelSums(_ values: [Double], channels: Int) -> [Float] {
        stride(from: 0, to: values.count, by: channels).map { start in Float(values[start..<(start + channels)].reduce(0, +)) }
    }
}
