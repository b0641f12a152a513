/// Turns modified gradients into normalised maps, exactly as keras-vis `visualize_saliency` does:
/// channel reduction by signed maximum (`np.max(grads, axis=-1)`, unless channels are kept), then
/// `utils.normalize` per image: `S = (M − min M) / (max M − min M + ε)`.
///
/// Normalisation is computed in Double so that clamped infinities (see ``GradientModifier``) cannot
/// overflow `max − min`; values are then rounded to Float. A constant map normalises to all zeros.
enum SaliencyReduction {
    /// Maps for every item of a gradient batch.
    /// - Parameters:
    ///   - gradient: `g`, NHWC, `count = items × pixels × channels`.
    ///   - keepChannels: keep the channel axis (keras-vis `keepdims=True`) instead of the channel max.
    /// - Returns: `[N, H, W]` (or `[N, H, W, C]`) values in [0, 1].
    static func maps(gradient: UnsafeBufferPointer<Float>, items: Int, pixels: Int, channels: Int,
                     modifier: GradientModifier, keepChannels: Bool) -> [Float] {
        let perItem = keepChannels ? pixels * channels : pixels
        var output = [Float](repeating: 0, count: items * perItem)
        output.withUnsafeMutableBufferPointer { maps in
            for item in 0..<items {
                let g = gradient.baseAddress! + item * pixels * channels
                let map = maps.baseAddress! + item * perItem
                if keepChannels {
                    for index in 0..<perItem { map[index] = modifier.apply(g[index]) }
                } else {
                    for pixel in 0..<pixels {
                        var best = modifier.apply(g[pixel * channels])
                        for channel in 1..<max(channels, 1) { best = max(best, modifier.apply(g[pixel * channels + channel])) }
                        map[pixel] = best
                    }
                }
                normalise(UnsafeMutableBufferPointer(start: map, count: perItem))
            }
        }
        return output
    }

    /// keras-vis `utils.normalize` in place: `(M − min) / (max − min + ε)`.
    static func normalise(_ map: UnsafeMutableBufferPointer<Float>) {
        guard let first = map.first else { return }
        var minimum = first, maximum = first
        for value in map {
            minimum = min(minimum, value)
            maximum = max(maximum, value)
        }
        let low = Double(minimum), range = Double(maximum) - Double(minimum) + Double(GradientModifier.epsilon)
        for index in map.indices { map[index] = Float((Double(map[index]) - low) / range) }
    }
}
