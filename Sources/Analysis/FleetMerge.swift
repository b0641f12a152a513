import Foundation
import Reporting
import SteerLensSupport

/// `steerlens merge OUT`: every clip of a fleet run (``FleetRun``) into one ``FleetReport``.
///
/// Reads `OUT/fleet-manifest.json` (the clips expected) and each `OUT/clips/<id>/`: a folder with its
/// ``FleetRecord`` is complete; one without, or only a worker's `.<id>.work-…` folder, is half-written
/// (`incomplete`); a complete one from another run (other models or options) is `stale`; `.<id>.failed`
/// holds a bad input's error; nothing at all is `missing`. `compare`
/// clips are re-checked with the merge's thresholds, and the fleet's own metrics are computed over
/// every frame of every complete clip, as if the fleet were one clip.
public struct FleetMerge {
    public let out: URL
    public let thresholds: ComparisonThresholds
    public let version: String

    public init(out: URL, thresholds: ComparisonThresholds, version: String) { (self.out, self.thresholds, self.version) = (out, thresholds, version) }

    /// One clip's frames as `merge` needs them: |delta| (`compare`) or prediction and label.
    private struct ClipFrames {
        var comparison: ClipComparison?
        var kinds: [String] = []
        var predictions: [(frame: Int, time: Double, prediction: Double, label: Double?)] = []
    }

