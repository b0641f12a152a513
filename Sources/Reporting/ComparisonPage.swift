import Foundation
import Mustache

/// Renders a ``ComparisonReport`` as a self-contained HTML page: verdict, per clip the threshold table,
/// baseline/candidate/label timelines, the delta plot and the frames with the largest delta or drift
/// with baseline and candidate overlays side by side. All values are HTML-escaped by the template.
public enum ComparisonPage {
    /// - Parameter images: clip path → relative folder holding `frames/`, `baseline/<kind>/` and
    ///   `candidate/<kind>/` PNGs for the highlighted frames (absent: no images for that clip).
    public static func render(_ report: ComparisonReport, images: [String: String], highlighted: [String: [Int]]) throws -> String {
        let template = try MustacheTemplate(string: ComparisonTemplate.html)
        return template.render(ComparisonView(report, images: images, highlighted: highlighted))
    }

    /// Frames worth showing for a clip: the largest |delta| and the lowest first-map correlation.
    public static func highlightedFrames(_ clip: ClipComparison, kinds: [String], count: Int = 6) -> [Int] {
        let byDelta = clip.frames.sorted { abs($0.delta) > abs($1.delta) }.prefix(count).map(\.frame)
        let byDrift = kinds.first.map { kind in
            clip.frames.filter { $0.correlation[kind] != nil }.sorted { $0.correlation[kind]! < $1.correlation[kind]! }.prefix(count).map(\.frame)
        } ?? []
        var seen = Set<Int>()
        return (byDelta + byDrift).filter { seen.insert($0).inserted }
    }
}

struct ComparisonView {
    struct Check { let name: String; let value: String; let limit: String; let verdict: String; let passed: Bool }
    struct Highlight { let caption: String; let frame: String?; let baseline: String?; let candidate: String? }
    struct Clip {
        let name: String
        let verdict: String
        let passed: Bool
        let checks: [Check]
        let baselinePoints: String
        let candidatePoints: String
        let labelPoints: String?
        let deltaPoints: String
        let zeroY: String
        let deltaZeroY: String
        let yTicks: [TimelinePlot.Tick]
        let deltaTicks: [TimelinePlot.Tick]
        let xTicks: [TimelinePlot.Tick]
        let highlights: [Highlight]
        let kind: String
    }

    let title: String
    let verdict: String
    let passed: Bool
    let baseline: String
    let candidate: String
    let clips: [Clip]
    let stress: Stress?

    /// `compare --stress`: the checks and each setting's violation rate on both models.
    struct Stress {
        struct Setting { let specification: String; let baseline: String; let candidate: String; let change: String; let worse: Bool }
        let suite: String
        let verdict: String
        let passed: Bool
        let summary: String
        let checks: [Check]
        let settings: [Setting]
    }

