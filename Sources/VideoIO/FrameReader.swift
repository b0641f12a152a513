import Foundation
import SteerLensSupport
internal import CFFmpeg

/// Which frames of a clip to deliver.
public struct ReadOptions: Sendable, Equatable {
    /// First presentation time to deliver, in seconds (the reader seeks, then decodes to the exact frame).
    public var start: Double = 0
    /// How many seconds to deliver from `start`; `nil` = to the end.
    public var duration: Double?
    /// Deliver every N-th frame of the selected range (1 = all).
    public var every: Int = 1
    /// Stop after this many delivered frames; `nil` = no limit.
    public var maxFrames: Int?
    /// Decoder threads; 0 lets libavcodec pick one per core.
    public var decoderThreads: Int = 0
    /// Nice levels below the opening thread's at which libavcodec's decoder threads run (0: the same), and
    /// the thread a pipeline decodes on ahead of compute-bound work (Analysis' `BatchPrefetcher`): such a
    /// pipeline sets ``ThreadPriority/backgroundIncrement``.
    public var decoderNiceIncrement: Int32 = 0
    /// Frame rate of inputs that do not record one (`--fps`): image sequences and folders, DonkeyCar
    /// tubs without timestamps, driving logs; `nil` = their default (20 for tubs, else 30).
    public var framesPerSecond: Double?

    public init(start: Double = 0, duration: Double? = nil, every: Int = 1, maxFrames: Int? = nil, decoderThreads: Int = 0,
                decoderNiceIncrement: Int32 = 0, framesPerSecond: Double? = nil) {
        self.start = start
        self.duration = duration
        self.every = every
        self.maxFrames = maxFrames
        self.decoderThreads = decoderThreads
        self.decoderNiceIncrement = decoderNiceIncrement
        self.framesPerSecond = framesPerSecond
    }

    /// - Throws: ``VideoError/invalidOption(_:)`` for values out of range.
    public func validate() throws {
        guard every >= 1 else { throw VideoError.invalidOption("--every must be at least 1, got \(every)") }
        guard start >= 0 else { throw VideoError.invalidOption("--start must not be negative, got \(start)") }
        if let duration, duration <= 0 { throw VideoError.invalidOption("--duration must be positive, got \(duration)") }
        if let maxFrames, maxFrames < 1 { throw VideoError.invalidOption("--max-frames must be at least 1, got \(maxFrames)") }
        if let framesPerSecond, !(framesPerSecond > 0 && framesPerSecond <= 1000) {
            throw VideoError.invalidOption("--fps must be above 0 and at most 1000, got \(framesPerSecond)")
        }
    }
}

/// Streams the frames of any input FFmpeg can demux (video files, still images, `%06d.png` image
/// sequences) as RGB24, one at a time, in constant memory.
///
/// Picks the best video stream and ignores audio. Frames are delivered upright (display rotation
/// applied). Corrupt packets do not stop decoding: they are counted in ``decodeErrorCount`` and the
/// reader goes on with the next decodable frame.
public final class FrameReader: FrameSource {
    /// What the container and stream declare.
    public let info: VideoStreamInfo
    /// The selection this reader applies.
    public let options: ReadOptions
    /// Packets or frames the decoder rejected so far.
    public private(set) var decodeErrorCount = 0
    /// Container read errors skipped so far (damaged data between packets).
    public private(set) var readErrorCount = 0
    /// Frames decoded so far, including those skipped by `start`/`every`.
    public private(set) var decodedFrameCount = 0
    /// Frames delivered so far.
    public private(set) var deliveredFrameCount = 0
    /// For an image-sequence pattern: its frame rate and first number (see ``ImageSequence``).
    public let timing: String?

    private let input: InputContext
    private var formatContext: UnsafeMutablePointer<AVFormatContext>? { input.pointer }
    private let decoder: CodecContext
    private let packet: Packet
    private let decoded: AVFrameHandle
    /// To RGB24 at the declared coded size.
    private let converter: RGBConverter
    private var upright = [UInt8]()
    private let streamIndex: Int32
    private let timeBase: Double
    private var streamStart: Int64?
    private var lastTimestamp: Int64?
    private var flushing = false
    private var finished = false
    private var seeked = false
    private var nextIndex: Int?
    private var selectedCount = 0

