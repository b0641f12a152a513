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
            try AtomicFile.write(Data(StressPage.render(report, timeline: evaluation.timeline).utf8), to: staging.appendingPathComponent("index.html"))
            return report
        }
        if let junit { try AtomicFile.write(Data(StressJUnit.xml(report).utf8), to: URL(fileURLWithPath: junit)) }
        return report
    }
}

extension StressEvaluation {
    /// The first clip's steering for the page's timeline.
    var timeline: StressPage.Timeline? {
        clips.first.map { StressPage.Timeline(clip: $0.clip, labels: $0.frames.map(\.label), original: $0.frames.map(\.original), transformed: $0.transformed) }
    }
}
