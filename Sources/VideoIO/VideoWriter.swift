import Foundation
internal import CFFmpeg
import SteerLensSupport

/// How a ``VideoWriter`` encodes: encoder, pixel format, rate and options.
public struct VideoEncoding: Sendable {
    /// libavcodec encoder name: `libx264` (H.264), `libx265` (H.265), `mpeg4`, `ffv1`, `png`, …
    public var encoder: String
    /// Encoder pixel format, e.g. `yuv420p`; `nil` picks the encoder's first supported format.
    public var pixelFormat: String?
    /// Nominal frame rate; with ``variableFrameRate`` frame times come from `Frame.time` instead.
    public var frameRate: Rational
    /// Use each frame's own `time` as its timestamp (millisecond time base), for VFR output.
    public var variableFrameRate: Bool
    /// Display rotation to record in the container (degrees counter-clockwise, as `ffprobe` prints).
    public var rotation: Int
    /// Private encoder options, e.g. `["crf": "23", "preset": "veryfast"]`.
    public var options: [String: String]

    public init(encoder: String = "libx264", pixelFormat: String? = "yuv420p", frameRate: Rational = Rational(30, 1),
                variableFrameRate: Bool = false, rotation: Int = 0, options: [String: String] = ["preset": "veryfast", "crf": "20"]) {
        self.encoder = encoder
        self.pixelFormat = pixelFormat
        self.frameRate = frameRate
        self.variableFrameRate = variableFrameRate
        self.rotation = rotation
        self.options = options
    }

    /// H.264 in yuv420p, the format every browser plays.
    public static func h264(frameRate: Rational = Rational(30, 1), crf: Int = 20) -> VideoEncoding {
        VideoEncoding(frameRate: frameRate, options: ["preset": "veryfast", "crf": "\(crf)"])
    }
}

extension VideoEncoding {
    /// An opened encoder for frames of `size`: the encoder, pixel format, time base (the frame rate's, or
    /// milliseconds for ``variableFrameRate``) and options of this encoding. `globalHeader`: parameter sets
    /// in the codec's extradata (as MP4 needs) instead of in-band. `threads`: 0 lets libavcodec pick.
    func openEncoder(size: PixelSize, globalHeader: Bool, threads: Int = 0) throws -> CodecContext {
        guard let codec = avcodec_find_encoder_by_name(encoder) else {
            throw VideoError.invalidOption("this FFmpeg build has no encoder '\(encoder)'")
        }
        let context = try CodecContext(codec: codec)
        let codecContext = context.pointer
        codecContext.pointee.width = Int32(size.width)
        codecContext.pointee.height = Int32(size.height)
        codecContext.pointee.pix_fmt = pixelFormat.map { av_get_pix_fmt($0) } ?? codec.pointee.pix_fmts?.pointee ?? AV_PIX_FMT_YUV420P
        codecContext.pointee.time_base = variableFrameRate ? AVRational(num: 1, den: 1000)
                                                           : AVRational(num: Int32(frameRate.denominator), den: Int32(frameRate.numerator))
        codecContext.pointee.framerate = AVRational(num: Int32(frameRate.numerator), den: Int32(frameRate.denominator))
        codecContext.pointee.thread_count = Int32(threads)
        if globalHeader { codecContext.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        var dictionary: OpaquePointer?
        defer { av_dict_free(&dictionary) }
        for (key, value) in options.sorted(by: { $0.key < $1.key }) { av_dict_set(&dictionary, key, value, 0) }
        try check(avcodec_open2(codecContext, codec, &dictionary), "avcodec_open2(\(encoder))")
        return context
    }
}

/// Encodes RGB24 frames into a video file (container chosen from the file extension: `.mp4`, `.mkv`,
/// `.avi`, `.mov`).
///
/// Writes to a temporary file beside the destination and renames it into place in ``finish()``, so a
/// failed or abandoned write never leaves a file that looks complete.
public final class VideoWriter {
    public let url: URL
    public let size: PixelSize
    private let temporaryURL: URL
    private var formatContext: UnsafeMutablePointer<AVFormatContext>?
    private let encoder: CodecContext
    private let stream: UnsafeMutablePointer<AVStream>
    private let input: EncoderPicture
    private let packet: Packet
    private let encoding: VideoEncoding
    private var frameNumber: Int64 = 0
    private var finished = false

