import Foundation

/// The result of `probe`, printable as text or JSON.
public struct ProbeReport: Encodable {
    public var info: VideoStreamInfo
    /// With `decodingEveryFrame`: the frames decoded, the errors skipped, and the frames the container
    /// declared but did not deliver.
    public var decodedFrames: Int?
    public var decodeErrors: Int?
    public var readErrors: Int?
    public var droppedFrames: Int?

    /// Opens `input` (video, image, image-sequence pattern); `decodingEveryFrame` also decodes the whole clip.
    /// - Throws: ``VideoError`` when it cannot be opened or, decoding, no frame decodes.
    public init(probing input: String, decodingEveryFrame: Bool) throws {
        let reader = try FrameSources.open(input)
        info = reader.info
        guard decodingEveryFrame else { return }
        var frame = Frame(index: 0, time: 0, width: 0, height: 0, pixels: [])
        while try reader.read(into: &frame) {}
        guard reader.decodedFrameCount > 0 else {
            throw reader.nothingDeliveredError(path: input)
        }
        decodedFrames = reader.decodedFrameCount
        decodeErrors = reader.decodeErrorCount
        readErrors = reader.readErrorCount
        if let declared = reader.info.declaredFrameCount { droppedFrames = max(declared - reader.decodedFrameCount, 0) }
    }

    /// One report, or an array of them, as pretty-printed JSON.
    public static func json<Value: Encodable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The report as `steerlens probe` prints it.
    public func text() -> String {
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
