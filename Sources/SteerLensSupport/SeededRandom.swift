/// A small, fast, seeded pseudo-random generator (SplitMix64): the demo scene, benchmark weights and
/// randomised tests all draw from it. Everything here is integer arithmetic or exact conversions, so a
/// seed gives the same numbers on every run and every build mode.
///
/// Reference: Steele, Lea, Flood, "Fast splittable pseudorandom number generators" (OOPSLA 2014).
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 ^ 0xD1B5_4A32_D192_ED03
    }

    /// SplitMix64's increment γ: the `k`-th number after now hashes ``currentState`` + k·γ.
    public static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The state the next number advances from, for vector loops that draw the same numbers.
    public var currentState: UInt64 { state }

    public mutating func next() -> UInt64 {
        state &+= Self.increment
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Skips `count` numbers in O(1): the next ``next()`` returns what it would after `count` more calls.
    public mutating func skip(_ count: Int) {
        state &+= UInt64(truncatingIfNeeded: count) &* Self.increment
    }

    /// A uniform Double in `[0, 1)` from the top 53 bits.
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform Double in `[low, high)`.
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * unit()
    }
}
