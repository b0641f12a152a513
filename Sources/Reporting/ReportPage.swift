import Foundation
import Mustache

/// Renders a ``RunReport`` as `index.html`: a self-contained page (no network; images are the PNGs
/// next to it) with the steering timeline, a frame viewer, frames to review, statistics and the model
/// card. Every value from the clip, the model or the user is HTML-escaped by the template engine
/// (`{{…}}`); the embedded JSON has `<`, `>` and `&` escaped as `\u003c` etc.
public enum ReportPage {
    /// The HTML of the page.
    /// - Parameters:
    ///   - kinds: map folders with overlay PNGs, in display order (e.g. increase, decrease, maintain).
    ///   - video: file name of the panel video next to the page, if one was written.
    public static func render(_ report: RunReport, kinds: [String], video: String? = nil) throws -> String {
        let template = try MustacheTemplate(string: ReportTemplate.html.replacingOccurrences(of: "FAITHFULNESS_SECTION", with: FaithfulnessSection.template))
        return template.render(try PageView(report, kinds: kinds, video: video))
    }

    /// Thumbnails per "frames to review" list.
    static let reviewCount = 8
}

/// What the template shows, preformatted.
struct PageView {
    struct Card { let label: String; let value: String }
    struct Kind { let name: String; let method: String? }
    /// A method of the viewer's switcher.
    struct Method { let name: String }
    struct Point { let x: String; let y: String; let frame: Int; let title: String }
    typealias Tick = TimelinePlot.Tick
    struct ReviewItem { let frame: Int; let caption: String; let thumbnail: String? }
    struct Review { let title: String; let items: [ReviewItem] }
    struct Row { let cells: [String] }
    struct Setting { let name: String; let value: String }

    let title: String
    let clipName: String
    let cards: [Card]
    let kinds: [Kind]
    /// The viewer's method switcher; empty when a single method ran (the page is then as before).
    let methods: [Method]
    let hasMethods: Bool
    let hasImages: Bool
    let video: String?
    // Timeline.
    let width = 960, height = 240
    let predictionPoints: String
    let labelPoints: String?
    let zeroY: String
    let yTicks: [Tick]
    let xTicks: [Tick]
    let markers: [Point]
    // Sections.
    let reviews: [Review]
    let perSecond: [Row]
    let regionShares: [Row]
    let faithfulness: FaithfulnessSection?
    let layers: [Row]
    let lambdas: [String]
    let settings: [Setting]
    let dataJSON: String

    /// `gradient; gradcam; integrated-gradients (baseline black, rule trapezoid, steps 50)`.
    static func describe(_ methods: [RunReport.Method]) -> String {
        methods.map { method -> String in
            guard let parameters = method.parameters else { return method.name }
            let text: [String] = parameters.keys.sorted().map { key in "\(key) \(parameters[key]!)" }
            return method.name + " (" + text.joined(separator: ", ") + ")"
        }.joined(separator: "; ")
    }

    /// The mean and maximum integrated-gradients completeness error, if the method ran.
    static func completenessNote(_ frames: [RunReport.FrameEntry]) -> String {
        let errors = frames.compactMap { $0.diagnostics?["integrated-gradients_completeness_error"] }
        guard !errors.isEmpty else { return "" }
        return String(format: "; integrated-gradients completeness error |Σ attributions − (f(x) − f(baseline))|: mean %.3g, max %.3g",
                      errors.reduce(0, +) / Double(errors.count), errors.max()!)
    }

