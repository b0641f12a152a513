import Foundation

// The lines `steerlens` prints about a finished report: results on standard output, verdicts and
// problems on standard error. The CLI only chooses the stream; the wording lives here, beside the data.

extension ThresholdCheck: CustomStringConvertible {
    /// `max |delta| = 0.2507, limit ≤ 0.15`: the measured value and its limit (4 significant digits).
    public var description: String { String(format: "%@ = %.4g, limit %@ %.4g", name, value, comparison, limit) }
}

extension ComparisonReport {
    /// One line per failed threshold of each clip, `CLIP: CHECK`; empty when every clip passed.
    public var regressions: [String] {
        clips.flatMap { clip in clip.checks.filter { !$0.passed }.map { "\(clip.clip): \($0)" } }
    }
}

extension StressRobustness {
    /// `stress (SUITE): violation rate baseline B, candidate C`.
    public var summary: String {
        String(format: "stress (%@): violation rate baseline %.4f, candidate %.4f", suite, baselineViolationRate, candidateViolationRate)
    }
}

extension StressReport {
    /// The per-setting table as CSV (header first); a specification with a comma is quoted.
    public var tableLines: [String] {
        ["transform,violation_rate,violations,frames,mean_abs_change,relation"] + settings.map { setting in
            let name = setting.specification.contains(",") ? "\"\(setting.specification)\"" : setting.specification
            return String(format: "%@,%.4f,%d,%d,%.4f,%@", name, setting.violationRate, setting.violations, setting.frames,
                          setting.meanAbsoluteChange, setting.relation)
        }
    }

    /// `violation rate R (N settings)`, plus the flip's rate when the suite has the flip.
    public var summary: String {
        var summary = String(format: "violation rate %.4f (%d settings)", violationRate, settings.count)
        if let flipViolationRate { summary += String(format: ", flip violation rate %.4f", flipViolationRate) }
        return summary
    }
}

extension FleetReport {
    /// `merged N clips (… complete, … missing, … incomplete, … failed[, … stale]), F frames`.
    public var summary: String {
        var counts = String(format: "%d complete, %d missing, %d incomplete, %d failed", count("complete"), count("missing"),
                            count("incomplete"), count("failed"))
        if count("stale") > 0 { counts += ", \(count("stale")) stale" }
        return "merged \(clips.count) clips (\(counts)), \(frames) frames"
    }

    /// What needs attention: each clip without a complete result, leftovers of dead workers and each
    /// failed fleet threshold, one line each.
    public var problems: [String] {
        clips.filter { !$0.isComplete }.map { "\($0.status): \($0.id) (\($0.clip)): \($0.detail ?? "")" }
            + litter.map { "warning: left by a worker that died: \($0)" }
            + checks.filter { !$0.passed }.map { "regression: fleet: \($0)" }
    }
}

extension SanityReport {
    /// One line per map: its similarity after the last randomisation step and whether it is flagged.
    public var summaryLines: [String] {
        maps.compactMap { name in
            cascade.last?.maps[name].map { last in
                String(format: "%@: fully randomised Spearman %.3f, SSIM %.3f — %@", name, last.spearman, last.ssim,
                       flagged.contains(name) ? "FLAGGED (maps do not depend on the weights)" : "ok")
            }
        }
    }
}
