import Foundation

/// The bins of a classifier steering head, `MIN:MAX:N` (`--bins`, sidecar `"bins"`): `N` bin centres
/// evenly spaced from `MIN` to `MAX`, both included, `cᵢ = MIN + i·(MAX − MIN)/(N − 1)`. DonkeyCar's
/// `KerasCategorical` angle head is `-1:1:15` (its `linear_bin`/`linear_unbin` use exactly these centres).
public struct AngleBins: Sendable, Equatable {
    public let minimum: Float
    public let maximum: Float
    public let count: Int

    /// Parses `MIN:MAX:N`; `nil` unless `MIN < MAX` are finite and `N ≥ 2`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 3, let minimum = Float(parts[0]), let maximum = Float(parts[1]), let count = Int(parts[2]),
              minimum.isFinite, maximum.isFinite, minimum < maximum, count >= 2 else { return nil }
        self.minimum = minimum
        self.maximum = maximum
        self.count = count
    }

    /// The bin centres, lowest first.
    public var centers: [Float] {
        (0..<count).map { Float(Double(minimum) + Double($0) * (Double(maximum) - Double(minimum)) / Double(count - 1)) }
    }

    /// What to write where `MIN:MAX:N` is expected.
    public static let syntax = "MIN:MAX:N with MIN < MAX and N >= 2, e.g. -1:1:15"
}