    /// Opens `path` (a file or an image-sequence pattern such as `frames/%06d.png`).
    /// - Throws: ``VideoError`` with `.missingInput` or `.badInput` kinds for missing, unreadable or
    ///   non-video inputs.
    public init(path: String, options: ReadOptions = ReadOptions()) throws {
        try options.validate()
        FFmpegLog.silence()
        try Self.checkReadable(path)
        self.options = options

        let demuxerOptions = try ImageSequence.demuxerOptions(for: path, framesPerSecond: options.framesPerSecond)
        timing = ImageSequence.timing(of: demuxerOptions, requested: options.framesPerSecond)
        input = try InputContext(path: path, options: demuxerOptions) { Self.openError(path: path, code: $0) }
        let context = input.pointer!
        packet = try Packet()
        decoded = try AVFrameHandle()

        let infoResult = avformat_find_stream_info(context, nil)
        if infoResult < 0 { throw VideoError.notAVideo(path: path, reason: ffmpegErrorString(infoResult)) }
        let (index, codec) = try Self.bestVideoStream(in: context, path: path)
        streamIndex = index
        let stream = context.pointee.streams[Int(index)]!
        timeBase = av_q2d(stream.pointee.time_base)

        decoder = try CodecContext(codec: codec)
        try check(avcodec_parameters_to_context(decoder.pointer, stream.pointee.codecpar), "avcodec_parameters_to_context")
        decoder.pointer.pointee.thread_count = Int32(options.decoderThreads)
        decoder.pointer.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
        decoder.pointer.pointee.pkt_timebase = stream.pointee.time_base
        // The decoder threads start here and keep the priority of the thread that opens the codec.
        let codecOpen = try ThreadPriority.run(loweredBy: options.decoderNiceIncrement) { [decoder] in avcodec_open2(decoder.pointer, codec, nil) }
        if codecOpen < 0 {
            throw VideoError.unsupportedCodec(path: path, codec: String(cString: codec.pointee.name) + " (\(ffmpegErrorString(codecOpen)))")
        }
        info = Self.describe(context: context, stream: stream, index: index, decoder: decoder.pointer, path: path)
        try Self.checkFrameSize(info)
        converter = try RGBConverter(width: info.width, height: info.height)
        if stream.pointee.start_time != noPTS { streamStart = stream.pointee.start_time }
        if options.start > 0 { seek(to: options.start, stream: stream) }
    }

    /// Decodes the next selected frame into `frame`, reusing its pixel storage when the size allows.
    /// - Returns: `false` at the end of the selection (then `frame` is unchanged).
    public func read(into frame: inout Frame) throws -> Bool {
        if let maxFrames = options.maxFrames, deliveredFrameCount >= maxFrames { return false }
        while try decodeNextFrame() {
            let (index, time) = position(of: decoded.pointer)
            decoded.unref()
            let tolerance = 0.5 / max(info.framesPerSecond, 1)
            if time < options.start - tolerance { continue }
            if let duration = options.duration, time >= options.start + duration - tolerance { finished = true; return false }
            defer { selectedCount += 1 }
            guard selectedCount % options.every == 0 else { continue }
            frame.index = index
            frame.time = time
            frame.width = info.displayWidth
            frame.height = info.displayHeight
            swap(&frame.pixels, &upright)
            deliveredFrameCount += 1
            return true
        }
        return false
    }

    // MARK: Decoding

    /// Decodes until `decoded` holds the next frame, converted into `upright`; `false` at end of stream.
    private func decodeNextFrame() throws -> Bool {
        guard !finished, let formatContext else { return false }
        var consecutiveErrors = 0
        while true {
            let received = avcodec_receive_frame(decoder.pointer, decoded.pointer)
            if received == 0 {
                decodedFrameCount += 1
                try convertDecodedFrame()
                return true
            }
            if received == averrorEOF { finished = true; return false }
            if received != averrorEAGAIN {
                decodeErrorCount += 1
                consecutiveErrors += 1
                if consecutiveErrors > 64 { finished = true; return false }
                continue
            }
            if flushing { finished = true; return false }
            let read = av_read_frame(formatContext, packet.pointer)
            if read < 0 {
                if read != averrorEOF && !(read == averrorIO && formatContext.pointee.pb?.pointee.eof_reached != 0) {
                    readErrorCount += 1
                    consecutiveErrors += 1
                    if consecutiveErrors <= 64 && formatContext.pointee.pb?.pointee.eof_reached == 0 { continue }
                }
                flushing = true
                // Enter draining mode; AVERROR_EOF (already draining) is the only failure and harmless.
                let drained = avcodec_send_packet(decoder.pointer, nil)
                if drained < 0 && drained != averrorEOF { decodeErrorCount += 1 }
                continue
            }
            defer { packet.unref() }
            guard packet.pointer.pointee.stream_index == streamIndex else { continue }
            let sent = avcodec_send_packet(decoder.pointer, packet.pointer)
            if sent < 0 && sent != averrorEAGAIN {
                decodeErrorCount += 1
                consecutiveErrors += 1
            }
        }
    }

