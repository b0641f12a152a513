import Foundation

/// The seeded standard-normal noise of SmoothGrad, independent of batching: the noise of the k-th
/// explained image of a run (k counted from 0 over the whole run) is the stream of ``init(seed:item:)``.
///
/// Definition: SplitMix64 (Steele, Lea & Flood 2014) with state `seed ⊕ (k + 1)·0x9E3779B97F4A7C15`;
/// each normal uses two outputs `u₁, u₂` turned into uniforms in (0, 1] and [0, 1) by `(x >> 11 + 1)·2⁻⁵³`
/// and `(x >> 11)·2⁻⁵³`, and the Box–Muller cosine branch `√(−2 ln u₁)·cos(2π u₂)` (the sine branch is
/// not used), rounded to Float.
public struct NoiseGenerator {
    private var state: UInt64

    public init(seed: UInt64, item: Int) {
        state = seed ^ (UInt64(item + 1) &* 0x9E37_79B9_7F4A_7C15)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next standard normal.
    public mutating func normal() -> Float {
        let u1 = (Double(next() >> 11) + 1) * 0x1p-53, u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }

    /// `count` standard normals.
    public mutating func normals(_ count: Int) -> [Float] {
        (0..<count).map { _ in normal() }
    }
}
