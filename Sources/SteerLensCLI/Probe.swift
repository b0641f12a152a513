import ArgumentParser
import Foundation
import VideoIO

/// `steerlens probe`: what a clip is, as SteerLens will read it.
struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a clip's container, codec, size, frame rate, duration and frame count.",
        discussion: "The input can be a video file, a still image, or an image-sequence pattern such as frames/%06d.png."
    )

    @Argument(help: "Video file, image, or image-sequence pattern.")
    var input: String

    @Flag(help: "Decode every frame to report the exact frame count and decode errors.")
    var count = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        try reportingFailures("probe") {
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
            try StandardOutput.line(json ? try report.json() : report.text())
        }
    }
}

/// The result of `probe`, printable as text or JSON.
struct ProbeReport: Encodable {
    var info: VideoStreamInfo
    var decodedFrames: Int?
    var decodeErrors: Int?
    var readErrors: Int?
    var droppedFrames: Int?

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
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
