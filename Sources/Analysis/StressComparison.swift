import Foundation
import Reporting
import SteerLensSupport
import VideoIO

/// `compare --stress SUITE`: the same stress grid on the baseline and the candidate, judged into a
/// ``StressRobustness`` that `comparison.json`, the page and the JUnit file carry.
///
/// Each model keeps its own preprocessing and relation (with labels DeepTest's λ·MSE of its own
/// originals). The candidate fails when its overall violation rate exceeds the baseline's by more
/// than `maxViolationRateIncrease` (default 0.02), or when any single setting's rate does by more than
/// twice that.
public enum StressComparison {
    /// Runs the suite on every input with both sessions (forward passes only).
    public static func run(_ inputs: [String], suite: StressSuite, baseline: ModelSession, candidate: ModelSession, selection: ReadOptions,
                           batchSize: Int, labels: LabelTrack?, labelsPath: String?, labelField: String?, lambda: Double, delta: Double,
                           thresholds: StressThresholds) throws -> StressRobustness {
        func evaluate(_ session: ModelSession) throws -> (rate: Double, settings: [StressReport.SettingSummary]) {
            let runner = StressRunner(suite: suite, session: session, selection: selection, batchSize: batchSize, labelsPath: labelsPath, labelField: labelField)
            let clips = try inputs.map { try runner.run($0, labels: labels) }
            let summary = StressEvaluation(suite: suite, lambda: lambda, delta: delta, clips: clips).summarize(thresholds: thresholds)
            return (summary.violationRate, summary.settings)
        }
        let base = try evaluate(baseline), cand = try evaluate(candidate)
        let settings = zip(base.settings, cand.settings).map {
            StressRobustness.Setting(specification: $0.specification, baselineViolationRate: $0.violationRate, candidateViolationRate: $1.violationRate)
        }
        let limit = thresholds.maxViolationRateIncrease
        var checks = [ThresholdCheck(name: "stress violation rate increase", value: cand.rate - base.rate, limit: limit, comparison: "≤",
                                     passed: cand.rate - base.rate <= limit)]
        if let worst = settings.max(by: { $0.candidateViolationRate - $0.baselineViolationRate < $1.candidateViolationRate - $1.baselineViolationRate }) {
            let increase = worst.candidateViolationRate - worst.baselineViolationRate
            checks.append(ThresholdCheck(name: "stress violation rate increase of \(worst.specification) (worst setting)", value: increase,
                                         limit: 2 * limit, comparison: "≤", passed: increase <= 2 * limit))
        }
        return StressRobustness(suite: suite.name, lambda: lambda, delta: delta, baselineViolationRate: base.rate, candidateViolationRate: cand.rate,
                                settings: settings, checks: checks)
    }
}
