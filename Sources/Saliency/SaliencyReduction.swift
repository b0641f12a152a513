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
        switch modifier {
        case .identity: reduce(gradient, items, pixels, channels, keepChannels) { $0 }
        case .negate: reduce(gradient, items, pixels, channels, keepChannels) { -$0 }
        case .smallValues: reduce(gradient, items, pixels, channels, keepChannels) { abs(1 / ($0 + GradientModifier.epsilon)) }
        case .absolute: reduce(gradient, items, pixels, channels, keepChannels) { abs($0) }
        case .relu: reduce(gradient, items, pixels, channels, keepChannels) { max($0, 0) }
        case .invert: reduce(gradient, items, pixels, channels, keepChannels) { 1 / ($0 + GradientModifier.epsilon) }
        }
    }

    /// Applies `modify` element-wise, takes the channel maximum, guards non-finite values like
    /// ``GradientModifier/apply(_:)`` (±∞ → ±greatest finite, NaN → 0) and normalises each item.
    /// Specialised per modifier so the inner loops stay free of dispatch.
    @inline(__always)
    private static func reduce(_ gradient: UnsafeBufferPointer<Float>, _ items: Int, _ pixels: Int, _ channels: Int, _ keepChannels: Bool,
                               _ modify: (Float) -> Float) -> [Float] {
        let perItem = keepChannels ? pixels * channels : pixels
        var output = [Float](repeating: 0, count: items * perItem)
        output.withUnsafeMutableBufferPointer { maps in
            for item in 0..<items {
                let g = gradient.baseAddress! + item * pixels * channels
                let map = maps.baseAddress! + item * perItem
                if keepChannels {
                    for index in 0..<perItem { map[index] = modify(g[index]) }
                } else {
                    for pixel in 0..<pixels {
                        let source = g + pixel * channels
                        var best = modify(source[0])
                        for channel in 1..<max(channels, 1) { best = max(best, modify(source[channel])) }
                        map[pixel] = best
                    }
                }
                let values = UnsafeMutableBufferPointer(start: map, count: perItem)
                for index in values.indices where !values[index].isFinite {
                    values[index] = values[index].isNaN ? 0 : (values[index] > 0 ? .greatestFiniteMagnitude : -.greatestFiniteMagnitude)
                }
                normalise(values)
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
        // (M − min)/range in Double, one multiply per pixel: the reciprocal is exact enough (< 1 ulp of Float).
        let scale = 1 / range
        for index in map.indices { map[index] = Float((Double(map[index]) - low) * scale) }
    }
}
