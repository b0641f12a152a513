import ArgumentParser
import Foundation
import VideoIO

/// `steerlens probe`: what a clip is, as SteerLens will read it.
struct Probe: ParsableCommand {
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

    func run() throws {
        try reportingFailures("probe") {
            let reports = try inputs.map(probe)
            if json {
                try StandardOutput.line(inputs.count == 1 ? try ProbeReport.json(reports[0]) : try ProbeReport.json(reports))
            } else {
                try StandardOutput.line(reports.map { $0.text() }.joined(separator: "\n\n"))
            }
        }
    }

    private func probe(_ input: String) throws -> ProbeReport {
        let reader = try FrameSources.open(input)
        var report = ProbeReport(info: reader.info)
        if count {
            var frame = Frame(index: 0, time: 0, width: 0, height: 0, pixels: [])
            while try reader.read(into: &frame) {}
            guard reader.decodedFrameCount > 0 else {
                throw VideoError.noDecodableFrames(path: input, decodeErrors: reader.decodeErrorCount + reader.readErrorCount)
            }
            report.decodedFrames = reader.decodedFrameCount
            report.decodeErrors = reader.decodeErrorCount
            report.readErrors = reader.readErrorCount
            if let declared = reader.info.declaredFrameCount { report.droppedFrames = max(declared - reader.decodedFrameCount, 0) }
        }
        return report
    }
}

/// The result of `probe`, printable as text or JSON.
struct ProbeReport: Encodable {
    var info: VideoStreamInfo
    var decodedFrames: Int?
    var decodeErrors: Int?
    var readErrors: Int?
    var droppedFrames: Int?

    /// One report, or an array of them, as pretty-printed JSON.
    static func json<Value: Encodable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    func text() -> String {
        var lines = [
            "input:      \(info.path)",
            "container:  \(info.container) (\(info.containerLongName))",
            "codec:      \(info.codec), \(info.pixelFormat)",
            "size:       \(info.width)x\(info.height)" + (info.rotation != 0 ? " (rotation \(info.rotation)°, frames delivered \(info.displayWidth)x\(info.displayHeight))" : ""),
            "frame rate: \(format(info.frameRate)) (average \(format(info.averageFrameRate)))",
            "duration:   " + (info.duration.map { String(format: "%.3f s", $0) } ?? "unknown"),
            "frames:     " + (info.declaredFrameCount.map { "\($0) declared by the container" } ?? "not declared (use --count)"),
        ]
        if let decodedFrames {
            var line = "decoded:    \(decodedFrames) frames"
            if let decodeErrors, let readErrors, decodeErrors + readErrors > 0 { line += ", \(decodeErrors) decode errors, \(readErrors) read errors" }
            if let droppedFrames, droppedFrames > 0 { line += ", \(droppedFrames) frames dropped" }
            lines.append(line)
        }
        if info.audioStreamCount > 0 { lines.append("audio:      \(info.audioStreamCount) stream(s), ignored") }
        return lines.joined(separator: "\n")
    }

    private func format(_ rate: Rational) -> String {
        rate.isValid ? (rate.denominator == 1 ? "\(rate.numerator) fps" : String(format: "%@ = %.3f fps", rate.description, rate.value)) : "unknown"
    }
}
