import Foundation
import SteerLensSupport
import VideoIO

/// Re-compression with the project's own FFmpeg encoders: the frame is encoded, the bytes decoded again
/// (``CodecRoundTrip``, in memory).
///
/// - `jpeg:Q`: libavcodec's `mjpeg` (full-range YUV 4:2:0) at qscale Q (2 best … 31 worst, ffmpeg's `-q:v`).
/// - `h264:CRF`: libx264 (yuv420p, preset veryfast) at constant rate factor CRF (0 … 51) — each frame on
///   its own, an intra frame, as the worst frame of a stream after a scene cut.
public struct Recompression: FrameTransform {
    public enum Codec: String, Sendable { case jpeg, h264 }

    public let codec: Codec
    public let quality: Int

    public init(codec: Codec, quality: Int) { (self.codec, self.quality) = (codec, quality) }

    public var specification: String { "\(codec.rawValue):\(quality)" }

    public func apply(_ frame: Frame) throws -> Frame {
        switch codec {
        case .jpeg:
            return frame.replacingPixels(try CodecRoundTrip.jpeg(frame.pixels, width: frame.width, height: frame.height, quality: quality))
        case .h264:
            guard frame.width % 2 == 0, frame.height % 2 == 0 else {
                throw TransformError.badValue(specification, "H.264 in yuv420p needs an even frame size, the frame is \(frame.width)x\(frame.height)")
            }
            return frame.replacingPixels(try CodecRoundTrip.h264(frame.pixels, width: frame.width, height: frame.height, crf: quality))
        }
    }
}
