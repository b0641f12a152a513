import Foundation
import SteerLensSupport

/// Limits a candidate model must stay within against its baseline (`compare`, `check`). Read from a JSON
/// file (`--thresholds FILE`, same keys) and overridden by flags; missing keys keep these defaults.
public struct ComparisonThresholds: Codable, Sendable, Equatable {
    /// Largest allowed |candidate − baseline| on any frame.
    public var maxDelta: Double = 0.15
    /// Largest allowed 95th percentile of |candidate − baseline|.
    public var maxP95Delta: Double = 0.05
    /// Largest allowed increase of the mean absolute error against labels (only with labels).
    public var maxMAEIncrease: Double = 0.01
    /// Smallest allowed mean Pearson correlation between baseline and candidate maps, per map kind.
    public var minMeanCorrelation: Double = 0.6
    /// A frame has drifted when its map correlation falls below this.
    public var driftCorrelation: Double = 0.3
    /// Largest allowed share of drifted frames, per map kind.
    public var maxDriftShare: Double = 0.2

    public init() {}

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ComparisonThresholds()
        maxDelta = try container.decodeIfPresent(Double.self, forKey: .maxDelta) ?? defaults.maxDelta
        maxP95Delta = try container.decodeIfPresent(Double.self, forKey: .maxP95Delta) ?? defaults.maxP95Delta
        maxMAEIncrease = try container.decodeIfPresent(Double.self, forKey: .maxMAEIncrease) ?? defaults.maxMAEIncrease
        minMeanCorrelation = try container.decodeIfPresent(Double.self, forKey: .minMeanCorrelation) ?? defaults.minMeanCorrelation
        driftCorrelation = try container.decodeIfPresent(Double.self, forKey: .driftCorrelation) ?? defaults.driftCorrelation
        maxDriftShare = try container.decodeIfPresent(Double.self, forKey: .maxDriftShare) ?? defaults.maxDriftShare
        let unknown = Set((try? decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)) ?? []).subtracting(CodingKeys.allCases.map(\.rawValue))
        guard unknown.isEmpty else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown keys \(unknown.sorted()); known: \(CodingKeys.allCases.map(\.rawValue))"))
        }
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case maxDelta, maxP95Delta, maxMAEIncrease, minMeanCorrelation, driftCorrelation, maxDriftShare
    }
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Reads a thresholds file.
    public static func load(_ url: URL) throws -> ComparisonThresholds {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw ThresholdsError(path: url.path, detail: "cannot read the file") }
        do { return try JSONDecoder().decode(ComparisonThresholds.self, from: data) } catch {
            let detail = (error as? DecodingError).map { error -> String in
                if case .dataCorrupted(let context) = error { return context.debugDescription }
                return "\(error)"
            } ?? "\(error)"
            throw ThresholdsError(path: url.path, detail: detail)
        }
    }
}

/// A thresholds file that cannot be used.
public struct ThresholdsError: SteerLensError {
    public let path: String
    public let detail: String
    public var kind: FailureKind { .badInput }
    public var message: String { "thresholds file '\(path)' is invalid: \(detail)" }
    public var hint: String { "use JSON with any of maxDelta, maxP95Delta, maxMAEIncrease, minMeanCorrelation, driftCorrelation, maxDriftShare (see README)" }
}

/// One frame seen by both models.
public struct ComparedFrame: Codable, Sendable {
    public var frame: Int
    public var time: Double
    public var baseline: Double
    public var candidate: Double
    /// candidate − baseline.
    public var delta: Double
    public var label: Double?
    /// Map kind → Pearson correlation between the baseline and candidate saliency grids.
    public var correlation: [String: Double]
    /// Map kind → IoU of the cells holding each map's top 10 % of values.
    public var topIoU: [String: Double]

    /// A frame compared on its saliency grids (one per kind, same order as `kinds`).
    public init(frame: Int, time: Double, baseline: Double, candidate: Double, label: Double?,
                kinds: [String], baselineGrids: [[Float]], candidateGrids: [[Float]]) {
        var correlation: [String: Double] = [:], iou: [String: Double] = [:]
        for (index, kind) in kinds.enumerated() {
            correlation[kind] = pearsonCorrelation(baselineGrids[index], candidateGrids[index])
            iou[kind] = topFractionIoU(baselineGrids[index], candidateGrids[index])
        }
        self.init(frame: frame, time: time, baseline: baseline, candidate: candidate, label: label, correlation: correlation, topIoU: iou)
    }

    public init(frame: Int, time: Double, baseline: Double, candidate: Double, label: Double?, correlation: [String: Double], topIoU: [String: Double]) {
        (self.frame, self.time, self.baseline, self.candidate, self.label) = (frame, time, baseline, candidate, label)
        delta = candidate - baseline
        (self.correlation, self.topIoU) = (correlation, topIoU)
    }
}

/// One limit checked (on a clip, a fleet or a stress run) and whether it held.
public struct ThresholdCheck: Codable, Sendable {
    public var name: String
    public var value: Double
    public var limit: Double
    /// `≤` or `≥`.
    public var comparison: String
    public var passed: Bool

    public init(name: String, value: Double, limit: Double, comparison: String, passed: Bool) {
        (self.name, self.value, self.limit, self.comparison, self.passed) = (name, value, limit, comparison, passed)
    }
}