    /// Frame number and time in seconds of a decoded frame.
    private func position(of frame: UnsafeMutablePointer<AVFrame>) -> (index: Int, time: Double) {
        var timestamp = frame.pointee.best_effort_timestamp
        if timestamp == noPTS {
            let step = info.framesPerSecond > 0 ? Int64((1 / info.framesPerSecond / timeBase).rounded()) : 1
            timestamp = (lastTimestamp ?? -step) + step
        }
        lastTimestamp = timestamp
        if streamStart == nil { streamStart = timestamp }
        let time = Double(timestamp - streamStart!) * timeBase
        let index: Int
        if let nextIndex {
            index = nextIndex
        } else {
            index = seeked ? Int((time * info.framesPerSecond).rounded()) : 0
        }
        nextIndex = index + 1
        return (index, time)
    }

    /// Converts `decoded` to RGB24 at the stream's declared coded size, then applies display
    /// rotation into `upright`. A frame whose size differs from the declared one (a stream that
    /// changes resolution, or a crafted one) is scaled to it, so every delivered frame has the
    /// geometry ``info`` states.
    private func convertDecodedFrame() throws {
        let source = decoded.pointer
        guard source.pointee.width > 0, source.pointee.height > 0 else { throw VideoError.noDecodableFrames(path: info.path, decodeErrors: decodeErrorCount) }
        if info.rotation == 0 {
            try converter.convert(source, into: &upright)
        } else {
            var coded = [UInt8]()
            try converter.convert(source, into: &coded)
            upright = Rotation.rotate(coded, width: info.width, height: info.height,
                                      clockwiseQuarterTurns: Rotation.quarterTurns(forDisplayRotation: info.rotation))
        }
    }

    private func seek(to seconds: Double, stream: UnsafeMutablePointer<AVStream>) {
        guard let formatContext else { return }
        // A start beyond any timestamp the stream can hold (`--start 1e18`) is not sought: reading skips to the end.
        let ticks = (seconds / timeBase).rounded(.down)
        guard ticks.isFinite, abs(ticks) < 0x1p62 else { return }
        let (target, overflow) = Int64(ticks).addingReportingOverflow(streamStart ?? 0)
        guard !overflow else { return }
        if av_seek_frame(formatContext, streamIndex, target, AVSEEK_FLAG_BACKWARD) >= 0 {
            avcodec_flush_buffers(decoder.pointer)
            seeked = true
        }
        // A failed seek (e.g. an unseekable image sequence) is harmless: frames before `start` are skipped.
    }

    // MARK: Opening

