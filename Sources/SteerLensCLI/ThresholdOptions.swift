import ArgumentParser
import Foundation
import Reporting

/// Regression thresholds: a JSON file, then flags for single limits.
struct ThresholdOptions: ParsableArguments {
    @Option(help: ArgumentHelp("JSON file with thresholds (keys maxDelta, maxP95Delta, maxMAEIncrease, minMeanCorrelation, driftCorrelation, maxDriftShare).", valueName: "file"))
    var thresholds: String?

    @Option(help: ArgumentHelp("Largest allowed |candidate − baseline| on any frame (default 0.15).", valueName: "value"))
    var maxDelta: Double?

    @Option(help: ArgumentHelp("Largest allowed 95th percentile of |candidate − baseline| (default 0.05).", valueName: "value"))
    var maxP95Delta: Double?

    @Option(name: .customLong("max-mae-increase"), help: ArgumentHelp("Largest allowed increase of the MAE against --labels (default 0.01).", valueName: "value"))
    var maxMAEIncrease: Double?

    @Option(help: ArgumentHelp("Smallest allowed mean correlation between baseline and candidate maps (default 0.6).", valueName: "value"))
    var minCorrelation: Double?

    @Option(help: ArgumentHelp("Map correlation below which a frame counts as drifted (default 0.3).", valueName: "value"))
    var driftCorrelation: Double?

    @Option(help: ArgumentHelp("Largest allowed share of drifted frames (default 0.2).", valueName: "share"))
    var maxDriftShare: Double?

    func validate() throws {
        for (flag, value) in [("--max-delta", maxDelta), ("--max-p95-delta", maxP95Delta), ("--max-mae-increase", maxMAEIncrease),
                              ("--min-correlation", minCorrelation), ("--drift-correlation", driftCorrelation), ("--max-drift-share", maxDriftShare)] {
            if let value, !value.isFinite { throw ValidationError("\(flag) must be a finite number, got \(value)") }
        }
    }

    func resolved() throws -> ComparisonThresholds {
        var limits = try thresholds.map { try ComparisonThresholds.load(URL(fileURLWithPath: $0)) } ?? ComparisonThresholds()
        if let maxDelta { limits.maxDelta = maxDelta }
        if let maxP95Delta { limits.maxP95Delta = maxP95Delta }
        if let maxMAEIncrease { limits.maxMAEIncrease = maxMAEIncrease }
        if let minCorrelation { limits.minMeanCorrelation = minCorrelation }
        if let driftCorrelation { limits.driftCorrelation = driftCorrelation }
        if let maxDriftShare { limits.maxDriftShare = maxDriftShare }
        return limits
    }
}

/// Where `compare` and `check` write, and what they print.
struct ComparisonOutputOptions: ParsableArguments {
    @OptionGroup var directory: ReportDirectoryOptions

    @Option(help: ArgumentHelp("Also write JUnit XML (one test case per clip and threshold) to this file.", valueName: "file"))
    var junit: String?

    @Flag(help: "Print the comparison as JSON on standard output.")
    var json = false

    /// Prints the result; exit code 1 (naming each failing threshold) when the candidate regressed.
    func conclude(_ report: ComparisonReport, destination: URL) throws {
        if json { try StandardOutput.line(String(decoding: try report.json(), as: UTF8.self)) }
        printError("report: \(destination.appendingPathComponent("index.html").path)")
        guard report.passed else {
            for regression in report.regressions { printError("regression: \(regression)") }
            throw ExitCode(1)
        }
        printError("pass: the candidate stays within every threshold")
    }
}
