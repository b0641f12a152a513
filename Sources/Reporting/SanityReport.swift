import Foundation
import Mustache
import SteerLensSupport

/// What `steerlens sanity` found (written as `sanity.json` and rendered as `index.html`): the model
/// parameter randomisation test of Adebayo et al. 2018 ("Sanity Checks for Saliency Maps",
/// arXiv 1810.03292) with cascading randomisation from the output layer down.
public struct SanityReport: Codable, Sendable {
    /// Mean similarity over the frames of a map from the randomised model to the same map from the
    /// trained model.
    public struct Similarity: Codable, Sendable, Equatable {
        /// Spearman rank correlation (average ranks for ties), −1…1.
        public var spearman: Double
        /// SSIM of the [0, 1] maps (7×7 uniform window, scikit-image defaults), −1…1.
        public var ssim: Double
        public init(spearman: Double, ssim: Double) { (self.spearman, self.ssim) = (spearman, ssim) }
    }

    /// One step of the cascade: `layer` and every layer above it (nearer the output) re-initialised.
    public struct Step: Codable, Sendable {
        public var layer: String
        public var randomised: [String]
        /// Map name → similarity.
        public var maps: [String: Similarity]
        public init(layer: String, randomised: [String], maps: [String: Similarity]) { (self.layer, self.randomised, self.maps) = (layer, randomised, maps) }
    }

    public var steerlensVersion: String
    public var model: String
    public var clip: String
    /// Frame numbers whose maps were compared.
    public var frames: [Int]
    /// Map names (`<kind>` for the gradient method), in order.
    public var maps: [String]
    /// How layers were re-initialised.
    public var initialiser: String
    public var seed: UInt64
    /// A map is flagged when its mean Spearman correlation with the fully randomised model's maps is at
    /// least this: its maps do not depend on what the model learned.
    public var threshold: Double
    public var cascade: [Step]
    /// Maps whose fully randomised maps still correlate with the trained ones (`threshold`).
    public var flagged: [String]

    public init(steerlensVersion: String, model: String, clip: String, frames: [Int], maps: [String], initialiser: String, seed: UInt64,
                threshold: Double, cascade: [Step]) {
        (self.steerlensVersion, self.model, self.clip, self.frames, self.maps) = (steerlensVersion, model, clip, frames, maps)
        (self.initialiser, self.seed, self.threshold, self.cascade) = (initialiser, seed, threshold, cascade)
        flagged = maps.filter { name in (cascade.last?.maps[name]?.spearman ?? 0) >= threshold }
    }

    /// `sanity.json`, written atomically.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self), to: url)
    }

    /// The HTML page (every value escaped by Mustache).
    public func renderPage() throws -> String {
        struct Cell { let text: String; let shade: String }
        struct Row { let layer: String; let cells: [Cell] }
        struct Verdict { let name: String; let text: String; let flagged: Bool }
        struct View {
            let title: String, model: String, clip: String, frames: String, initialiser: String, threshold: String
            let headers: [String]
            let rows: [Row]
            let verdicts: [Verdict]
        }
        func cell(_ value: Double?) -> Cell {
            guard let value else { return Cell(text: "—", shade: "#fff") }
            let lightness = 100 - Int(40 * min(max(value, 0), 1))     // darker = more similar
            return Cell(text: String(format: "%.3f", value), shade: "hsl(210, 70%, \(lightness)%)")
        }
        let rows = cascade.map { step in
            Row(layer: step.layer, cells: maps.flatMap { [cell(step.maps[$0]?.spearman), cell(step.maps[$0]?.ssim)] })
        }
        let verdicts = maps.map { name in
            let last = cascade.last?.maps[name]
            let flagged = self.flagged.contains(name)
            return Verdict(name: name, text: flagged
                ? String(format: "FLAGGED: maps barely change when every layer is randomised (Spearman %.3f ≥ %.2f)", last?.spearman ?? 0, threshold)
                : String(format: "passes: fully randomised Spearman %.3f (< %.2f), SSIM %.3f", last?.spearman ?? 0, threshold, last?.ssim ?? 0), flagged: flagged)
        }
        let view = View(title: "SteerLens sanity check — \(URL(fileURLWithPath: model).lastPathComponent)", model: model, clip: clip,
                        frames: frames.map(String.init).joined(separator: ", "), initialiser: initialiser, threshold: String(format: "%.2f", threshold),
                        headers: maps.flatMap { ["\($0) Spearman", "\($0) SSIM"] }, rows: rows, verdicts: verdicts)
        return try MustacheTemplate(string: Self.template).render(view)
    }

    static let template = #"""
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{title}}</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; color: #1d2330; margin: 0 auto; max-width: 1200px; padding: 12px 20px; background: #f6f8fa; }
  table { border-collapse: collapse; background: #fff; } td, th { border: 1px solid #d9dee7; padding: 3px 8px; font-variant-numeric: tabular-nums; }
  .flagged { color: #d1242f; font-weight: 600; } .passes { color: #1a7f37; } dt { color: #5d6677; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; }
</style></head>
<body>
<h1 style="font-size:20px">{{title}}</h1>
<p style="max-width:900px">Cascading model-parameter randomisation (Adebayo et al. 2018): starting at the output, each row re-initialises one more layer (with every layer above it) and recomputes every map on the same frames. The cells give the mean similarity of the randomised maps to the trained model's maps (Spearman rank correlation; SSIM of the [0, 1] maps). A map that explains the model should lose its similarity as the weights are destroyed; a map whose Spearman stays ≥ {{threshold}} with every layer randomised is flagged.</p>
<ul id="verdicts">{{#verdicts}}<li class="{{#flagged}}flagged{{/flagged}}{{^flagged}}passes{{/flagged}}"><b>{{name}}</b>: {{text}}</li>{{/verdicts}}</ul>
<table id="cascade"><tr><th>randomised down to</th>{{#headers}}<th>{{.}}</th>{{/headers}}</tr>
{{#rows}}<tr><td>{{layer}}</td>{{#cells}}<td style="background:{{shade}}">{{text}}</td>{{/cells}}</tr>{{/rows}}</table>
<dl><dt>model</dt><dd>{{model}}</dd><dt>clip</dt><dd>{{clip}}</dd><dt>frames</dt><dd>{{frames}}</dd><dt>initialiser</dt><dd>{{initialiser}}</dd></dl>
</body></html>
"""#
}