    private static func checkReadable(_ path: String) throws {
        let isPattern = path.contains("%")
        var isDirectory: ObjCBool = false
        if isPattern {
            let directory = PathText.parent(of: path)
            if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) { throw VideoError.inputMissing(path: path) }
            return
        }
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw VideoError.inputMissing(path: path) }
        if isDirectory.boolValue { throw VideoError.inputUnreadable(path: path, reason: "it is a directory") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw VideoError.inputUnreadable(path: path, reason: "permission denied") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size == 0 { throw VideoError.notAVideo(path: path, reason: "the file is empty") }
    }

    /// Largest frame accepted: 16384 pixels a side and 2^27 pixels in all (an RGB24 frame of 384 MiB;
    /// 8K UHD is 2^25). A header that declares more is damaged or hostile. Also the largest size a
    /// preprocessing resizes to.
    public static let maximumSide = 16_384, maximumPixelCount = 1 << 27

    private static func checkFrameSize(_ info: VideoStreamInfo) throws {
        guard info.width > 0, info.height > 0 else {
            throw VideoError.notAVideo(path: info.path, reason: "the video stream declares no frame size (\(info.width)x\(info.height))")
        }
        guard PixelSize(width: info.width, height: info.height).isReadable else {
            throw VideoError.notAVideo(path: info.path, reason: "the video stream declares frames of \(info.width)x\(info.height), larger than SteerLens accepts (\(maximumSide) a side, \(maximumPixelCount) pixels)")
        }
    }

    private static func openError(path: String, code: Int32) -> VideoError {
        if code == averrorNoSuchFile { return .inputMissing(path: path) }
        if code == averrorPermissionDenied { return .inputUnreadable(path: path, reason: "permission denied") }
        return .notAVideo(path: path, reason: ffmpegErrorString(code))
    }

    private static func bestVideoStream(in context: UnsafeMutablePointer<AVFormatContext>, path: String) throws -> (Int32, UnsafePointer<AVCodec>) {
        var hasVideo = false
        for index in 0..<Int(context.pointee.nb_streams) {
            let stream = context.pointee.streams[index]!
            guard stream.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO,
                  stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0 else { continue }
            hasVideo = true
        }
        guard hasVideo else { throw VideoError.noVideoStream(path: path) }
        var codec: UnsafePointer<AVCodec>?
        let index = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)
        if index == averrorDecoderNotFound || (index >= 0 && codec == nil) {
            let stream = context.pointee.streams[Int(max(index, 0))]!
            let name = avcodec_get_name(stream.pointee.codecpar.pointee.codec_id).map { String(cString: $0) } ?? "unknown"
            throw VideoError.unsupportedCodec(path: path, codec: name)
        }
        guard index >= 0, let codec else { throw VideoError.noVideoStream(path: path) }
        return (index, codec)
    }

    private static func describe(context: UnsafeMutablePointer<AVFormatContext>, stream: UnsafeMutablePointer<AVStream>, index: Int32,
                                 decoder: UnsafeMutablePointer<AVCodecContext>, path: String) -> VideoStreamInfo {
        let parameters = stream.pointee.codecpar.pointee
        let rotation = Rotation.displayRotation(of: stream)
        let swapsAxes = Rotation.quarterTurns(forDisplayRotation: rotation) % 2 == 1
        let width = Int(parameters.width), height = Int(parameters.height)
        var duration: Double?
        if stream.pointee.duration != noPTS && stream.pointee.duration > 0 {
            duration = Double(stream.pointee.duration) * av_q2d(stream.pointee.time_base)
        } else if context.pointee.duration != noPTS && context.pointee.duration > 0 {
            duration = Double(context.pointee.duration) / Double(steerlens_av_time_base())
        }
        let audioCount = (0..<Int(context.pointee.nb_streams)).filter {
            context.pointee.streams[$0]!.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_AUDIO
        }.count
        let pixelFormat = av_get_pix_fmt_name(AVPixelFormat(rawValue: parameters.format)).map { String(cString: $0) } ?? "unknown"
        return VideoStreamInfo(
            path: path,
            container: String(cString: context.pointee.iformat.pointee.name),
            containerLongName: context.pointee.iformat.pointee.long_name.map { String(cString: $0) } ?? "",
            codec: String(cString: decoder.pointee.codec.pointee.name),
            pixelFormat: pixelFormat,
            streamIndex: Int(index),
            width: width, height: height, rotation: rotation,
            displayWidth: swapsAxes ? height : width, displayHeight: swapsAxes ? width : height,
            frameRate: Rational(Int(stream.pointee.r_frame_rate.num), Int(stream.pointee.r_frame_rate.den)),
            averageFrameRate: Rational(Int(stream.pointee.avg_frame_rate.num), Int(stream.pointee.avg_frame_rate.den)),
            duration: duration,
            declaredFrameCount: stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil,
            audioStreamCount: audioCount)
    }
}

/// Process-wide FFmpeg logging: quiet by default, because SteerLens reports problems itself.
public enum FFmpegLog {
    /// Silences libav* messages on stderr (decode warnings are counted instead), unless the
    /// environment sets `STEERLENS_FFMPEG_LOG=1` for debugging.
    public static func silence() {
        if getenv("STEERLENS_FFMPEG_LOG") != nil { return showWarnings() }
        av_log_set_level(AV_LOG_QUIET)
    }
    /// Lets FFmpeg print its warnings and errors (for `--verbose`).
    public static func showWarnings() { av_log_set_level(AV_LOG_WARNING) }
}
