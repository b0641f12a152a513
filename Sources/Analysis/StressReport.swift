import Foundation
import Reporting

/// `stress.json`: a stress run judged by its metamorphic relations.
///
/// Relations per frame and setting (DeepTest, Tian et al. ICSE 2018, §3.3): with labels a transformed
/// prediction θₜ violates when `(θₜ − label)² > λ · MSE_orig`, MSE_orig being the clip's mean squared
/// error of the original predictions; without labels when `|θₜ − θₒ| > δ`; the flip expects the mirror
/// angle, violating when `|θ_flip + θₒ| > δ`. Angles in the model's output units.
public struct StressReport: Codable, Sendable {
    /// One setting's violations over every clip.
    public struct SettingSummary: Codable, Sendable {
        public var specification: String
        public var transform: String
        public var parameter: String
        /// The relation checked: `labels` (DeepTest's λ·MSE), `delta` (|θₜ − θₒ| ≤ δ) or `flip` (|θ_flip + θₒ| ≤ δ).
        public var relation: String
        public var frames: Int
        public var violations: Int
        public var violationRate: Double
        /// Mean and largest |θₜ − θₒ| (for the flip |θ_flip + θₒ|).
        public var meanAbsoluteChange: Double
        public var maxAbsoluteChange: Double
    }

    /// One clip's figures.
    public struct ClipSummary: Codable, Sendable {
        public var clip: String
        public var frames: Int
        /// MSE of the original predictions against the labels (nil without labels).
        public var originalMSE: Double?
        public var violations: Int
        public var pairs: Int
        public var violationRate: Double
    }

    /// A frame and setting among the worst, with the attention drift between the two frames' maps on
    /// the common frame grid (Pearson correlation and top-10 % IoU per map, as `compare` measures drift).
    public struct WorstCase: Codable, Sendable {
        public var clip: String
        public var frame: Int
        public var time: Double
        public var specification: String
        public var original: Double
        public var transformed: Double
        public var label: Double?
        public var correlation: [String: Double]
        public var topIoU: [String: Double]
        /// Image files relative to the report folder: original, transformed, then one map overlay of each per kind.
        public var images: [String]
    }

    public var steerlensVersion: String
    public var suite: String
    public var model: String
    public var lambda: Double
    public var delta: Double
    public var thresholds: StressThresholds
    public var settings: [SettingSummary]
    public var clips: [ClipSummary]
    /// Share of violating (frame, setting) pairs over every clip and every setting but the flip.
    public var violationRate: Double
    public var flipViolationRate: Double?
    public var worst: [WorstCase]
    public var checks: [StressCheck]
    public var passed: Bool { checks.allSatisfy(\.passed) }
    public var elapsedSeconds: Double

    enum CodingKeys: String, CodingKey {
        case steerlensVersion, suite, model, lambda, delta, thresholds, settings, clips, violationRate, flipViolationRate, worst, checks, passed, elapsedSeconds
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(steerlensVersion, forKey: .steerlensVersion)
        try container.encode(suite, forKey: .suite)
        try container.encode(model, forKey: .model)
        try container.encode(lambda, forKey: .lambda)
        try container.encode(delta, forKey: .delta)
        try container.encode(thresholds, forKey: .thresholds)
        try container.encode(settings, forKey: .settings)
        try container.encode(clips, forKey: .clips)
        try container.encode(violationRate, forKey: .violationRate)
        try container.encodeIfPresent(flipViolationRate, forKey: .flipViolationRate)
        try container.encode(worst, forKey: .worst)
        try container.encode(checks, forKey: .checks)
        try container.encode(passed, forKey: .passed)
        try container.encode(elapsedSeconds, forKey: .elapsedSeconds)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        steerlensVersion = try container.decode(String.self, forKey: .steerlensVersion)
        suite = try container.decode(String.self, forKey: .suite)
        model = try container.decode(String.self, forKey: .model)
        lambda = try container.decode(Double.self, forKey: .lambda)
        delta = try container.decode(Double.self, forKey: .delta)
        thresholds = try container.decode(StressThresholds.self, forKey: .thresholds)
        settings = try container.decode([SettingSummary].self, forKey: .settings)
        clips = try container.decode([ClipSummary].self, forKey: .clips)
        violationRate = try container.decode(Double.self, forKey: .violationRate)
        flipViolationRate = try container.decodeIfPresent(Double.self, forKey: .flipViolationRate)
        worst = try container.decode([WorstCase].self, forKey: .worst)
        checks = try container.decode([StressCheck].self, forKey: .checks)
        elapsedSeconds = try container.decode(Double.self, forKey: .elapsedSeconds)
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

/// One limit checked on a stress run (`≤` its limit to pass).
public struct StressCheck: Codable, Sendable {
    public var name: String
    public var value: Double
    public var limit: Double
    public var comparison: String
    public var passed: Bool

