import Foundation
import SteerLensSupport
import VideoIO

/// Re-compression with the project's own FFmpeg encoders: the frame is encoded, the bytes decoded again.
///
/// - `jpeg:Q`: libavcodec's `mjpeg` (full-range YUV 4:2:0) at qscale Q (2 best … 31 worst, ffmpeg's `-q:v`).
/// - `h264:CRF`: libx264 (yuv420p, preset veryfast) at constant rate factor CRF (0 … 51) — each frame on
///   its own, an intra frame, as the worst frame of a stream after a scene cut.
///
/// The round trip goes through a private temporary folder that is removed afterwards.
public struct Recompression: FrameTransform {
    public enum Codec: String, Sendable { case jpeg, h264 }

    public let codec: Codec
    public let quality: Int

    public init(codec: Codec, quality: Int) { (self.codec, self.quality) = (codec, quality) }

    public var specification: String { "\(codec.rawValue):\(quality)" }

    public func apply(_ frame: Frame) throws -> Frame {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("steerlens-recompress-\(UUID().uuidString)")
        try during("creating a folder for \(specification)") {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let file: URL
        switch codec {
        case .jpeg:
            file = folder.appendingPathComponent("frame.jpg")
            try ImageEncoder(format: .jpeg, jpegQuality: quality).write(frame.pixels, width: frame.width, height: frame.height, to: file)
        case .h264:
            guard frame.width % 2 == 0, frame.height % 2 == 0 else {
                throw TransformError.badValue(specification, "H.264 in yuv420p needs an even frame size, the frame is \(frame.width)x\(frame.height)")
            }
            file = folder.appendingPathComponent("frame.mp4")
            let writer = try VideoWriter(url: file, size: PixelSize(width: frame.width, height: frame.height), encoding: .h264(crf: quality))
            try writer.write(frame.replacingPixels(frame.pixels))
            try writer.finish()
        }
        // One decoder thread: a single frame gains nothing from more, and starting them costs more than decoding it.
        let reader = try FrameReader(path: file.path, options: ReadOptions(decoderThreads: 1))
        guard let decoded = try reader.next(), decoded.width == frame.width, decoded.height == frame.height else {
            throw TransformError.badValue(specification, "the re-encoded frame did not decode to \(frame.width)x\(frame.height)")
        }
        return frame.replacingPixels(decoded.pixels)
    }
}
