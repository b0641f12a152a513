import ArgumentParser
import Foundation

/// `steerlens`: explains and regression-tests steering-angle CNNs on dashcam video.
@main
struct SteerLens: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "steerlens",
        abstract: "Explain and regression-test steering-angle CNNs on dashcam video.",
        discussion: """
        Exit codes: 0 ok, 1 regression found (compare, check, merge, stress) or a map failed the sanity check, 64 usage, 65 bad input data (not a \
        video, corrupt, bad model), 66 input missing or unreadable, 70 internal error (a bug to \
        report), 73 cannot create output, 74 I/O error while writing, 127 OpenBLAS cannot be loaded, \
        130 interrupted (Ctrl-C or SIGTERM).
        """,
        version: version,
        subcommands: [Probe.self, ExportFrames.self, Inspect.self, Predict.self, Analyze.self, Compare.self, Check.self, Merge.self, Sanity.self, Stress.self]
    )

    /// Ignores SIGPIPE, so that a closed standard output is a write error SteerLens reports (exit 74)
    /// rather than a silent death, then runs the command line. Diagnostics go through `StandardError` (SteerLensSupport),
    /// which drops what a closed standard error cannot take instead of trapping.
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        main(nil)
    }
}
