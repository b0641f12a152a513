import Foundation
import Reporting
import SteerLensSupport
import VideoIO

/// `steerlens stress`: a model through a suite on every clip, judged and written to one report folder
/// (`stress.json`, `stress.csv`, `index.html`, `worst/*.png`), staged and renamed into place; the JUnit
/// file beside it when asked for.
public struct StressRun {
    public let runner: StressRunner
    /// The session that explains the worst cases (the runner's own when it has an engine).
    public let lambda: Double
    public let delta: Double
    public let thresholds: StressThresholds
    public let version: String
    /// How many worst cases get maps and images.
    public var worstCount = 6

    public init(runner: StressRunner, lambda: Double, delta: Double, thresholds: StressThresholds, version: String) {
        (self.runner, self.lambda, self.delta, self.thresholds, self.version) = (runner, lambda, delta, thresholds, version)
    }

    /// Runs every clip; `progress` hears a line per clip.
    public func evaluate(_ inputs: [String], labels: LabelTrack?, progress: (String) -> Void = { _ in }) throws -> StressEvaluation {
        var clips: [StressClipPredictions] = []
        for input in inputs {
            let started = Date()
            let clip = try runner.run(input, labels: labels)
            let count = clip.frames.count * runner.suite.settings.count
            progress(String(format: "stressed %@: %d frames × %d settings = %d transformed frames in %.1f s (%.0f transformed frames/s)",
                            input, clip.frames.count, runner.suite.settings.count, count, Date().timeIntervalSince(started),
                            Double(count) / max(Date().timeIntervalSince(started), 1e-9)))
            clips.append(clip)
        }
        return StressEvaluation(suite: runner.suite, lambda: lambda, delta: delta, clips: clips)
    }

    /// Judges `evaluation` and writes the report folder.
    public func write(_ evaluation: StressEvaluation, model: String, destination: URL, overwrite: Bool, junit: String?, started: Date) throws -> StressReport {
        let summary = evaluation.summarize(thresholds: thresholds)
        let report = try OutputDirectory.produce(destination, overwrite: overwrite) { staging -> StressReport in
            let worst = try StressWorstCases(session: runner.session, selection: runner.selection)
                .explain(evaluation.worstCases(count: worstCount), evaluation: evaluation, folder: staging.appendingPathComponent("worst"), relativeTo: staging)
            var report = StressReport(steerlensVersion: version, suite: runner.suite.name, model: model, lambda: lambda, delta: delta,
                                      thresholds: thresholds, settings: summary.settings, clips: summary.clips, violationRate: summary.violationRate,
                                      flipViolationRate: summary.flipViolationRate, worst: worst, checks: summary.checks, elapsedSeconds: 0)
            report.elapsedSeconds = Date().timeIntervalSince(started)
            try during("writing stress.json") { try AtomicFile.write(try report.json(), to: staging.appendingPathComponent("stress.json")) }
            try AtomicFile.write(Data(evaluation.csv().utf8), to: staging.appendingPathComponent("stress.csv"))
            try AtomicFile.write(Data(StressPage.render(report, evaluation: evaluation).utf8), to: staging.appendingPathComponent("index.html"))
            return report
        }
        if let junit { try AtomicFile.write(Data(StressJUnit.xml(report).utf8), to: URL(fileURLWithPath: junit)) }
        return report
    }
}

extension StressReport {
    init(steerlensVersion: String, suite: String, model: String, lambda: Double, delta: Double, thresholds: StressThresholds,
         settings: [SettingSummary], clips: [ClipSummary], violationRate: Double, flipViolationRate: Double?, worst: [WorstCase],
         checks: [StressCheck], elapsedSeconds: Double) {
        (self.steerlensVersion, self.suite, self.model, self.lambda, self.delta) = (steerlensVersion, suite, model, lambda, delta)
        (self.thresholds, self.settings, self.clips, self.violationRate) = (thresholds, settings, clips, violationRate)
        (self.flipViolationRate, self.worst, self.checks, self.elapsedSeconds) = (flipViolationRate, worst, checks, elapsedSeconds)
    }
}

/// JUnit XML for a stress run: one test case per threshold, one per setting (failing when the setting
/// exceeds `maxSettingViolationRate`, else informative).
public enum StressJUnit {
    public static func xml(_ report: StressReport) -> String {
        let settingLimit = report.thresholds.maxSettingViolationRate
        let settingFailures = settingLimit.map { limit in report.settings.filter { $0.transform != "flip" && $0.violationRate > limit }.count } ?? 0
        let failures = report.checks.filter { !$0.passed }.count + settingFailures
        let total = report.checks.count + report.settings.count
        var lines = [#"<?xml version="1.0" encoding="UTF-8"?>"#,
                     #"<testsuites name="steerlens-stress" tests="\#(total)" failures="\#(failures)" errors="0">"#,
                     #"  <testsuite name="\#(escape(report.suite))" id="0" tests="\#(total)" failures="\#(failures)" errors="0" skipped="0" time="\#(String(format: "%.3f", report.elapsedSeconds))">"#,
                     "    <properties>", #"      <property name="model" value="\#(escape(report.model))"/>"#, "    </properties>"]
        for check in report.checks {
            lines.append(#"    <testcase name="\#(escape("\(check.name) \(check.comparison) \(format(check.limit))"))" classname="steerlens.stress" time="0">"#)
            if !check.passed {
                let message = "\(check.name) = \(format(check.value)), limit \(check.comparison) \(format(check.limit))"
                lines.append(#"      <failure message="\#(escape(message))" type="threshold">\#(escape(message))</failure>"#)
            }
            lines.append("    </testcase>")
        }
        for setting in report.settings {
            lines.append(#"    <testcase name="\#(escape(setting.specification))" classname="steerlens.stress.\#(escape(setting.transform))" time="0">"#)
            if let settingLimit, setting.transform != "flip", setting.violationRate > settingLimit {
                let message = "violation rate \(format(setting.violationRate)) (\(setting.violations) of \(setting.frames) frames), limit ≤ \(format(settingLimit))"
                lines.append(#"      <failure message="\#(escape(message))" type="threshold">\#(escape(message))</failure>"#)
            } else {
                lines.append(#"      <system-out>\#(escape("violation rate \(format(setting.violationRate)) (\(setting.violations) of \(setting.frames) frames)"))</system-out>"#)
            }
            lines.append("    </testcase>")
        }
        lines.append("  </testsuite>")
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }

    static func format(_ value: Double) -> String { String(format: "%.4g", value) }
    static func escape(_ text: String) -> String { StressPage.escape(text) }
}
