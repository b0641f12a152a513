import Foundation
import Reporting

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
                                                           violationRate: Double, flipViolationRate: Double?, checks: [ThresholdCheck]) {
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
        var checks = [ThresholdCheck(name: "violation rate", value: rate, limit: thresholds.maxViolationRate, comparison: "≤", passed: rate <= thresholds.maxViolationRate)]
        if let limit = thresholds.maxSettingViolationRate {
            let worst = settingSummaries.filter { $0.transform != "flip" }.max { $0.violationRate < $1.violationRate }
            if let worst {
                checks.append(ThresholdCheck(name: "violation rate of \(worst.specification) (worst setting)", value: worst.violationRate, limit: limit,
                                             comparison: "≤", passed: worst.violationRate <= limit))
            }
        }
        if let limit = thresholds.maxFlipViolationRate, let flipRate {
            checks.append(ThresholdCheck(name: "flip violation rate", value: flipRate, limit: limit, comparison: "≤", passed: flipRate <= limit))
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