    init(_ report: ComparisonReport, images: [String: String], highlighted: [String: [Int]]) {
        title = "SteerLens comparison"
        passed = report.passed
        verdict = report.passed ? "PASS — the candidate stays within every threshold" : "FAIL — the candidate regresses"
        baseline = report.baseline
        candidate = report.candidate
        stress = report.stress.map { stress in
            Stress(suite: stress.suite, verdict: stress.passed ? "pass" : "FAIL", passed: stress.passed,
                   summary: String(format: "violation rate: baseline %.4f, candidate %.4f (λ %g, δ %g)", stress.baselineViolationRate,
                                   stress.candidateViolationRate, stress.lambda, stress.delta),
                   checks: stress.checks.map { Check(name: $0.name, value: String(format: "%.4f", $0.value), limit: "\($0.comparison) \(String(format: "%.4g", $0.limit))",
                                                     verdict: $0.passed ? "pass" : "FAIL", passed: $0.passed) },
                   settings: stress.settings.map {
                       let change = $0.candidateViolationRate - $0.baselineViolationRate
                       return Stress.Setting(specification: $0.specification, baseline: String(format: "%.4f", $0.baselineViolationRate),
                                             candidate: String(format: "%.4f", $0.candidateViolationRate), change: String(format: "%+.4f", change), worse: change > 0)
                   })
        }
        let kind = report.kinds.first ?? "increase"
        clips = report.clips.map { clip in
            let duration = clip.frames.map(\.time).max() ?? 0
            let extent = clip.frames.flatMap { [abs($0.baseline), abs($0.candidate), abs($0.label ?? 0)] }.max() ?? 0
            let plot = TimelinePlot(duration: duration, extent: extent)
            let deltaPlot = TimelinePlot(duration: duration, extent: clip.frames.map { abs($0.delta) }.max() ?? 0, minimumExtent: 0.01)
            let labelled = clip.frames.filter { $0.label != nil }
            let byFrame = Dictionary(clip.frames.map { ($0.frame, $0) }, uniquingKeysWith: { first, _ in first })
            let folder = images[clip.clip]
            let highlights = (highlighted[clip.clip] ?? []).compactMap { frame -> Highlight? in
                guard let entry = byFrame[frame] else { return nil }
                let name = String(format: "%06d.png", frame)
                let correlation = entry.correlation[kind].map { String(format: ", %@ r %.2f", kind, $0) } ?? ""
                return Highlight(caption: String(format: "frame %d · baseline %+.3f · candidate %+.3f · Δ %+.3f", frame, entry.baseline, entry.candidate, entry.delta) + correlation,
                                 frame: folder.map { "\($0)/baseline/frames/\(name)" }, baseline: folder.map { "\($0)/baseline/\(kind)/\(name)" },
                                 candidate: folder.map { "\($0)/candidate/\(kind)/\(name)" })
            }
            return Clip(
                name: clip.clip, verdict: clip.passed ? "pass" : "FAIL", passed: clip.passed,
                checks: clip.checks.map { Check(name: $0.name, value: String(format: "%.4f", $0.value), limit: "\($0.comparison) \(String(format: "%.4g", $0.limit))",
                                                verdict: $0.passed ? "pass" : "FAIL", passed: $0.passed) },
                baselinePoints: plot.points(clip.frames.map { ($0.time, $0.baseline) }),
                candidatePoints: plot.points(clip.frames.map { ($0.time, $0.candidate) }),
                labelPoints: labelled.isEmpty ? nil : plot.points(labelled.map { ($0.time, $0.label!) }),
                deltaPoints: deltaPlot.points(clip.frames.map { ($0.time, $0.delta) }),
                zeroY: plot.zeroY, deltaZeroY: deltaPlot.zeroY, yTicks: plot.yTicks, deltaTicks: deltaPlot.yTicks, xTicks: plot.xTicks,
                highlights: highlights, kind: kind)
        }
    }
}

