/// How a normalised map is stretched for display (overlays only; `--save-maps` keeps the exact values).
///
/// keras-vis' maintain map is ill-conditioned on real models: a few dozen pixels whose gradient lies
/// within float noise of −ε reach 1e9–1e11 and push every other pixel to ~0, so its overlay looks
/// blank. The robust scales spread the rest of the map again.
public enum DisplayScale: Sendable, Equatable {
    /// The keras-vis values as they are.
    case exact
    /// Divide by the given percentile of the map (e.g. 99) and clip at 1: the brightest
    /// (100 − p) % of pixels saturate, the rest keep their order and proportions.
    case percentile(Double)
    /// `log(1 + S/s₀) / log(1 + 1/s₀)` with `s₀` the map's median of its non-zero values: compresses
    /// many decades into the display range.
    case logarithmic

    /// The scaled copy of a map with values in [0, 1].
    public func apply(_ map: [Float]) -> [Float] {
        switch self {
        case .exact:
            return map
        case .percentile(let percentile):
            guard !map.isEmpty else { return map }
            let rank = min(max(Int((percentile / 100 * Double(map.count - 1)).rounded()), 0), map.count - 1)
            // `sorted()[rank]` and `sorted().last`: by selection, or (NaN has no place in an order) by
            // the sort itself, whatever its comparisons make of NaN.
            let ranked: Float, largest: Float
            if map.contains(where: \.isNaN) {
                let sorted = map.sorted()
                (ranked, largest) = (sorted[rank], sorted[sorted.count - 1])
            } else {
                (ranked, largest) = (Self.select(rank, of: map), map.max()!)
            }
            guard largest > 0 else { return map }
            let reference = ranked > 0 ? ranked : largest
            return map.map { min($0 / reference, 1) }
        case .logarithmic:
            let positive = map.filter { $0 > 0 }.sorted()
            guard !positive.isEmpty else { return map }
            let floor = Double(positive[positive.count / 2])
            let top = log1p(1 / floor)
            return map.map { Float(log1p(Double(max($0, 0)) / floor) / top) }
        }
    }

    /// `values.sorted()[rank]` for values without NaN, in expected linear time (Hoare's quickselect,
    /// median-of-three pivots). A zero of either sign may stand for the other.
    static func select(_ rank: Int, of values: [Float]) -> Float {
        var values = values
        var low = 0, high = values.count - 1
        while low < high {
            let middle = low + (high - low) / 2
            let pivot = Swift.max(Swift.min(values[low], values[middle]), Swift.min(Swift.max(values[low], values[middle]), values[high]))
            var i = low, j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
            }
            // Now values[low...j] ≤ pivot ≤ values[i...high], and any between equal the pivot.
            if rank <= j { high = j } else if rank >= i { low = i } else { return values[rank] }
        }
        return values[rank]
    }
}

/// The display scales a user names for the maintain overlay (`analyze --maintain-scale`; run.json
/// records the name).
public enum MaintainScale: String, Sendable, CaseIterable {
    /// Divide by the 99th percentile and clip (default).
    case percentile
    /// Logarithmic.
    case log
    /// keras-vis values unchanged.
    case exact

    public var displayScale: DisplayScale {
        switch self {
        case .percentile: .percentile(99)
        case .log: .logarithmic
        case .exact: .exact
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
