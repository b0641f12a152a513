import Foundation
import Reporting
import SteerLensSupport

/// `frames.csv`: one row per analysed frame — `frame,time_s,prediction,label,error`, five region
/// shares per map (`<map>_upper`, `_middle`, `_lower`, `_left`, `_right`; a qualified map name such as
/// `gradcam/increase` becomes the prefix `gradcam_increase`), per-method diagnostics columns (`integrated-gradients_completeness_error`) and
/// `saliency_change`. Written atomically.
public struct FramesTable {
    /// Map names in column order (`increase`, `gradcam/increase`, …).
    public let maps: [String]
    /// Diagnostics columns (e.g. `integrated-gradients_completeness_error`), in order.
    public let diagnostics: [String]

    public init(maps: [String], diagnostics: [String] = []) {
        (self.maps, self.diagnostics) = (maps, diagnostics)
    }

    /// The header line's fields.
    public var header: [String] {
        var header = ["frame", "time_s", "prediction", "label", "error"]
        for name in maps {
            let prefix = name.replacingOccurrences(of: "/", with: "_")
            header += ["upper", "middle", "lower", "left", "right"].map { "\(prefix)_\($0)" }
        }
        header += diagnostics
        header.append("saliency_change")
        return header
    }

    /// The whole file's text.
    public func text(_ entries: [RunReport.FrameEntry]) -> String {
        var lines = [header.joined(separator: ",")]
        func number(_ value: Double?) -> String { value.map { String(format: "%.9g", $0) } ?? "" }
        for entry in entries {
            var fields = [String(entry.frame), String(format: "%.6f", entry.time), number(entry.prediction), number(entry.label), number(entry.error)]
            for name in maps {
                let statistics = entry.maps[name]!
                fields += [statistics.upper, statistics.middle, statistics.lower, statistics.left, statistics.right].map { String(format: "%.6f", $0) }
            }
            fields += diagnostics.map { number(entry.diagnostics?[$0]) }
            fields.append(number(entry.saliencyChange))
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the table to `url` atomically.
    public func write(_ entries: [RunReport.FrameEntry], to url: URL) throws {
        try AtomicFile.write(Data(text(entries).utf8), to: url)
    }
}
