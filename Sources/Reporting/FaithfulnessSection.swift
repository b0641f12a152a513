import Foundation

/// The report's faithfulness section, preformatted: the per-map table and the mean deletion and
/// insertion curves as inline SVG polylines (x = share of pixels changed, y = normalised output).
struct FaithfulnessSection {
    struct Row { let cells: [String] }
    struct Line { let name: String; let points: String; let colour: String; let dash: String }
    struct Tick { let position: String; let label: String }
    struct Plot { let title: String; let lines: [Line]; let yTicks: [Tick]; let xTicks: [Tick] }

    let every: Int
    let framesScored: Int
    let baseline: String
    let rows: [Row]
    let plots: [Plot]
    static let width = 460.0, height = 240.0
    static let left = 44.0, right = 430.0, top = 10.0, bottom = 210.0
    static let palette = ["#1f6feb", "#d1242f", "#1a7f37", "#8250df", "#bf8700", "#0a7c86", "#e85aad", "#953800"]

    init?(_ summary: FaithfulnessSummary?, order: [String]) {
        guard let summary else { return nil }
        (every, framesScored, baseline) = (summary.every, summary.framesScored, summary.baseline)
        let names = summary.maps.keys.sorted { (order.firstIndex(of: $0) ?? 99, $0) < (order.firstIndex(of: $1) ?? 99, $1) }
        func number(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "—" }
        let best = names.compactMap { name in summary.maps[name]!.meanDeletion.map { (name, $0) } }.min { $0.1 < $1.1 }?.0
        rows = names.map { name in
            let curves = summary.maps[name]!
            return Row(cells: [name + (name == best ? " ★" : ""), number(curves.meanDeletion), number(curves.meanInsertion),
                               curves.beatsRandom.map { "\($0) / \(curves.frames)" } ?? "—", "\(curves.frames)"])
        } + [Row(cells: ["random ranking", number(summary.random.meanDeletion), number(summary.random.meanInsertion), "—", "\(summary.random.frames)"])]
        var series = names.enumerated().map { index, name in
            (name: name, curves: summary.maps[name]!, colour: Self.palette[index % Self.palette.count], dash: "")
        }
        series.append((name: "random", curves: summary.random, colour: "#8a8f98", dash: "5 4"))
        plots = [
            Self.plot(title: "Deletion (lower area = more faithful)", series.map { ($0.name, $0.curves.deletionCurve, $0.colour, $0.dash) }),
            Self.plot(title: "Insertion (higher area = more faithful)", series.map { ($0.name, $0.curves.insertionCurve, $0.colour, $0.dash) }),
        ]
    }

    /// One plot: y from 0 to the largest value (at least 1), rounded up to a half.
    static func plot(title: String, _ series: [(name: String, curve: [Double], colour: String, dash: String)]) -> Plot {
        let maximum = max(1, series.flatMap(\.curve).filter(\.isFinite).max() ?? 1)
        let top = (maximum * 2).rounded(.up) / 2
        func x(_ fraction: Double) -> Double { left + (right - left) * fraction }
        func y(_ value: Double) -> Double { bottom - (bottom - self.top) * min(max(value, 0), top) / top }
        let lines = series.filter { !$0.curve.isEmpty }.map { entry in
            Line(name: entry.name, points: entry.curve.enumerated().map { index, value in
                String(format: "%.1f,%.1f", x(Double(index) / Double(entry.curve.count - 1)), y(value))
            }.joined(separator: " "), colour: entry.colour, dash: entry.dash)
        }
        let yTicks = stride(from: 0.0, through: top, by: top > 2 ? 1 : 0.5).map { Tick(position: String(format: "%.1f", y($0)), label: String(format: "%.1f", $0)) }
        let xTicks = stride(from: 0.0, through: 1.0, by: 0.25).map { Tick(position: String(format: "%.1f", x($0)), label: String(format: "%.0f %%", 100 * $0)) }
        return Plot(title: title, lines: lines, yTicks: yTicks, xTicks: xTicks)
    }

    /// The section's HTML (a Mustache partial of ``ReportTemplate``; every value escaped).
    static let template = #"""
<section id="faithfulness-section">
  <h2>Faithfulness (deletion / insertion)</h2>
  <p style="color:var(--muted);max-width:900px">Every {{every}}-th analysed frame ({{framesScored}} frames): the top-ranked pixels of each map are replaced by the baseline, {{baseline}}, in 5 % steps (deletion), or revealed from it (insertion), and the prediction is recomputed. Curves are normalised as |f(x<sub>k</sub>) − f(baseline)| / |f(x) − f(baseline)| (1 = the frame's own prediction, 0 = the baseline's; values above 1 mean the perturbed frame moved further from the baseline than the frame itself) and averaged over frames. Area under the deletion curve: lower is more faithful (★ = lowest); insertion: higher is better. A map should beat the seeded random ranking.</p>
  <table id="faithfulness-table"><tr><th>map</th><th>deletion AUC ↓</th><th>insertion AUC ↑</th><th>frames beating random (deletion)</th><th>frames</th></tr>{{#rows}}<tr>{{#cells}}<td>{{.}}</td>{{/cells}}</tr>{{/rows}}</table>
  <div class="reviews" style="margin-top:10px">
    {{#plots}}<div class="panel"><h3 style="font-size:14px;margin:0 0 6px">{{title}}</h3>
      <svg class="faithfulness-plot" viewBox="0 0 460 240" role="img" aria-label="{{title}}" style="width:100%;height:auto">
        {{#yTicks}}<line x1="44" x2="430" y1="{{position}}" y2="{{position}}" stroke="#eef1f5"/><text x="4" y="{{position}}" dy="4">{{label}}</text>{{/yTicks}}
        {{#xTicks}}<text x="{{position}}" y="232" text-anchor="middle">{{label}}</text>{{/xTicks}}
        {{#lines}}<polyline points="{{points}}" fill="none" stroke="{{colour}}" stroke-width="1.6" stroke-dasharray="{{dash}}"><title>{{name}}</title></polyline>{{/lines}}
      </svg>
      <div class="legend">{{#lines}}<span style="color:{{colour}}">━ {{name}}</span>{{/lines}}</div></div>{{/plots}}
  </div>
</section>
"""#
}