enum ComparisonTemplate {
    static let html = #"""
\#(PageStyle.documentHead)
\#(PageStyle.base)
  h2 { word-break: break-all; }
  .panel { background: #fff; border: 1px solid #d9dee7; border-radius: 6px; padding: 10px; margin-bottom: 10px; }
  svg { width: 100%; height: auto; } svg text { font-size: 11px; fill: #5d6677; }
  .pair { display: grid; grid-template-columns: repeat(3, 1fr); gap: 6px; margin-bottom: 12px; }
  .pair img { width: 100%; height: auto; display: block; border-radius: 3px; }
  .caption { font-size: 12px; color: #5d6677; margin: 2px 0; }
  .legend span { margin-right: 14px; font-size: 12px; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; } dt { color: #5d6677; } dd { margin: 0; word-break: break-all; }
</style>
</head>
<body>
<header>
  <h1>{{title}}</h1>
  <p class="verdict {{#passed}}pass{{/passed}}{{^passed}}fail{{/passed}}">{{verdict}}</p>
  <dl><dt>baseline</dt><dd>{{baseline}}</dd><dt>candidate</dt><dd>{{candidate}}</dd></dl>
</header>
{{#clips}}
<section class="clip">
  <h2>{{name}} — <span class="{{#passed}}pass{{/passed}}{{^passed}}fail{{/passed}}">{{verdict}}</span></h2>
  <table><tr><th>threshold</th><th>value</th><th>limit</th><th>result</th></tr>
  {{#checks}}<tr><td>{{name}}</td><td>{{value}}</td><td>{{limit}}</td><td class="{{#passed}}pass{{/passed}}{{^passed}}fail{{/passed}}">{{verdict}}</td></tr>{{/checks}}
  </table>
  <div class="panel">
    <div class="legend"><span style="color:#1f6feb">━ baseline</span><span style="color:#d1242f">━ candidate</span>{{#labelPoints}}<span style="color:#8a8f98">━ label</span>{{/labelPoints}}</div>
    <svg viewBox="0 0 960 240" role="img" aria-label="steering of both models over time">
      {{#yTicks}}<line x1="48" x2="948" y1="{{position}}" y2="{{position}}" stroke="#eef1f5"/><text x="4" y="{{position}}" dy="4">{{label}}</text>{{/yTicks}}
      {{#xTicks}}<text x="{{position}}" y="234" text-anchor="middle">{{label}}</text>{{/xTicks}}
      <line x1="48" x2="948" y1="{{zeroY}}" y2="{{zeroY}}" stroke="#b8c0cc"/>
      {{#labelPoints}}<polyline points="{{.}}" fill="none" stroke="#8a8f98" stroke-width="1.5"/>{{/labelPoints}}
      <polyline class="baseline" points="{{baselinePoints}}" fill="none" stroke="#1f6feb" stroke-width="1.5"/>
      <polyline class="candidate" points="{{candidatePoints}}" fill="none" stroke="#d1242f" stroke-width="1.5"/>
    </svg>
    <div class="legend"><span>Δ = candidate − baseline</span></div>
    <svg viewBox="0 0 960 240" role="img" aria-label="difference between the models over time">
      {{#deltaTicks}}<line x1="48" x2="948" y1="{{position}}" y2="{{position}}" stroke="#eef1f5"/><text x="4" y="{{position}}" dy="4">{{label}}</text>{{/deltaTicks}}
      {{#xTicks}}<text x="{{position}}" y="234" text-anchor="middle">{{label}}</text>{{/xTicks}}
      <line x1="48" x2="948" y1="{{deltaZeroY}}" y2="{{deltaZeroY}}" stroke="#b8c0cc"/>
      <polyline class="delta" points="{{deltaPoints}}" fill="none" stroke="#8250df" stroke-width="1.5"/>
    </svg>
  </div>
  <h3 style="font-size:14px">Largest difference and drift: frame | baseline {{kind}} | candidate {{kind}}</h3>
  {{#highlights}}<p class="caption">{{caption}}</p>{{#frame}}<div class="pair"><img src="{{.}}" alt="frame" loading="lazy">{{/frame}}{{#baseline}}<img src="{{.}}" alt="baseline overlay" loading="lazy">{{/baseline}}{{#candidate}}<img src="{{.}}" alt="candidate overlay" loading="lazy"></div>{{/candidate}}{{/highlights}}
</section>
{{/clips}}
{{#stress}}
<section class="stress">
  <h2>Robustness: stress suite {{suite}} on both models — <span class="{{#passed}}pass{{/passed}}{{^passed}}fail{{/passed}}">{{verdict}}</span></h2>
  <p>{{summary}}</p>
  <table><tr><th>threshold</th><th>value</th><th>limit</th><th>result</th></tr>
  {{#checks}}<tr><td>{{name}}</td><td>{{value}}</td><td>{{limit}}</td><td class="{{#passed}}pass{{/passed}}{{^passed}}fail{{/passed}}">{{verdict}}</td></tr>{{/checks}}
  </table>
  <table><tr><th>transform</th><th>baseline violation rate</th><th>candidate violation rate</th><th>change</th></tr>
  {{#settings}}<tr><td>{{specification}}</td><td>{{baseline}}</td><td>{{candidate}}</td><td{{#worse}} class="fail"{{/worse}}>{{change}}</td></tr>{{/settings}}
  </table>
</section>
{{/stress}}
</body>
</html>
"""#
}