    init(_ report: RunReport, kinds: [String], video: String?) throws {
        clipName = URL(fileURLWithPath: report.clip.path).lastPathComponent
        title = "SteerLens — \(clipName)"
        // A map named `gradcam/increase` belongs to gradcam; unqualified names to the default method.
        let methodNames = report.settings.methods?.map(\.name) ?? []
        func method(of kind: String) -> String { kind.contains("/") ? String(kind.split(separator: "/")[0]) : "gradient" }
        let switches = methodNames.count > 1 && !kinds.isEmpty
        self.kinds = kinds.map { Kind(name: $0, method: switches ? method(of: $0) : nil) }
        methods = switches ? methodNames.filter { name in kinds.contains { method(of: $0) == name } }.map(Method.init) : []
        hasMethods = !methods.isEmpty
        self.video = video
        hasImages = report.frames.contains(where: \.hasImages)
        let summary = report.summary
        func number(_ value: Double?, _ digits: Int = 4) -> String { value.map { String(format: "%.\(digits)f", $0) } ?? "—" }
        cards = [
            Card(label: "frames analysed", value: "\(summary.frames)"),
            Card(label: "labelled", value: "\(summary.labelledFrames)"),
            Card(label: "MAE", value: number(summary.meanAbsoluteError)),
            Card(label: "RMSE", value: number(summary.rootMeanSquareError)),
            Card(label: "max |error|", value: number(summary.maxAbsoluteError)),
            Card(label: "speed", value: String(format: "%.1f frames/s", Double(summary.frames) / max(report.elapsedSeconds, 1e-9))),
        ]

        // Timeline: x = time, y = steering (up = positive), symmetric range.
        let frames = report.frames
        let plot = TimelinePlot(duration: max(frames.last?.time ?? 0, frames.first?.time ?? 0),
                                extent: max(frames.map { abs($0.prediction) }.max() ?? 0, frames.compactMap { $0.label.map(abs) }.max() ?? 0))
        predictionPoints = plot.points(frames.map { ($0.time, $0.prediction) })
        let labelled = frames.filter { $0.label != nil }
        labelPoints = labelled.isEmpty ? nil : plot.points(labelled.map { ($0.time, $0.label!) })
        zeroY = plot.zeroY
        yTicks = plot.yTicks
        xTicks = plot.xTicks

        // Frames to review: among frames with images when there are any.
        let candidates = hasImages ? frames.filter(\.hasImages) : frames
        var predictionChange: [Int: Double] = [:]
        for (previous, next) in zip(frames, frames.dropFirst()) { predictionChange[next.frame] = abs(next.prediction - previous.prediction) }
        let firstKind = kinds.first
        func review(_ title: String, _ score: (RunReport.FrameEntry) -> Double?, _ caption: (RunReport.FrameEntry, Double) -> String) -> Review? {
            let ranked = candidates.compactMap { entry in score(entry).map { (entry, $0) } }.sorted { $0.1 > $1.1 }.prefix(ReportPage.reviewCount)
            guard !ranked.isEmpty else { return nil }
            return Review(title: title, items: ranked.map { entry, value in
                ReviewItem(frame: entry.frame, caption: caption(entry, value),
                           thumbnail: entry.hasImages ? firstKind.map { "\($0)/\(String(format: "%06d", entry.frame)).png" } : nil)
            })
        }
        reviews = [
            review("Largest |error| vs label", { $0.error.map(abs) }) { entry, value in String(format: "frame %d · error %+.3f", entry.frame, entry.error ?? value) },
            review("Hardest steering", { abs($0.prediction) }) { entry, _ in String(format: "frame %d · %+.3f", entry.frame, entry.prediction) },
            review("Largest change in prediction", { predictionChange[$0.frame] }) { entry, value in String(format: "frame %d · Δ %.3f", entry.frame, value) },
            review("Largest change in saliency", { $0.saliencyChange }) { entry, value in String(format: "frame %d · 1−r %.3f", entry.frame, value) },
        ].compactMap { $0 }

        perSecond = summary.perSecond.map { Row(cells: ["\($0.second)", "\($0.frames)", number($0.meanPrediction), number($0.meanAbsoluteError)]) }
        let shares = summary.regionShares ?? [:]
        regionShares = shares.keys.sorted { (kinds.firstIndex(of: $0) ?? 99, $0) < (kinds.firstIndex(of: $1) ?? 99, $1) }.map { name in
            let share = shares[name]!
            return Row(cells: [name] + [share.upper, share.middle, share.lower, share.left, share.right].map { String(format: "%.1f %%", 100 * $0) })
        }
        faithfulness = FaithfulnessSection(summary.faithfulness, order: kinds.isEmpty ? report.settings.explanation?.maps.map(\.name) ?? [] : kinds)
        layers = report.model.layers.map { Row(cells: [$0.name, $0.className, "(" + $0.outputShape.map(String.init).joined(separator: ", ") + ")", "\($0.parameters)"]) }
        lambdas = report.model.lambdas
        let model = report.model, clip = report.clip, preprocessing = report.settings.preprocessing
        settings = [
            Setting(name: "clip", value: clip.path),
            Setting(name: "clip format", value: "\(clip.container), \(clip.codec), \(clip.width)×\(clip.height), "
                    + String(format: "%.3f fps", clip.framesPerSecond) + (clip.duration.map { String(format: ", %.2f s", $0) } ?? "")
                    + (clip.declaredFrames.map { ", \($0) frames declared" } ?? "")),
            Setting(name: "decode problems", value: "\(clip.decodeErrors) decode errors, \(clip.readErrors) read errors"
                    + (clip.skippedRecords.map { ", \($0) records skipped" + (clip.warnings?.first.map { " (first: \($0))" } ?? "") } ?? "")),
            clip.timing.map { Setting(name: "frame times", value: $0) },
            Setting(name: "model", value: model.file),
            Setting(name: "model format", value: "\(model.format), keras_version \(model.kerasVersion ?? "unknown"), backend \(model.backend ?? "unknown"), \(model.parameters) parameters"),
            Setting(name: "model input", value: "(" + model.inputShape.map(String.init).joined(separator: ", ") + ")"),
            Setting(name: "explained", value: report.settings.objective),
            Setting(name: "preprocessing", value: "crop \(preprocessing.crop.joined(separator: ",")) = rectangle x \(preprocessing.cropRectangle[0]), y \(preprocessing.cropRectangle[1]), "
                    + "\(preprocessing.cropRectangle[2])×\(preprocessing.cropRectangle[3]); resize \(preprocessing.resize) (\(preprocessing.interpolation)); colour \(preprocessing.color)"
                    + (preprocessing.scale != nil || preprocessing.offset != nil ? String(format: "; values ×%.9g %+.9g", preprocessing.scale ?? 1, preprocessing.offset ?? 0) : "")),
            Setting(name: "sidecar", value: model.sidecar ?? "none"),
            Setting(name: "maps", value: report.settings.maps.joined(separator: ", ") + (report.settings.backpropModifier.map { "; backprop \($0)" } ?? "")),
            Setting(name: "overlays", value: "\(report.settings.colormap), alpha \(report.settings.alpha); maintain display scale \(report.settings.maintainScale); PNG every \(report.settings.pngEvery) frame(s)"
                    + (report.settings.pngWidth.map { ", width \($0)" } ?? "")),
            report.settings.methods.map { Setting(name: "methods", value: Self.describe($0) + Self.completenessNote(report.frames)) },
            Setting(name: "labels", value: report.settings.labels ?? "none"),
            Setting(name: "SteerLens", value: "\(report.steerlensVersion), " + String(format: "%.1f s elapsed", report.elapsedSeconds)),
        ].compactMap { $0 }

        struct Data: Encodable {
            struct Entry: Encodable { let frame: Int; let time: Double; let prediction: Double; let label: Double?; let error: Double?; let hasImages: Bool }
            let kinds: [String]
            let duration: Double
            let left: Double, right: Double
            let frames: [Entry]
        }
        let data = Data(kinds: kinds, duration: plot.duration, left: plot.left, right: plot.right, frames: frames.map {
            Data.Entry(frame: $0.frame, time: $0.time, prediction: $0.prediction, label: $0.label, error: $0.error, hasImages: $0.hasImages)
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys  // the same page for the same run, byte for byte
        let json = String(decoding: try encoder.encode(data), as: UTF8.self)
        dataJSON = json.replacingOccurrences(of: "&", with: "\\u0026").replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
        markers = reviews.first.map { review in
            review.items.compactMap { item in frames.first { $0.frame == item.frame }.map { entry in
                Point(x: TimelinePlot.coordinate(plot.x(entry.time)), y: TimelinePlot.coordinate(plot.y(entry.prediction)), frame: entry.frame, title: item.caption)
            } }
        } ?? []
    }
}
