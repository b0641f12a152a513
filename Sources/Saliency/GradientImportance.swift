/// The gradient method's own attribution magnitude, before any display normalisation: what region
/// statistics are computed from.
///
/// For one item's gradient `g` (`[H, W, C]`, NHWC without the batch axis) and a map kind's modifier,
/// the importance of a pixel is `max(0, max_c modifier(g))` — the positive part of the same channel
/// maximum the display map is normalised from (so `increase` counts where the output would rise,
/// `decrease` where it would fall). `maintain` (`small_values`, `|1/(g + 1e-7)|`) is ill-conditioned:
/// near-zero gradients dominate its mass, by design of the formula. Non-finite values are guarded
/// like the maps (±∞ → ±greatest finite, NaN → 0). Returns `[H, W]`, non-negative.
public enum GradientImportance {
    public static func importance(gradient: ArraySlice<Float>, channels: Int, modifier: GradientModifier) -> [Float] {
        precondition(channels >= 1 && gradient.count % channels == 0, "gradient of \(gradient.count) values is not a multiple of \(channels) channels")
        let base = gradient.startIndex
        return (0..<(gradient.count / channels)).map { pixel in
            var best = -Float.greatestFiniteMagnitude
            for channel in 0..<channels { best = max(best, modifier.apply(gradient[base + pixel * channels + channel])) }
            return max(GradientModifier.guarded(best), 0)
        }
    }
}
