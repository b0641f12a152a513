import Foundation
import SteerLensSupport

/// A named saliency map: which gradient modifier produces it.
///
/// For a steering regressor the three keras-vis maps read as: `increase` (steer right / output up,
/// modifier `default`), `decrease` (steer left / output down, `negate`) and `maintain` (keep the angle,
/// `small_values`). Any other modifier gives a map named after it (`absolute`, `relu`, `invert`…).
public struct SaliencyMapKind: Sendable, Hashable, CustomStringConvertible {
    /// File-system safe name: the folder of its maps (`maps/<name>/`).
    public let name: String
    public let modifier: GradientModifier

    public init(name: String, modifier: GradientModifier) {
        self.name = name
        self.modifier = modifier
    }

    public static let increase = SaliencyMapKind(name: "increase", modifier: .identity)
    public static let decrease = SaliencyMapKind(name: "decrease", modifier: .negate)
    public static let maintain = SaliencyMapKind(name: "maintain", modifier: .smallValues)
    /// The three maps of the keras-vis steering notebook, in that order.
    public static let steering: [SaliencyMapKind] = [.increase, .decrease, .maintain]

    /// A kind by map name (`increase`, `decrease`, `maintain`) or modifier name (`default`, `negate`,
    /// `small_values`, `absolute`, `relu`, `invert`).
    public static func named(_ name: String) throws -> SaliencyMapKind {
        if let kind = steering.first(where: { $0.name == name }) { return kind }
        if let modifier = GradientModifier(rawValue: name) {
            return steering.first { $0.modifier == modifier } ?? SaliencyMapKind(name: modifier.rawValue, modifier: modifier)
        }
        throw SaliencyError.unknownMap(name)
    }

    /// The kinds of a comma-separated list (`--maps increase,decrease`) and of `more` names, in order,
    /// without repeats; an empty list is an error.
    public static func list(_ text: String, more: [String] = []) throws -> [SaliencyMapKind] {
        var kinds: [SaliencyMapKind] = []
        for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) + more {
            let kind = try named(name)
            if !kinds.contains(kind) { kinds.append(kind) }
        }
        guard !kinds.isEmpty else { throw SaliencyError.unknownMap(text) }
        return kinds
    }

    public var description: String { name }
}
