import Foundation
import Reporting
import SteerLensSupport
import VideoIO

/// `compare --stress SUITE`: the same stress grid on the baseline and the candidate, so a robustness
/// regression fails CI even when clean-frame accuracy improved.
///
/// Each model keeps its own preprocessing and relation (with labels DeepTest's λ·MSE of its own
/// originals). The candidate fails when its overall violation rate exceeds the baseline's by more
/// than `maxViolationRateIncrease` (default 0.02), or when any single setting's rate does by more than
/// twice that. Written to `stress-comparison.json` in the comparison folder.
public struct StressComparison: Codable, Sendable {
    public struct Setting: Codable, Sendable {
        public var specification: String
        public var baselineViolationRate: Double
        public var candidateViolationRate: Double
    }

    public var suite: String
    public var baselineViolationRate: Double
    public var candidateViolationRate: Double
    public var settings: [Setting]
    public var checks: [StressCheck]
    public var passed: Bool

    /// Runs the suite on every input with both sessions (forward passes only).
    public static func run(_ inputs: [String], suite: StressSuite, baseline: ModelSession, candidate: ModelSession, selection: ReadOptions,
                           batchSize: Int, labels: LabelTrack?, labelsPath: String?, labelField: String?, lambda: Double, delta: Double,
                           thresholds: StressThresholds) throws -> StressComparison {
        func evaluate(_ session: ModelSession) throws -> (rate: Double, settings: [StressReport.SettingSummary]) {
            let runner = StressRunner(suite: suite, session: session, selection: selection, batchSize: batchSize, labelsPath: labelsPath, labelField: labelField)
            let clips = try inputs.map { try runner.run($0, labels: labels) }
            let summary = StressEvaluation(suite: suite, lambda: lambda, delta: delta, clips: clips).summarize(thresholds: thresholds)
            return (summary.violationRate, summary.settings)
        }
        let base = try evaluate(baseline), cand = try evaluate(candidate)
        let settings = zip(base.settings, cand.settings).map {
            Setting(specification: $0.specification, baselineViolationRate: $0.violationRate, candidateViolationRate: $1.violationRate)
        }
        let limit = thresholds.maxViolationRateIncrease
        var checks = [StressCheck(name: "stress violation rate increase", value: cand.rate - base.rate, limit: limit, comparison: "≤",
                                  passed: cand.rate - base.rate <= limit)]
        if let worst = settings.max(by: { $0.candidateViolationRate - $0.baselineViolationRate < $1.candidateViolationRate - $1.baselineViolationRate }) {
            let increase = worst.candidateViolationRate - worst.baselineViolationRate
            checks.append(StressCheck(name: "stress violation rate increase of \(worst.specification) (worst setting)", value: increase,
                                      limit: 2 * limit, comparison: "≤", passed: increase <= 2 * limit))
        }
        return StressComparison(suite: suite.name, baselineViolationRate: base.rate, candidateViolationRate: cand.rate, settings: settings, checks: checks,
                                passed: checks.allSatisfy(\.passed))
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
