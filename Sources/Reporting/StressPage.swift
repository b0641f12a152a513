import Foundation

/// The stress run's HTML page (`index.html`, self-contained apart from its PNGs): the verdict, a
/// transform × parameter heat map of violation rates, the steering timeline of the first clip under
/// the three worst settings, and the worst frames side by side (original | transformed | maps).
/// Every text is HTML-escaped.
public enum StressPage {
    /// The steering of one clip for the timeline: per frame the label (if any), the original prediction,
    /// and per setting (in `report.settings`' order) the transformed prediction.
    public struct Timeline: Sendable {
        public var clip: String
        public var labels: [Double?]
        public var original: [Double]
        public var transformed: [[Double]]

        public init(clip: String, labels: [Double?], original: [Double], transformed: [[Double]]) {
            (self.clip, self.labels, self.original, self.transformed) = (clip, labels, original, transformed)
        }
    }

    public static func render(_ report: StressReport, timeline: Timeline?) -> String {
        var html = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\"><title>SteerLens stress: \(escape(report.model))</title>",
                    "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 6px;font-size:13px;text-align:center}"
                    + ".pass{color:#176b2c}.fail{color:#b00020}img{max-width:320px;margin:2px}figure{display:inline-block;margin:4px}figcaption{font-size:12px}</style></head><body>"]
        html.append("<h1>Stress test of \(escape(report.model))</h1>")
        html.append("<p>Suite <b>\(escape(report.suite))</b>: \(report.settings.count) settings on \(report.clips.map { "\(escape($0.clip)) (\($0.frames) frames)" }.joined(separator: ", ")); λ = \(format(report.lambda)), δ = \(format(report.delta)).</p>")
        html.append("<ul>")
        for check in report.checks {
            html.append("<li class=\"\(check.passed ? "pass" : "fail")\">\(check.passed ? "pass" : "FAIL"): \(escape(check.name)) = \(format(check.value)), limit \(escape(check.comparison)) \(format(check.limit))</li>")
        }
        html.append("</ul>")
        html.append(heatMap(report.settings))
        html.append(timeline.map { Self.timeline($0, report: report) } ?? "")
        html.append("<h2>Worst frames</h2>")
        for item in report.worst {
            let drift = item.correlation.keys.sorted().map { "\($0): r = \(format(item.correlation[$0]!)), top-10 % IoU = \(format(item.topIoU[$0] ?? 0))" }.joined(separator: "; ")
            html.append("<h3>\(escape(item.specification)) — frame \(item.frame) of \(escape(item.clip))</h3>")
            html.append("<p>original \(format(item.original)) → transformed \(format(item.transformed))\(item.label.map { ", label \(format($0))" } ?? ""). Attention drift: \(escape(drift))</p><div>")
            let captions = ["original", "transformed", "original, map", "transformed, map"]
            for (image, caption) in zip(item.images, captions) {
                html.append("<figure><img src=\"\(escape(image))\" alt=\"\(escape(caption))\"><figcaption>\(escape(caption))</figcaption></figure>")
            }
            html.append("</div>")
        }
        html.append("</body></html>")
        return html.joined(separator: "\n") + "\n"
    }

    /// One row per transform, one cell per parameter, shaded white → red by violation rate.
    static func heatMap(_ settings: [StressReport.SettingSummary]) -> String {
        var groups: [String] = [], rows: [String: [StressReport.SettingSummary]] = [:]
        for setting in settings {
            if rows[setting.transform] == nil { groups.append(setting.transform) }
            rows[setting.transform, default: []].append(setting)
        }
        let columns = rows.values.map(\.count).max() ?? 0
        var html = ["<h2>Violation rate by transform and parameter</h2>", "<table class=\"heatmap\"><tr><th>transform</th>" + (1...max(columns, 1)).map { "<th>\($0)</th>" }.joined() + "</tr>"]
        for group in groups {
            var cells = "<tr><th>\(escape(group))</th>"
            for setting in rows[group]! {
                let rate = setting.violationRate
                let shade = Int(255 - 200 * min(max(rate, 0), 1))
                cells += "<td style=\"background:rgb(255,\(shade),\(shade))\" title=\"\(escape(setting.specification)): \(setting.violations) of \(setting.frames) frames\">"
                    + "\(escape(setting.parameter))<br><b>\(String(format: "%.0f %%", rate * 100))</b></td>"
            }
            html.append(cells + "</tr>")
        }
        html.append("</table>")
        return html.joined(separator: "\n")
    }

    /// SVG steering timeline of the first clip: labels, original predictions and the three settings
    /// with the highest violation rates.
    static func timeline(_ clip: Timeline, report: StressReport) -> String {
        guard clip.original.count > 1 else { return "" }
        let worst = report.settings.enumerated().filter { $0.element.transform != "flip" }
            .sorted { $0.element.violationRate > $1.element.violationRate }.prefix(3).map(\.offset)
        let width = 900.0, height = 260.0
        var series: [(String, String, [Double?])] = []
        if clip.labels.contains(where: { $0 != nil }) { series.append(("labels", "#999999", clip.labels)) }
        series.append(("original", "#000000", clip.original.map { $0 }))
        for (index, setting) in worst.enumerated() where setting < clip.transformed.count {
            series.append((report.settings[setting].specification, ["#d62728", "#1f77b4", "#2ca02c"][index], clip.transformed[setting].map { $0 }))
        }
        let values = series.flatMap { $0.2.compactMap { $0 } }
        let low = min(values.min() ?? -1, -0.1), high = max(values.max() ?? 1, 0.1)
        func x(_ row: Int) -> Double { 40 + (width - 50) * Double(row) / Double(clip.original.count - 1) }
        func y(_ value: Double) -> Double { 10 + (height - 30) * (high - value) / (high - low) }
        var svg = ["<h2>Steering under the worst transforms (\(escape(clip.clip)))</h2>",
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height) + 20 * series.count)\" role=\"img\">",
                   "<line x1=\"40\" x2=\"\(width - 10)\" y1=\"\(y(0))\" y2=\"\(y(0))\" stroke=\"#ddd\"/>"]
        for (index, (name, colour, points)) in series.enumerated() {
            let path = points.enumerated().compactMap { row, value in value.map { String(format: "%.1f,%.1f", x(row), y($0)) } }.joined(separator: " ")
            svg.append("<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.2\" points=\"\(path)\"/>")
            svg.append("<text x=\"40\" y=\"\(Int(height) + 20 * index + 12)\" fill=\"\(colour)\" font-size=\"12\">\(escape(name))</text>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }

    static func format(_ value: Double) -> String { String(format: "%.4g", value) }

    static func escape(_ text: String) -> String {
        var output = ""
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.append(character)
            }
        }
        return output
    }
}