    public init(name: String, value: Double, limit: Double, comparison: String, passed: Bool) {
        (self.name, self.value, self.limit, self.comparison, self.passed) = (name, value, limit, comparison, passed)
    }
}

/// The metamorphic relations over a run's predictions.
public struct StressEvaluation: Sendable {
    public let suite: StressSuite
    public let lambda: Double
    public let delta: Double
    public let clips: [StressClipPredictions]

    public init(suite: StressSuite, lambda: Double, delta: Double, clips: [StressClipPredictions]) {
        (self.suite, self.lambda, self.delta, self.clips) = (suite, lambda, delta, clips)
    }

    /// MSE of a clip's original predictions against its labels; nil when no frame has a label.
    public static func originalMSE(_ clip: StressClipPredictions) -> Double? {
        let errors = clip.frames.compactMap { frame in frame.label.map { (frame.original - $0) * (frame.original - $0) } }
        return errors.isEmpty ? nil : errors.reduce(0, +) / Double(errors.count)
    }

    /// The relation a setting is judged by on a clip.
    public func relation(_ setting: StressSetting, mse: Double?) -> String {
        setting.group == "flip" ? "flip" : mse != nil ? "labels" : "delta"
    }

    /// Whether frame `row` of `clip` violates under setting `index`, and the change |θₜ − θₒ| (flip: |θ_flip + θₒ|).
    public func check(_ clip: StressClipPredictions, setting index: Int, row: Int, mse: Double?) -> (violated: Bool, change: Double) {
        let frame = clip.frames[row], value = clip.transformed[index][row]
        if suite.settings[index].group == "flip" {
            let change = abs(value + frame.original)
            return (change > delta, change)
        }
        let change = abs(value - frame.original)
        if let mse, let label = frame.label {
            return ((value - label) * (value - label) > lambda * mse, change)
        }
        return (change > delta, change)
    }

