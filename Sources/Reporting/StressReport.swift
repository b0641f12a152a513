import Foundation

/// `stress.json` (`docs/schemas/stress.schema.json`): a stress run judged by its metamorphic relations.
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

        public init(specification: String, transform: String, parameter: String, relation: String, frames: Int, violations: Int,
                    violationRate: Double, meanAbsoluteChange: Double, maxAbsoluteChange: Double) {
            (self.specification, self.transform, self.parameter, self.relation) = (specification, transform, parameter, relation)
            (self.frames, self.violations, self.violationRate) = (frames, violations, violationRate)
            (self.meanAbsoluteChange, self.maxAbsoluteChange) = (meanAbsoluteChange, maxAbsoluteChange)
        }
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

        public init(clip: String, frames: Int, originalMSE: Double?, violations: Int, pairs: Int, violationRate: Double) {
            (self.clip, self.frames, self.originalMSE, self.violations, self.pairs, self.violationRate) = (clip, frames, originalMSE, violations, pairs, violationRate)
        }
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

        public init(clip: String, frame: Int, time: Double, specification: String, original: Double, transformed: Double, label: Double?,
                    correlation: [String: Double], topIoU: [String: Double], images: [String]) {
            (self.clip, self.frame, self.time, self.specification) = (clip, frame, time, specification)
            (self.original, self.transformed, self.label) = (original, transformed, label)
            (self.correlation, self.topIoU, self.images) = (correlation, topIoU, images)
        }
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
    public var checks: [ThresholdCheck]
    public var passed: Bool { checks.allSatisfy(\.passed) }
    public var elapsedSeconds: Double

    public init(steerlensVersion: String, suite: String, model: String, lambda: Double, delta: Double, thresholds: StressThresholds,
                settings: [SettingSummary], clips: [ClipSummary], violationRate: Double, flipViolationRate: Double?, worst: [WorstCase],
                checks: [ThresholdCheck], elapsedSeconds: Double) {
        (self.steerlensVersion, self.suite, self.model, self.lambda, self.delta) = (steerlensVersion, suite, model, lambda, delta)
        (self.thresholds, self.settings, self.clips, self.violationRate) = (thresholds, settings, clips, violationRate)
        (self.flipViolationRate, self.worst, self.checks, self.elapsedSeconds) = (flipViolationRate, worst, checks, elapsedSeconds)
    }

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
        checks = try container.decode([ThresholdCheck].self, forKey: .checks)
        elapsedSeconds = try container.decode(Double.self, forKey: .elapsedSeconds)
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

/// The limits a stress run is judged by (`--thresholds FILE`, or the suite's own `thresholds`).
public struct StressThresholds: Codable, Sendable, Equatable {
    /// Largest allowed share of (frame, setting) pairs that violate their metamorphic relation.
    public var maxViolationRate: Double = 0.2
    /// Largest allowed violation rate of any single setting (nil: not checked).
    public var maxSettingViolationRate: Double?
    /// Largest allowed share of frames whose flipped prediction is not ≈ −θ (nil: not checked).
    public var maxFlipViolationRate: Double?
    /// `compare --stress`: largest allowed increase of the candidate's overall violation rate over the baseline's.
    public var maxViolationRateIncrease: Double = 0.02

    public init() {}

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        maxViolationRate = try container.decodeIfPresent(Double.self, forKey: .maxViolationRate) ?? 0.2
        maxSettingViolationRate = try container.decodeIfPresent(Double.self, forKey: .maxSettingViolationRate)
        maxFlipViolationRate = try container.decodeIfPresent(Double.self, forKey: .maxFlipViolationRate)
        maxViolationRateIncrease = try container.decodeIfPresent(Double.self, forKey: .maxViolationRateIncrease) ?? 0.02
    }

    /// The keys of a thresholds object.
    public static var keys: [String] { CodingKeys.allCases.map(\.rawValue) }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case maxViolationRate, maxSettingViolationRate, maxFlipViolationRate, maxViolationRateIncrease
    }
}
