import ArgumentParser
import VideoIO

/// `steerlens probe`: what a clip is, as SteerLens will read it.
struct Probe: ReportingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a clip's container, codec, size, frame rate, duration and frame count.",
        discussion: """
        Each input can be a video file, a still image, or an image-sequence pattern such as \
        frames/%06d.png. Several inputs are reported one after another (text separated by a blank \
        line, JSON as an array); the first one that cannot be read ends the run with its exit code.
        """
    )

    @Argument(help: "Video files, images, or image-sequence patterns.")
    var inputs: [String]

    @Flag(help: "Decode every frame to report the exact frame count and decode errors.")
    var count = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func execute() throws {
        let reports = try inputs.map { try ProbeReport(probing: $0, decodingEveryFrame: count) }
        if json {
            try StandardOutput.line(inputs.count == 1 ? try ProbeReport.json(reports[0]) : try ProbeReport.json(reports))
        } else {
            try StandardOutput.line(reports.map { $0.text() }.joined(separator: "\n\n"))
        }
    }
}