    /// The per-setting and per-clip summaries, the overall and flip violation rates, and the threshold checks.
    public func summarize(thresholds: StressThresholds) -> (settings: [StressReport.SettingSummary], clips: [StressReport.ClipSummary],
                                                           violationRate: Double, flipViolationRate: Double?, checks: [StressCheck]) {
        let mses = clips.map(Self.originalMSE)
        var settingSummaries: [StressReport.SettingSummary] = []
        var clipViolations = [Int](repeating: 0, count: clips.count), clipPairs = [Int](repeating: 0, count: clips.count)
        var flipFrames = 0, flipViolations = 0
        for (index, setting) in suite.settings.enumerated() {
            var frames = 0, violations = 0, sum = 0.0, largest = 0.0
            for (clipIndex, clip) in clips.enumerated() {
                for row in clip.frames.indices {
                    let (violated, change) = check(clip, setting: index, row: row, mse: mses[clipIndex])
                    frames += 1; sum += change; largest = max(largest, change)
                    if violated { violations += 1 }
                    if setting.group == "flip" {
                        flipFrames += 1
                        if violated { flipViolations += 1 }
                    } else {
                        clipPairs[clipIndex] += 1
                        if violated { clipViolations[clipIndex] += 1 }
                    }
                }
            }
            settingSummaries.append(.init(specification: setting.specification, transform: setting.group, parameter: setting.parameter,
                                          relation: relation(setting, mse: mses.allSatisfy { $0 != nil } ? 0 : nil),
                                          frames: frames, violations: violations, violationRate: frames > 0 ? Double(violations) / Double(frames) : 0,
                                          meanAbsoluteChange: frames > 0 ? sum / Double(frames) : 0, maxAbsoluteChange: largest))
        }
        let clipSummaries = clips.enumerated().map { index, clip in
            StressReport.ClipSummary(clip: clip.clip, frames: clip.frames.count, originalMSE: mses[index], violations: clipViolations[index],
                                     pairs: clipPairs[index], violationRate: clipPairs[index] > 0 ? Double(clipViolations[index]) / Double(clipPairs[index]) : 0)
        }
        let pairs = clipPairs.reduce(0, +), violations = clipViolations.reduce(0, +)
        let rate = pairs > 0 ? Double(violations) / Double(pairs) : 0
        let flipRate = flipFrames > 0 ? Double(flipViolations) / Double(flipFrames) : nil
        var checks = [StressCheck(name: "violation rate", value: rate, limit: thresholds.maxViolationRate, comparison: "≤", passed: rate <= thresholds.maxViolationRate)]
        if let limit = thresholds.maxSettingViolationRate {
            let worst = settingSummaries.filter { $0.transform != "flip" }.max { $0.violationRate < $1.violationRate }
            if let worst {
                checks.append(StressCheck(name: "violation rate of \(worst.specification) (worst setting)", value: worst.violationRate, limit: limit,
                                             comparison: "≤", passed: worst.violationRate <= limit))
            }
        }
        if let limit = thresholds.maxFlipViolationRate, let flipRate {
            checks.append(StressCheck(name: "flip violation rate", value: flipRate, limit: limit, comparison: "≤", passed: flipRate <= limit))
        }
        return (settingSummaries, clipSummaries, rate, flipRate, checks)
    }

    /// The `count` worst (clip, frame, setting) cases by change, at most one per transform, violating ones first.
    public func worstCases(count: Int) -> [(clip: Int, row: Int, setting: Int)] {
        let mses = clips.map(Self.originalMSE)
        var best: [(clip: Int, row: Int, setting: Int, violated: Bool, change: Double)] = []
        for index in suite.settings.indices {
            var top: (clip: Int, row: Int, setting: Int, violated: Bool, change: Double)?
            for (clipIndex, clip) in clips.enumerated() {
                for row in clip.frames.indices {
                    let (violated, change) = check(clip, setting: index, row: row, mse: mses[clipIndex])
                    if top == nil || (violated ? 1 : 0, change) > (top!.violated ? 1 : 0, top!.change) { top = (clipIndex, row, index, violated, change) }
                }
            }
            if let top { best.append(top) }
        }
        // One per transform (the worst of its settings), so one transform does not fill the page.
        var seen = Set<String>()
        return best.sorted { ($0.violated ? 1 : 0, $0.change) > ($1.violated ? 1 : 0, $1.change) }
            .filter { seen.insert(suite.settings[$0.setting].group).inserted }
            .prefix(count).map { ($0.clip, $0.row, $0.setting) }
    }

    /// `stress.csv`: one row per frame and setting.
    public func csv() -> String {
        var lines = ["clip,frame,time_s,label,original,transform,prediction,violated"]
        let mses = clips.map(Self.originalMSE)
        for (clipIndex, clip) in clips.enumerated() {
            let name = clip.clip.contains(",") || clip.clip.contains("\"") ? "\"" + clip.clip.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : clip.clip
            for (index, setting) in suite.settings.enumerated() {
                let specification = setting.specification.contains(",") ? "\"\(setting.specification)\"" : setting.specification
                for (row, frame) in clip.frames.enumerated() {
                    let violated = check(clip, setting: index, row: row, mse: mses[clipIndex]).violated
                    lines.append("\(name),\(frame.index),\(String(format: "%.6f", frame.time)),\(frame.label.map { String(format: "%.9g", $0) } ?? ""),"
                                 + "\(String(format: "%.9g", frame.original)),\(specification),\(String(format: "%.9g", clip.transformed[index][row])),\(violated ? 1 : 0)")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
