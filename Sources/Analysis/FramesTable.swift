import Foundation
import Reporting
import SteerLensSupport

/// `frames.csv`: one row per analysed frame — `frame,time_s,prediction,label,error`, five region
/// shares of each map's importance (`<map>_importance_upper`, `_middle`, `_lower`, `_left`, `_right`; a
/// qualified map name such as `gradcam/increase` becomes the prefix `gradcam_increase`), per-method
/// diagnostics columns (`integrated-gradients_completeness_error`), `saliency_change` and, with
/// faithfulness scoring, `<map>_deletion_auc`, `<map>_insertion_auc` per map and `random_deletion_auc`,
/// `random_insertion_auc` (empty on frames not scored). Written atomically.
public struct FramesTable: Sendable {
    /// Map names in column order (`increase`, `gradcam/increase`, …).
    public let maps: [String]
    /// Diagnostics columns (e.g. `integrated-gradients_completeness_error`), in order.
    public let diagnostics: [String]
    /// Faithfulness columns (`--faithfulness-every` > 0).
    public let faithfulness: Bool

    public init(maps: [String], diagnostics: [String] = [], faithfulness: Bool = false) {
        (self.maps, self.diagnostics, self.faithfulness) = (maps, diagnostics, faithfulness)
    }

    private func prefix(_ name: String) -> String { name.replacingOccurrences(of: "/", with: "_") }

    /// The header line's fields.
    public var header: [String] {
        var header = ["frame", "time_s", "prediction", "label", "error"]
        for name in maps {
            header += ["upper", "middle", "lower", "left", "right"].map { "\(prefix(name))_importance_\($0)" }
        }
        header += diagnostics
        header.append("saliency_change")
        if faithfulness {
            for name in maps.map(prefix) + ["random"] { header += ["\(name)_deletion_auc", "\(name)_insertion_auc"] }
        }
        return header
    }

    /// The whole file's text.
    public func text(_ entries: [RunReport.FrameEntry]) -> String {
        var lines = [header.joined(separator: ",")]
        func number(_ value: Double?) -> String { value.map { String(format: "%.9g", $0) } ?? "" }
        for entry in entries {
            var fields = [String(entry.frame), String(format: "%.6f", entry.time), number(entry.prediction), number(entry.label), number(entry.error)]
            for name in maps {
                let statistics = entry.regionShares![name]!
                fields += [statistics.upper, statistics.middle, statistics.lower, statistics.left, statistics.right].map { String(format: "%.6f", $0) }
            }
            fields += diagnostics.map { number(entry.diagnostics?[$0]) }
            fields.append(number(entry.saliencyChange))
            if faithfulness {
                let scores = entry.faithfulness
                for areas in maps.map({ scores?.maps[$0] }) + [scores?.random] { fields += [number(areas?.deletion), number(areas?.insertion)] }
            }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the table to `url` atomically.
    public func write(_ entries: [RunReport.FrameEntry], to url: URL) throws {
        try AtomicFile.write(Data(text(entries).utf8), to: url)
    }
}