    public init(url: URL, size: PixelSize, encoding: VideoEncoding = .h264()) throws {
        FFmpegLog.silence()
        self.url = url
        self.size = size
        self.encoding = encoding
        temporaryURL = AtomicFile.temporaryURL(besides: url)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw VideoError.cannotWrite(path: url.path, reason: "cannot create its directory")
        }
        guard let outputFormat = av_guess_format(nil, url.path, nil) else {
            throw VideoError.invalidOption("no container for the extension of '\(url.lastPathComponent)'; use .mp4, .mkv, .avi or .mov")
        }
        var context: UnsafeMutablePointer<AVFormatContext>?
        try check(avformat_alloc_output_context2(&context, outputFormat, nil, temporaryURL.path), "avformat_alloc_output_context2")
        formatContext = context
        packet = try Packet()
        encoder = try encoding.openEncoder(size: size, globalHeader: context!.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0)
        guard let newStream = avformat_new_stream(context, nil) else { throw VideoError.cannotWrite(path: url.path, reason: "cannot add a stream") }
        stream = newStream
        try check(avcodec_parameters_from_context(stream.pointee.codecpar, encoder.pointer), "avcodec_parameters_from_context")
        stream.pointee.time_base = encoder.pointer.pointee.time_base
        stream.pointee.avg_frame_rate = encoder.pointer.pointee.framerate
        if encoding.rotation != 0 { try Self.recordRotation(encoding.rotation, on: stream) }
        input = try EncoderPicture(width: size.width, height: size.height, format: encoder.pointer.pointee.pix_fmt)

        if context!.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
            let opened = avio_open(&context!.pointee.pb, temporaryURL.path, AVIO_FLAG_WRITE)
            if opened < 0 { throw VideoError.cannotWrite(path: url.path, reason: ffmpegErrorString(opened)) }
        }
        try check(avformat_write_header(context, nil), "avformat_write_header")
    }

    deinit {
        if let formatContext {
            if formatContext.pointee.pb != nil { avio_closep(&formatContext.pointee.pb) }
            avformat_free_context(formatContext)
        }
        if !finished { try? FileManager.default.removeItem(at: temporaryURL) }
    }

    /// Encodes one RGB24 frame of the writer's size.
    public func write(_ frame: Frame) throws {
        precondition(frame.width == size.width && frame.height == size.height, "frame \(frame.width)x\(frame.height) does not match video \(size)")
        try input.fill(from: frame.pixels)
        let picture = input.picture
        picture.pointer.pointee.pts = encoding.variableFrameRate ? Int64((frame.time * 1000).rounded()) : frameNumber
        frameNumber += 1
        try check(avcodec_send_frame(encoder.pointer, picture.pointer), "avcodec_send_frame")
        try drainPackets()
    }

    /// Flushes the encoder, writes the container trailer and moves the file into place.
    public func finish() throws {
        guard !finished, let formatContext else { return }
        try check(avcodec_send_frame(encoder.pointer, nil), "avcodec_send_frame")
        try drainPackets()
        try checkWrite(av_write_trailer(formatContext))
        if formatContext.pointee.pb != nil { try checkWrite(avio_closep(&formatContext.pointee.pb)) }
        try AtomicFile.commit(temporaryURL, to: url)
        finished = true
    }

    private func drainPackets() throws {
        while true {
            let received = avcodec_receive_packet(encoder.pointer, packet.pointer)
            if received == averrorEAGAIN || received == averrorEOF { return }
            try check(received, "avcodec_receive_packet")
            av_packet_rescale_ts(packet.pointer, encoder.pointer.pointee.time_base, stream.pointee.time_base)
            packet.pointer.pointee.stream_index = stream.pointee.index
            try checkWrite(av_interleaved_write_frame(formatContext, packet.pointer))
        }
    }

    /// A failed write into the file (ENOSPC, EIO…) is an I/O error of this output, not a bad input.
    private func checkWrite(_ code: Int32) throws {
        if code < 0 { throw VideoError.writeFailed(path: url.path, reason: ffmpegErrorString(code)) }
    }

    private static func recordRotation(_ degrees: Int, on stream: UnsafeMutablePointer<AVStream>) throws {
        guard let data = av_stream_new_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, 9 * 4) else {
            throw VideoError.outOfMemory(in: "av_stream_new_side_data")
        }
        // av_display_rotation_set takes clockwise degrees; `degrees` is counter-clockwise like ffprobe's.
        data.withMemoryRebound(to: Int32.self, capacity: 9) { av_display_rotation_set($0, Double(-degrees)) }
    }
}
