import Foundation
import SteerLensSupport

/// A whole fleet in one value, written by `steerlens merge` as `fleet.json`, `fleet.csv`, JUnit XML and
/// `index.html`. Steering in the model's units, times in seconds.
public struct FleetReport: Codable, Sendable {
    /// One clip of the manifest and what became of it.
    public struct Clip: Codable, Sendable {
        /// `complete`, `missing` (no result), `incomplete` (half-written: a work folder or a result without
        /// its completion record), `stale` (a complete result of other models or options than the latest
        /// workers') or `failed` (the worker recorded a bad input).
        public var status: String
        public var id: String
        public var clip: String
        /// Why the clip is not complete, or which of its checks failed.
        public var detail: String?
        public var frames: Int?
        /// `compare` clips: the clip's own metrics and whether its checks pass under the merge's thresholds.
        public var maxAbsoluteDelta: Double?
        public var p95AbsoluteDelta: Double?
        public var baselineMAE: Double?
        public var candidateMAE: Double?
        public var passed: Bool?
        /// `analyze` / `predict` clips: mean absolute error against labels, when there are labels.
        public var mae: Double?
        /// Relative link to the clip's own page (`clips/<id>/index.html`), when it has one.
        public var page: String?
        public var host: String?
        public var elapsedSeconds: Double?

        public init(status: String, id: String, clip: String) { (self.status, self.id, self.clip) = (status, id, clip) }
        public var isComplete: Bool { status == "complete" }
    }

    /// A frame among the fleet's worst: largest |candidate − baseline| (`compare`) or |prediction − label|.
    public struct WorstFrame: Codable, Sendable {
        public var id: String
        public var frame: Int
        public var time: Double
        public var value: Double
        public var page: String?
        public init(id: String, frame: Int, time: Double, value: Double, page: String?) {
            (self.id, self.frame, self.time, self.value, self.page) = (id, frame, time, value, page)
        }
    }

    public var steerlensVersion: String
    /// `analyze`, `predict` or `compare`.
    public var command: String
    public var manifest: String
    public var clips: [Clip]
    /// Frames over all complete clips.
    public var frames: Int
    /// `compare`: the fleet's metrics over every frame of every complete clip, and the thresholds' checks.
    public var metrics: ClipComparison.Metrics?
    public var thresholds: ComparisonThresholds?
    public var checks: [ThresholdCheck]
    /// `analyze` / `predict`: the fleet's mean absolute error against labels.
    public var mae: Double?
    /// Worst complete clips first (by max |delta|, or MAE), at most 10.
    public var worstClips: [String]
    public var worstFrames: [WorstFrame]
    /// Hidden folders left by workers that died (`clips/.<id>.work-…`).
    public var litter: [String]

    public init(steerlensVersion: String, command: String, manifest: String, clips: [Clip], frames: Int, metrics: ClipComparison.Metrics?,
                thresholds: ComparisonThresholds?, checks: [ThresholdCheck], mae: Double?, worstClips: [String], worstFrames: [WorstFrame], litter: [String]) {
        (self.steerlensVersion, self.command, self.manifest, self.clips, self.frames) = (steerlensVersion, command, manifest, clips, frames)
        (self.metrics, self.thresholds, self.checks, self.mae) = (metrics, thresholds, checks, mae)
        (self.worstClips, self.worstFrames, self.litter) = (worstClips, worstFrames, litter)
    }

    /// Every clip of the manifest has a complete result.
    public var isComplete: Bool { clips.allSatisfy(\.isComplete) }
    /// Every fleet-level threshold holds.
    public var passed: Bool { checks.allSatisfy(\.passed) }
    public func count(_ status: String) -> Int { clips.filter { $0.status == status }.count }

    /// Pretty JSON with top-level `complete` and `passed`.
    public func json() throws -> Data {
        struct Output: Encodable { let complete: Bool; let passed: Bool; let report: FleetReport }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Output(complete: isComplete, passed: passed, report: self))
    }

    /// One row per clip: `id,clip,status,frames,max_abs_delta,p95_abs_delta,baseline_mae,candidate_mae,mae,passed,detail`.
    public func csv() -> String {
        func number(_ value: Double?) -> String { value.map { String(format: "%.9g", $0) } ?? "" }
        func field(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        var lines = ["id,clip,status,frames,max_abs_delta,p95_abs_delta,baseline_mae,candidate_mae,mae,passed,detail"]
        for clip in clips {
            lines.append([field(clip.id), field(clip.clip), clip.status, clip.frames.map(String.init) ?? "", number(clip.maxAbsoluteDelta),
                          number(clip.p95AbsoluteDelta), number(clip.baselineMAE), number(clip.candidateMAE), number(clip.mae),
                          clip.passed.map { $0 ? "true" : "false" } ?? "", field(clip.detail ?? "")].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// JUnit XML: suite `fleet clips` with one test case per clip of the manifest (failing when the clip is
    /// missing, incomplete, failed or fails its own checks) and suite `fleet thresholds` with one per check.
    public func junit() -> String {
        let clipFailures = clips.filter { !$0.isComplete || $0.passed == false }.count
        let checkFailures = checks.filter { !$0.passed }.count
        var lines = [#"<?xml version="1.0" encoding="UTF-8"?>"#,
                     #"<testsuites name="steerlens fleet" tests="\#(clips.count + checks.count)" failures="\#(clipFailures + checkFailures)" errors="0">"#,
                     #"  <testsuite name="fleet clips" id="0" tests="\#(clips.count)" failures="\#(clipFailures)" errors="0" skipped="0" time="0">"#]
        for clip in clips {
            let time = String(format: "%.3f", clip.elapsedSeconds ?? 0)
            lines.append(#"    <testcase name="\#(JUnitReport.escape(clip.id))" classname="steerlens.fleet.\#(command)" time="\#(time)">"#)
            if !clip.isComplete || clip.passed == false {
                let message = clip.isComplete ? "checks failed: \(clip.detail ?? "")" : "\(clip.status): \(clip.detail ?? clip.clip)"
                lines.append(#"      <failure message="\#(JUnitReport.escape(message))" type="\#(clip.isComplete ? "threshold" : clip.status)">\#(JUnitReport.escape(message))</failure>"#)
            }
            lines.append("    </testcase>")
        }
        lines.append("  </testsuite>")
        lines.append(#"  <testsuite name="fleet thresholds" id="1" tests="\#(checks.count)" failures="\#(checkFailures)" errors="0" skipped="0" time="0">"#)
        for check in checks {
            let name = "\(check.name) \(check.comparison) \(JUnitReport.format(check.limit))"
            lines.append(#"    <testcase name="\#(JUnitReport.escape(name))" classname="steerlens.fleet" time="0">"#)
            if !check.passed {
                let message = "\(check.name) = \(JUnitReport.format(check.value)), limit \(check.comparison) \(JUnitReport.format(check.limit))"
                lines.append(#"      <failure message="\#(JUnitReport.escape(message))" type="threshold">\#(JUnitReport.escape(message))</failure>"#)
            }
            lines.append("    </testcase>")
        }
        lines.append("  </testsuite>")
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }
}