/// The comparison of two models (or a model and a recorded run) on one clip.
public struct ClipComparison: Codable, Sendable {
    public struct Metrics: Codable, Sendable {
        public var frames: Int
        public var maxAbsoluteDelta: Double
        public var p95AbsoluteDelta: Double
        public var meanAbsoluteDelta: Double
        public var baselineMAE: Double?
        public var candidateMAE: Double?
        public var meanCorrelation: [String: Double]
        public var meanTopIoU: [String: Double]
        public var driftShare: [String: Double]
    }

    public var clip: String
    public var frames: [ComparedFrame]
    public var metrics: Metrics
    public var checks: [ThresholdCheck]
    public var passed: Bool { checks.allSatisfy(\.passed) }

    public init(clip: String, frames: [ComparedFrame], kinds: [String], thresholds: ComparisonThresholds) {
        self.clip = clip
        self.frames = frames
        let deltas = frames.map { abs($0.delta) }.sorted()
        let p95 = deltas.isEmpty ? 0 : deltas[min(deltas.count - 1, Int((0.95 * Double(deltas.count - 1)).rounded(.up)))]
        let labelled = frames.filter { $0.label != nil }
        func mae(_ value: (ComparedFrame) -> Double) -> Double? {
            labelled.isEmpty ? nil : labelled.reduce(0) { $0 + abs(value($1) - $1.label!) } / Double(labelled.count)
        }
        func mean(_ values: [Double]) -> Double { values.isEmpty ? 1 : values.reduce(0, +) / Double(values.count) }
        var correlation: [String: Double] = [:], iou: [String: Double] = [:], drift: [String: Double] = [:]
        for kind in kinds {
            let values = frames.compactMap { $0.correlation[kind] }
            correlation[kind] = mean(values)
            iou[kind] = mean(frames.compactMap { $0.topIoU[kind] })
            drift[kind] = values.isEmpty ? 0 : Double(values.filter { $0 < thresholds.driftCorrelation }.count) / Double(values.count)
        }
        metrics = Metrics(frames: frames.count, maxAbsoluteDelta: deltas.last ?? 0, p95AbsoluteDelta: p95,
                          meanAbsoluteDelta: deltas.isEmpty ? 0 : deltas.reduce(0, +) / Double(deltas.count),
                          baselineMAE: mae(\.baseline), candidateMAE: mae(\.candidate),
                          meanCorrelation: correlation, meanTopIoU: iou, driftShare: drift)
        var checks = [
            ThresholdCheck(name: "max |delta|", value: metrics.maxAbsoluteDelta, limit: thresholds.maxDelta, comparison: "≤", passed: metrics.maxAbsoluteDelta <= thresholds.maxDelta),
            ThresholdCheck(name: "p95 |delta|", value: p95, limit: thresholds.maxP95Delta, comparison: "≤", passed: p95 <= thresholds.maxP95Delta),
        ]
        if let baseline = metrics.baselineMAE, let candidate = metrics.candidateMAE {
            checks.append(ThresholdCheck(name: "MAE increase vs labels", value: candidate - baseline, limit: thresholds.maxMAEIncrease, comparison: "≤",
                                         passed: candidate - baseline <= thresholds.maxMAEIncrease))
        }
        for kind in kinds {
            checks.append(ThresholdCheck(name: "mean \(kind) map correlation", value: correlation[kind]!, limit: thresholds.minMeanCorrelation, comparison: "≥",
                                         passed: correlation[kind]! >= thresholds.minMeanCorrelation))
            checks.append(ThresholdCheck(name: "share of frames with drifted \(kind) map", value: drift[kind]!, limit: thresholds.maxDriftShare, comparison: "≤",
                                         passed: drift[kind]! <= thresholds.maxDriftShare))
        }
        self.checks = checks
    }
}

/// A whole `compare` / `check` run: what was compared, the limits, and each clip's result.
public struct ComparisonReport: Codable, Sendable {
    /// The version of comparison.json's layout (`docs/schemas/comparison.schema.json`).
    public static let currentSchemaVersion = 1

    public var schemaVersion = ComparisonReport.currentSchemaVersion
    public var steerlensVersion: String
    /// The baseline model file or recorded run.
    public var baseline: String
    public var candidate: String
    public var thresholds: ComparisonThresholds
    public var kinds: [String]
    public var clips: [ClipComparison]
    /// `compare --stress SUITE`: the grid on both models (absent without `--stress`).
    public var stress: StressRobustness?
    public var passed: Bool { clips.allSatisfy(\.passed) && (stress?.passed ?? true) }

    public init(steerlensVersion: String, baseline: String, candidate: String, thresholds: ComparisonThresholds, kinds: [String], clips: [ClipComparison]) {
        (self.steerlensVersion, self.baseline, self.candidate, self.thresholds, self.kinds, self.clips) = (steerlensVersion, baseline, candidate, thresholds, kinds, clips)
    }

    /// Pretty JSON with a top-level `passed`.
    public func json() throws -> Data {
        struct Output: Encodable { let passed: Bool; let report: ComparisonReport }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Output(passed: passed, report: self))
    }
}