    /// Reads the fleet; throws only when `OUT` holds no fleet run.
    public func merge() throws -> FleetReport {
        let copyURL = out.appendingPathComponent(FleetRun.manifestCopyName)
        guard let data = FileManager.default.contents(atPath: copyURL.path) else {
            throw FleetMergeError(kind: .missingInput, problem: "'\(out.path)' holds no fleet run (no \(FleetRun.manifestCopyName))",
                                  hint: "run analyze, predict or compare with --manifest FILE --out \(out.path) first")
        }
        let copy: FleetManifestCopy
        do { copy = try JSONDecoder().decode(FleetManifestCopy.self, from: data) } catch {
            throw FleetMergeError(kind: .badInput, problem: "'\(copyURL.path)' is not a fleet manifest copy", hint: "re-run a worker to rewrite it")
        }
        let clipsFolder = out.appendingPathComponent("clips")
        var clips: [FleetReport.Clip] = [], frames: [String: ClipFrames] = [:], litter: [String] = []
        for entry in copy.clips {
            var clip = FleetReport.Clip(status: "missing", id: entry.id, clip: entry.clip)
            let folder = clipsFolder.appendingPathComponent(entry.id)
            let work = FleetLitter.workFolders(of: entry.id, in: clipsFolder)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue {
                if let record = FleetRecord.read(in: folder) {
                    (clip.host, clip.elapsedSeconds) = (record.host, record.elapsedSeconds)
                    let run = FleetManifestCopy.Run(command: record.key.command, models: record.key.models, options: record.key.options,
                                                    steerlensVersion: record.key.steerlensVersion)
                    if run != copy.run {
                        (clip.status, clip.detail) = ("stale", "computed with other models, options or SteerLens version than the latest workers (re-run its shard)")
                    } else if let loaded = load(folder, command: copy.command) {
                        clip.status = "complete"
                        frames[entry.id] = loaded
                        summarise(&clip, loaded)
                        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("index.html").path) {
                            clip.page = "clips/\(entry.id)/index.html"
                        }
                    } else {
                        (clip.status, clip.detail) = ("incomplete", "its \(Self.resultFile(copy.command)) is missing or unreadable")
                    }
                } else {
                    (clip.status, clip.detail) = ("incomplete", "half-written: clips/\(entry.id)/ has no \(FleetRecord.fileName)")
                }
                litter += work.map { "clips/\($0)" }
            } else if !work.isEmpty {
                (clip.status, clip.detail) = ("incomplete", "half-written: " + work.map { "clips/\($0)" }.joined(separator: ", "))
            } else if let reason = FileManager.default.contents(atPath: clipsFolder.appendingPathComponent(".\(entry.id).failed").path) {
                (clip.status, clip.detail) = ("failed", String(decoding: reason, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            } else {
                clip.detail = "no result in clips/\(entry.id)/"
            }
            clips.append(clip)
        }
        return report(copy: copy, clips: clips, frames: frames, litter: litter)
    }

    private func report(copy: FleetManifestCopy, clips: [FleetReport.Clip], frames: [String: ClipFrames], litter: [String]) -> FleetReport {
        let complete = clips.filter(\.isComplete)
        let pages = Dictionary(clips.map { ($0.id, $0.page) }, uniquingKeysWith: { first, _ in first })
        var metrics: ClipComparison.Metrics?, checks: [ThresholdCheck] = [], mae: Double?, worst: [FleetReport.WorstFrame] = []
        let worstClips: [String]
        if copy.command == "compare" {
            let kinds = complete.compactMap { frames[$0.id]?.kinds }.first ?? []
            let all = complete.flatMap { frames[$0.id]?.comparison?.frames ?? [] }
            if !all.isEmpty {
                let fleet = ClipComparison(clip: "fleet", frames: all, kinds: kinds, thresholds: thresholds)
                (metrics, checks) = (fleet.metrics, fleet.checks)
            }
            worst = complete.flatMap { clip in
                (frames[clip.id]?.comparison?.frames ?? []).map { FleetReport.WorstFrame(id: clip.id, frame: $0.frame, time: $0.time, value: abs($0.delta), page: pages[clip.id] ?? nil) }
            }
            worstClips = complete.sorted { ($0.maxAbsoluteDelta ?? 0, $1.id) > ($1.maxAbsoluteDelta ?? 0, $0.id) }.prefix(10).map(\.id)
        } else {
            let labelled = complete.flatMap { clip in (frames[clip.id]?.predictions ?? []).compactMap { row in row.label.map { (clip.id, row, abs(row.prediction - $0)) } } }
            mae = labelled.isEmpty ? nil : labelled.reduce(0) { $0 + $1.2 } / Double(labelled.count)
            worst = labelled.map { FleetReport.WorstFrame(id: $0.0, frame: $0.1.frame, time: $0.1.time, value: $0.2, page: pages[$0.0] ?? nil) }
            worstClips = complete.filter { $0.mae != nil }.sorted { ($0.mae!, $1.id) > ($1.mae!, $0.id) }.prefix(10).map(\.id)
        }
        worst.sort { ($0.value, $1.id, $1.frame) > ($1.value, $0.id, $0.frame) }
        return FleetReport(steerlensVersion: version, command: copy.command, manifest: copy.manifest, clips: clips,
                           frames: complete.reduce(0) { $0 + ($1.frames ?? 0) }, metrics: metrics, thresholds: copy.command == "compare" ? thresholds : nil,
                           checks: checks, mae: mae, worstClips: worstClips, worstFrames: Array(worst.prefix(20)), litter: litter)
    }

    private func summarise(_ clip: inout FleetReport.Clip, _ loaded: ClipFrames) {
        if let comparison = loaded.comparison {
            clip.frames = comparison.metrics.frames
            (clip.maxAbsoluteDelta, clip.p95AbsoluteDelta) = (comparison.metrics.maxAbsoluteDelta, comparison.metrics.p95AbsoluteDelta)
            (clip.baselineMAE, clip.candidateMAE, clip.passed) = (comparison.metrics.baselineMAE, comparison.metrics.candidateMAE, comparison.passed)
            let failing = comparison.checks.filter { !$0.passed }.map { String(format: "%@ = %.4g (limit %@ %.4g)", $0.name, $0.value, $0.comparison, $0.limit) }
            if !failing.isEmpty { clip.detail = failing.joined(separator: "; ") }
        } else {
            clip.frames = loaded.predictions.count
            let labelled = loaded.predictions.compactMap { row in row.label.map { abs(row.prediction - $0) } }
            clip.mae = labelled.isEmpty ? nil : labelled.reduce(0, +) / Double(labelled.count)
        }
    }

    static func resultFile(_ command: String) -> String {
        switch command {
        case "compare": "comparison.json"
        case "predict": FleetPredictions.fileName
        default: "run.json"
        }
    }

    /// A complete clip's frames, or `nil` when its result file cannot be read.
    private func load(_ folder: URL, command: String) -> ClipFrames? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(Self.resultFile(command)).path) else { return nil }
        switch command {
        case "compare":
            struct Written: Decodable { let report: ComparisonReport }
            guard let report = try? JSONDecoder().decode(Written.self, from: data).report, report.clips.count == 1 else { return nil }
            let clip = report.clips[0]
            return ClipFrames(comparison: ClipComparison(clip: clip.clip, frames: clip.frames, kinds: report.kinds, thresholds: thresholds), kinds: report.kinds)
        case "predict":
            return FleetPredictions.parse(String(decoding: data, as: UTF8.self)).map { ClipFrames(predictions: $0) }
        default:
            struct Frame: Decodable { let frame: Int; let time: Double; let prediction: Double; let label: Double? }
            struct Written: Decodable { let frames: [Frame] }
            guard let run = try? JSONDecoder().decode(Written.self, from: data) else { return nil }
            return ClipFrames(predictions: run.frames.map { ($0.frame, $0.time, $0.prediction, $0.label) })
        }
    }

    /// Writes `fleet.json`, `fleet.csv` and `index.html` into `OUT` (each atomically) and the JUnit XML.
    public func write(_ report: FleetReport, junit: String?) throws {
        try AtomicFile.write(try during("encoding fleet.json") { try report.json() }, to: out.appendingPathComponent("fleet.json"))
        try AtomicFile.write(Data(report.csv().utf8), to: out.appendingPathComponent("fleet.csv"))
        let page = try during("rendering the fleet page") { try FleetPage.render(report) }
        try AtomicFile.write(Data(page.utf8), to: out.appendingPathComponent("index.html"))
        if let junit { try AtomicFile.write(Data(report.junit().utf8), to: URL(fileURLWithPath: junit)) }
    }
}

/// A fleet folder `merge` cannot read.
public struct FleetMergeError: SteerLensError {
    public let kind: FailureKind
    public let problem: String
    public let hint: String
    public var message: String { problem }
}
