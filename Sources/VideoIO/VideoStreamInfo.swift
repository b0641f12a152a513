/// What a clip's container and its chosen video stream declare, as `ffprobe` would report them.
public struct VideoStreamInfo: Sendable, Codable, Equatable {
    /// The input as given (a file path or an image-sequence pattern).
    public var path: String
    /// Demuxer short name(s), e.g. `mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, `image2`.
    public var container: String
    /// Demuxer long name, e.g. `QuickTime / MOV`.
    public var containerLongName: String
    /// Decoder name of the video stream, e.g. `h264`, `hevc`, `png`.
    public var codec: String
    /// Pixel format the decoder produces, e.g. `yuv420p`.
    public var pixelFormat: String
    /// Index of the chosen video stream in the container.
    public var streamIndex: Int
    /// Coded width and height in pixels, before display rotation (what `ffprobe` prints as width/height).
    public var width: Int
    public var height: Int
    /// Display rotation from the stream's display matrix, in degrees counter-clockwise as `ffprobe`
    /// prints it (e.g. -90 for a phone held upright); 0 when absent. Frames are delivered rotated.
    public var rotation: Int
    /// Size of the delivered (rotated) frames.
    public var displayWidth: Int
    public var displayHeight: Int
    /// The stream's real base frame rate (`r_frame_rate`), e.g. `30000/1001`.
    public var frameRate: Rational
    /// Average frame rate over the stream (`avg_frame_rate`); differs from ``frameRate`` in VFR clips.
    public var averageFrameRate: Rational
    /// Duration in seconds, if the container declares one.
    public var duration: Double?
    /// Frame count the container declares (`nb_frames`), if any; not always exact: `probe --count` decodes.
    public var declaredFrameCount: Int?
    /// Number of audio streams (ignored by SteerLens, reported for completeness).
    public var audioStreamCount: Int

    /// The frame rate used to reason about time: the average rate when known, else the base rate.
    public var framesPerSecond: Double {
        averageFrameRate.isValid ? averageFrameRate.value : frameRate.value
    }
}

/// A rational number as FFmpeg stores rates and time bases.
public struct Rational: Sendable, Codable, Equatable, CustomStringConvertible {
    public var numerator: Int
    public var denominator: Int

    public init(_ numerator: Int, _ denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }

    /// `false` for FFmpeg's "unknown" 0/0 or 0/1.
    public var isValid: Bool { numerator > 0 && denominator > 0 }
    public var value: Double { isValid ? Double(numerator) / Double(denominator) : 0 }
    /// `ffprobe` notation, e.g. `30000/1001`.
    public var description: String { "\(numerator)/\(denominator)" }
}
