import Foundation

/// `compare --stress SUITE` in `comparison.json`, on the comparison page and in the JUnit file: the same
/// metamorphic grid run on the baseline and the candidate, so a robustness regression fails CI even when
/// clean-frame accuracy improved.
///
/// Rates are shares of transformed frames violating the suite's relation (with labels DeepTest's
/// (θₜ − label)² ≤ λ·MSE of each model's own originals, without |θₜ − θₒ| ≤ δ), over every clip.
public struct StressRobustness: Codable, Sendable {
    /// One transform setting on both models.
    public struct Setting: Codable, Sendable {
        public var specification: String
        public var baselineViolationRate: Double
        public var candidateViolationRate: Double

        public init(specification: String, baselineViolationRate: Double, candidateViolationRate: Double) {
            (self.specification, self.baselineViolationRate, self.candidateViolationRate) = (specification, baselineViolationRate, candidateViolationRate)
        }
    }

    /// The suite's name (`default`, `deeptest`, or the file's `name`).
    public var suite: String
    /// λ and δ both models were judged by (δ in the model's output unit).
    public var lambda: Double
    public var delta: Double
    public var baselineViolationRate: Double
    public var candidateViolationRate: Double
    public var settings: [Setting]
    /// The candidate's violation-rate increase overall and of its worst setting, against their limits.
    public var checks: [ThresholdCheck]
    public var passed: Bool

    public init(suite: String, lambda: Double, delta: Double, baselineViolationRate: Double, candidateViolationRate: Double,
                settings: [Setting], checks: [ThresholdCheck]) {
        (self.suite, self.lambda, self.delta) = (suite, lambda, delta)
        (self.baselineViolationRate, self.candidateViolationRate, self.settings, self.checks) = (baselineViolationRate, candidateViolationRate, settings, checks)
        passed = checks.allSatisfy(\.passed)
    }
}
