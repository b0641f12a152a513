import Analysis
import ArgumentParser
import Foundation
import SteerLensSupport

/// `steerlens merge`: the per-clip results of a fleet run into one report and one verdict.
struct Merge: ReportingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the per-clip results of a fleet run (--manifest … --out OUT) into one report and CI verdict.",
        discussion: """
        Reads OUT/fleet-manifest.json and OUT/clips/<id>/; writes OUT/fleet.json, OUT/fleet.csv and \
        OUT/index.html (fleet metrics, the worst clips and frames, links to each clip's page), and with \
        --junit one test case per clip. compare fleets are checked with the thresholds below over every \
        frame of the fleet. Exit 0 when every clip is complete and every threshold holds, 1 when a \
        threshold fails, 66 when a clip is missing, half-written, failed or stale (computed \
        with other models or options than the latest workers); each is named on standard error.
        """
    )

    @Argument(help: "The fleet's output folder (the --out of its workers).")
    var out: String

    @Option(help: ArgumentHelp("Also write JUnit XML (one test case per clip and per fleet threshold) to this file.", valueName: "file"))
    var junit: String?

    @Flag(help: "Print fleet.json on standard output.")
    var json = false

    @OptionGroup var thresholdOptions: ThresholdOptions

    func execute() throws {
        let merge = FleetMerge(out: URL(fileURLWithPath: out), thresholds: try thresholdOptions.resolved(), version: SteerLens.version)
        let report = try merge.merge()
        try merge.write(report, junit: junit)
        if json { try StandardOutput.line(String(decoding: try report.json(), as: UTF8.self)) }
        printError(report.summary)
        printError("report: \(URL(fileURLWithPath: out).appendingPathComponent("index.html").path)")
        report.problems.forEach(printError)
        guard report.isComplete else {
            printError("steerlens: \(report.clips.count - report.count("complete")) of \(report.clips.count) clips have no complete result (hint: re-submit the workers; complete clips are skipped)")
            throw ExitCode(FailureKind.missingInput.exitCode)
        }
        guard report.passed else { throw ExitCode(1) }
        if report.command == "compare" { printError("pass: the fleet stays within every threshold") }
    }
}
