import ArgumentParser

/// `steerlens`: explains and regression-tests steering-angle CNNs on dashcam video.
@main
struct SteerLens: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "steerlens",
        abstract: "Explain and regression-test steering-angle CNNs on dashcam video.",
        discussion: """
        Exit codes: 0 ok, 1 regression found (compare, check), 64 usage, 65 bad input data (not a \
        video, corrupt, bad model), 66 input missing or unreadable, 73 cannot create output, 74 I/O \
        error while writing, 130 interrupted.
        """,
        version: version,
        subcommands: [Probe.self, ExportFrames.self, Inspect.self, Predict.self, Analyze.self, Compare.self, Check.self]
    )
}
