/// Colormaps for drawing saliency maps, as matplotlib defines them (tables generated from matplotlib:
/// see `ColormapTables.swift`).
///
/// A value `S` in [0, 1] picks entry `min(⌊S·256⌋, 255)` of a 256-entry table — matplotlib's rule for
/// float input, which keras-vis overlays inherit. `jet` is the keras-vis default; `turbo`, `inferno` and
/// `viridis` are perceptually ordered alternatives.
public enum Colormap: String, Sendable, CaseIterable {
    case jet, turbo, inferno, viridis

    /// 256 RGB entries, `np.uint8(cm.<name>(i)[:3] * 255)`.
    var table: [UInt8] {
        switch self {
        case .jet: Self.jetTable
        case .turbo: Self.turboTable
        case .inferno: Self.infernoTable
        case .viridis: Self.viridisTable
        }
    }

    /// The table index of a value: `min(⌊S·256⌋, 255)`, negative and NaN values → 0, +∞ → 255 (clamped
    /// before the conversion, which gives the same index and cannot trap).
    @inline(__always)
    public static func index(of value: Float) -> Int {
        guard value > 0 else { return 0 }
        return Int(min(value * 256, 255))
    }

    /// The colour of a value in [0, 1].
    public func color(of value: Float) -> (red: UInt8, green: UInt8, blue: UInt8) {
        let entry = Self.index(of: value) * 3
        let table = table
        return (table[entry], table[entry + 1], table[entry + 2])
    }
}
