import Foundation
import Mustache

/// Renders a ``FleetReport`` as `OUT/index.html`: the verdict, fleet-level metrics and checks, clips that
/// are missing or half-written, the worst clips and frames, and every clip with a link to its own page.
/// All values are HTML-escaped by the template.
public enum FleetPage {
    public static func render(_ report: FleetReport) throws -> String {
        let template = try MustacheTemplate(string: FleetTemplate.html)
        return template.render(FleetView(report))
    }
}

struct FleetView {
    struct Row { let name: String; let value: String }
    struct Check { let name: String; let value: String; let limit: String; let verdict: String; let passed: Bool }
    struct Clip { let id: String; let status: String; let good: Bool; let frames: String; let metric: String; let detail: String; let page: String? }
    struct Frame { let id: String; let frame: String; let time: String; let value: String; let page: String? }

    let title: String
    let verdict: String
    let passed: Bool
    let metricName: String
    let metrics: [Row]
    let checks: [Check]
    let problems: [Clip]
    let worstClips: [Clip]
    let worstFrames: [Frame]
    let clips: [Clip]
    let litter: [String]
    let hasChecks: Bool
    let hasProblems: Bool
    let hasLitter: Bool

    init(_ report: FleetReport) {
        title = "SteerLens fleet — \(report.command), \(report.clips.count) clips"
        passed = report.isComplete && report.passed
        let incomplete = report.clips.count - report.count("complete")
        verdict = !report.isComplete ? "INCOMPLETE — \(incomplete) of \(report.clips.count) clips have no complete result"
            : report.passed ? "PASS — every fleet threshold holds" : "FAIL — a fleet threshold fails"
        let compares = report.command == "compare"
        metricName = compares ? "max |Δ|" : "MAE"
        func number(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "—" }
        var rows = [Row(name: "clips", value: "\(report.clips.count) (\(report.count("complete")) complete, \(report.count("missing")) missing, \(report.count("incomplete")) incomplete, \(report.count("failed")) failed, \(report.count("stale")) stale)"),
                    Row(name: "frames", value: "\(report.frames)")]
        if let metrics = report.metrics {
            rows += [Row(name: "max |candidate − baseline|", value: number(metrics.maxAbsoluteDelta)),
                     Row(name: "p95 |candidate − baseline|", value: number(metrics.p95AbsoluteDelta)),
                     Row(name: "mean |candidate − baseline|", value: number(metrics.meanAbsoluteDelta)),
                     Row(name: "baseline MAE", value: number(metrics.baselineMAE)), Row(name: "candidate MAE", value: number(metrics.candidateMAE))]
        }
        if let mae = report.mae { rows.append(Row(name: "MAE against labels", value: number(mae))) }
        metrics = rows
        checks = report.checks.map { Check(name: $0.name, value: String(format: "%.4f", $0.value), limit: "\($0.comparison) \(String(format: "%.4g", $0.limit))",
                                           verdict: $0.passed ? "pass" : "FAIL", passed: $0.passed) }
        let views = Dictionary(report.clips.map { clip in
            (clip.id, Clip(id: clip.id, status: clip.passed == false ? "checks fail" : clip.status, good: clip.isComplete && clip.passed != false,
                           frames: clip.frames.map(String.init) ?? "—", metric: number(compares ? clip.maxAbsoluteDelta : clip.mae),
                           detail: clip.detail ?? clip.clip, page: clip.page))
        }, uniquingKeysWith: { first, _ in first })
        clips = report.clips.map { views[$0.id]! }
        problems = report.clips.filter { !$0.isComplete }.map { views[$0.id]! }
        worstClips = report.worstClips.compactMap { views[$0] }
        worstFrames = report.worstFrames.map { Frame(id: $0.id, frame: "\($0.frame)", time: String(format: "%.2f", $0.time), value: String(format: "%.4f", $0.value), page: $0.page) }
        litter = report.litter
        (hasChecks, hasProblems, hasLitter) = (!checks.isEmpty, !problems.isEmpty, !litter.isEmpty)
    }
}

enum FleetTemplate {
    static let html = #"""
\#(PageStyle.documentHead)
\#(PageStyle.base)
  td, th { word-break: break-all; }
</style>
</head>
<body>
<header>
  <h1>{{title}}</h1>
  <p class="verdict {{#passed}}pass{{/passed}}{{^passed}}fail{{/passed}}">{{verdict}}</p>
</header>
<section id="metrics">
  <h2>Fleet metrics</h2>
  <table>{{#metrics}}<tr><th>{{name}}</th><td>{{value}}</td></tr>{{/metrics}}</table>
  {{#hasChecks}}<h2>Fleet thresholds</h2>{{/hasChecks}}
  <table>{{#checks}}<tr class="{{#passed}}pass{{/passed}}{{^passed}}fail{{/passed}}"><td>{{name}}</td><td>{{value}}</td><td>{{limit}}</td><td>{{verdict}}</td></tr>{{/checks}}</table>
</section>
{{#hasProblems}}<section id="problems"><h2>Clips without a complete result</h2><table>
<tr><th>id</th><th>status</th><th>detail</th></tr>{{/hasProblems}}
{{#problems}}<tr class="fail"><td>{{id}}</td><td>{{status}}</td><td>{{detail}}</td></tr>{{/problems}}
{{#hasProblems}}</table></section>{{/hasProblems}}
<section id="worst-clips">
  <h2>Worst clips ({{metricName}})</h2>
  <table><tr><th>id</th><th>frames</th><th>{{metricName}}</th><th>status</th></tr>
  {{#worstClips}}<tr><td>{{#page}}<a href="{{page}}">{{id}}</a>{{/page}}{{^page}}{{id}}{{/page}}</td><td>{{frames}}</td><td>{{metric}}</td><td>{{status}}</td></tr>{{/worstClips}}
  </table>
</section>
<section id="worst-frames">
  <h2>Worst frames</h2>
  <table><tr><th>clip</th><th>frame</th><th>time (s)</th><th>{{metricName}}</th></tr>
  {{#worstFrames}}<tr><td>{{#page}}<a href="{{page}}">{{id}}</a>{{/page}}{{^page}}{{id}}{{/page}}</td><td>{{frame}}</td><td>{{time}}</td><td>{{value}}</td></tr>{{/worstFrames}}
  </table>
</section>
<section id="clips">
  <h2>Every clip</h2>
  <table><tr><th>id</th><th>status</th><th>frames</th><th>{{metricName}}</th><th>clip</th></tr>
  {{#clips}}<tr class="{{#good}}pass{{/good}}{{^good}}fail{{/good}}"><td>{{#page}}<a href="{{page}}">{{id}}</a>{{/page}}{{^page}}{{id}}{{/page}}</td><td>{{status}}</td><td>{{frames}}</td><td>{{metric}}</td><td>{{detail}}</td></tr>{{/clips}}
  </table>
</section>
{{#hasLitter}}<section id="litter"><h2>Left by workers that died</h2><ul>{{/hasLitter}}{{#litter}}<li>{{.}}</li>{{/litter}}{{#hasLitter}}</ul></section>{{/hasLitter}}
</body>
</html>
"""#
}
