import Foundation
import Reporting
import Saliency
import SteerLensSupport

/// `compare` and `check` from the clips to a finished output directory: every clip through
/// ``ClipComparer``, then the sinks — `comparison.json`, `index.html`, overlays of the frames that
/// differ most (`compare` only) and JUnit XML — staged and published atomically.
public struct ComparisonRun {
    public let comparer: ClipComparer
    public let labels: LabelTrack?
    public let kinds: [SaliencyMapKind]
    public let thresholds: ComparisonThresholds
    /// The SteerLens version recorded in comparison.json.
    public let version: String
    /// Also write JUnit XML to this file.
    public let junit: String?

    public init(comparer: ClipComparer, labels: LabelTrack?, kinds: [SaliencyMapKind], thresholds: ComparisonThresholds, version: String,
                junit: String?) {
        (self.comparer, self.labels, self.kinds, self.thresholds, self.version, self.junit) = (comparer, labels, kinds, thresholds, version, junit)
    }

    /// Two models on the same frames; overlays of each clip's highlighted frames go to `<destination>/<clip stem>/`.
    /// `robustness` (`compare --stress`) runs after the clips, and its verdict is part of the report.
    public func compare(_ inputs: [String], baseline: (name: String, session: ModelSession), candidate: (name: String, session: ModelSession),
                        destination: URL, overwrite: Bool, robustness: (() throws -> StressRobustness)? = nil) throws -> ComparisonReport {
        try OutputDirectory.produce(destination, overwrite: overwrite) { staging -> ComparisonReport in
            var clips: [ClipComparison] = [], images: [String: String] = [:], highlighted: [String: [Int]] = [:]
            for input in inputs {
                let clip = try comparer.compare(input, baseline: baseline.session, candidate: candidate.session, labels: labels, kinds: kinds,
                                                thresholds: thresholds)
                clips.append(clip)
                let frames = ComparisonPage.highlightedFrames(clip, kinds: kinds.map(\.name))
                highlighted[input] = frames
                let folder = ClipNaming.stem(input)
                images[input] = folder
                try comparer.writeOverlays(input, frames: frames, runners: [("baseline", baseline.session), ("candidate", candidate.session)],
                                           into: staging.appendingPathComponent(folder))
            }
            var report = ComparisonReport(steerlensVersion: version, baseline: baseline.name, candidate: candidate.name,
                                          thresholds: thresholds, kinds: kinds.map(\.name), clips: clips)
            report.stress = try robustness?()
            try write(report, into: staging, images: images, highlighted: highlighted)
            return report
        }
    }

    /// A model against a recorded `analyze` run; `warn` hears of frames that could not be matched.
    public func check(_ inputs: [String], recorded: RecordedRun, candidate: (name: String, session: ModelSession), destination: URL,
                      overwrite: Bool, warn: (String) -> Void) throws -> ComparisonReport {
        try OutputDirectory.produce(destination, overwrite: overwrite) { staging -> ComparisonReport in
            var comparer = comparer
            comparer.transform = recorded.transform
            let clips = try inputs.map {
                try comparer.check($0, recorded: recorded, runner: candidate.session, labels: labels, kinds: kinds, thresholds: thresholds, warn: warn)
            }
            let report = ComparisonReport(steerlensVersion: version, baseline: recorded.path, candidate: candidate.name,
                                          thresholds: thresholds, kinds: kinds.map(\.name), clips: clips)
            let highlighted = Dictionary(uniqueKeysWithValues: clips.map { ($0.clip, ComparisonPage.highlightedFrames($0, kinds: kinds.map(\.name))) })
            try write(report, into: staging, images: [:], highlighted: highlighted)
            return report
        }
    }

    /// Writes `comparison.json` and `index.html` into the staging directory, and the JUnit file.
    private func write(_ report: ComparisonReport, into staging: URL, images: [String: String], highlighted: [String: [Int]]) throws {
        try AtomicFile.write(try report.json(), to: staging.appendingPathComponent("comparison.json"))
        let page = try ComparisonPage.render(report, images: images, highlighted: highlighted)
        try AtomicFile.write(Data(page.utf8), to: staging.appendingPathComponent("index.html"))
        if let junit {
            try AtomicFile.write(Data(JUnitReport.xml(report).utf8), to: URL(fileURLWithPath: junit))
        }
    }
}
