import Foundation
internal import CFFmpeg
import SteerLensSupport

/// Everything that can go wrong reading or writing video and images.
public enum VideoError: SteerLensError, Equatable {
    /// The input path does not exist.
    case inputMissing(path: String)
    /// The input exists but cannot be opened (permissions, a directory, …).
    case inputUnreadable(path: String, reason: String)
    /// FFmpeg could not recognise the input as a container or image it can demux.
    case notAVideo(path: String, reason: String)
    /// The container holds no video stream (e.g. audio only).
    case noVideoStream(path: String)
    /// The video stream's codec has no decoder in this FFmpeg build.
    case unsupportedCodec(path: String, codec: String)
    /// The stream opened but not a single frame could be decoded.
    case noDecodableFrames(path: String, decodeErrors: Int)
    /// Frames were decoded, but none fell in the `--start`/`--duration` window (seconds): the clip ends
    /// before the start, or the window lies between two frames.
    case emptySelection(path: String, start: Double, duration: Double?, decodedFrames: Int)
    /// An FFmpeg call failed; carries the C function's name and FFmpeg's own message.
    case ffmpeg(function: String, code: Int32, reason: String)
    /// An output file could not be created.
    case cannotWrite(path: String, reason: String)
    /// Writing an output failed part-way (a full disk, an I/O error).
    case writeFailed(path: String, reason: String)
    /// A recorded dataset (DonkeyCar tub, image folder) has nothing SteerLens can read.
    case badDataset(path: String, reason: String)
    /// An option value is out of range (crop larger than the frame, zero-sized resize, …).
    case invalidOption(String)

    public var kind: FailureKind {
        switch self {
        case .inputMissing, .inputUnreadable: .missingInput
        case .notAVideo, .noVideoStream, .unsupportedCodec, .noDecodableFrames, .ffmpeg, .badDataset: .badInput
        case .cannotWrite: .cannotCreateOutput
        case .writeFailed: .ioError
        case .invalidOption, .emptySelection: .usage
        }
    }

    public var message: String {
        switch self {
        case .inputMissing(let path): "input '\(path)' does not exist"
        case .inputUnreadable(let path, let reason): "cannot open input '\(path)': \(reason)"
        case .notAVideo(let path, let reason): "'\(path)' is not a video or image FFmpeg can read: \(reason)"
        case .noVideoStream(let path): "'\(path)' has no video stream"
        case .unsupportedCodec(let path, let codec): "'\(path)' uses codec '\(codec)', which this FFmpeg build cannot decode"
        case .noDecodableFrames(let path, let errors): "no frame of '\(path)' could be decoded (\(errors) decode errors)"
        case .emptySelection(let path, let start, nil, let frames): "--start \(start) s is past the end of '\(path)' (\(frames) frames decoded, none from then on)"
        case .emptySelection(let path, let start, let duration?, let frames):
            "--start \(start) s --duration \(duration) s selects no frame of '\(path)' (\(frames) frames decoded, none in that window)"
        case .ffmpeg(let function, let code, let reason): "\(function) failed (\(code)): \(reason)"
        case .cannotWrite(let path, let reason), .writeFailed(let path, let reason): "cannot write '\(path)': \(reason)"
        case .badDataset(let path, let reason): "'\(path)' cannot be read as a dataset: \(reason)"
        case .invalidOption(let text): text
        }
    }

    public var hint: String {
        switch self {
        case .inputMissing: "check the path; image sequences are given as a pattern such as frames/%06d.png"
        case .inputUnreadable: "check that it is a readable file, not a directory, and its permissions"
        case .notAVideo: "pass a video file (MP4, MKV, MOV, AVI…), an image, or an image-sequence pattern; `ffprobe FILE` shows what FFmpeg sees"
        case .noVideoStream: "pass a file with a video track; files of audio or subtitles alone cannot be analysed"
        case .unsupportedCodec: "re-encode it, e.g. `ffmpeg -i IN -c:v libx264 OUT.mp4`"
        case .noDecodableFrames: "the stream is corrupt or truncated; re-encode or re-export the clip"
        case .emptySelection: "choose a --start within the clip and a --duration of a frame or more; `steerlens probe FILE` shows its duration and frame rate"
        case .ffmpeg: "the file may be corrupt; `ffprobe FILE` shows what FFmpeg sees"
        case .cannotWrite, .writeFailed: "choose an output location you can write to and check free space"
        case .badDataset: "a folder input is a DonkeyCar tub (manifest.json + catalogs, or meta.json + record_<n>.json) or a folder of images; see README, 'DonkeyCar'"
        case .invalidOption: "run with --help to see the accepted values"
        }
    }
}

/// FFmpeg's own message for an error code (av_strerror).
func ffmpegErrorString(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    return buffer.withUnsafeMutableBufferPointer { pointer in
        String(cString: steerlens_av_error_string(code, pointer.baseAddress, pointer.count))
    }
}

/// The one choke point for FFmpeg return codes: negative values become ``VideoError/ffmpeg(function:code:reason:)``.
@discardableResult
func check(_ code: Int32, _ function: String) throws -> Int32 {
    if code < 0 { throw VideoError.ffmpeg(function: function, code: code, reason: ffmpegErrorString(code)) }
    return code
}

extension VideoError {
    /// An FFmpeg allocator returned NULL.
    static func outOfMemory(in function: String) -> VideoError {
        .ffmpeg(function: function, code: averrorOutOfMemory, reason: ffmpegErrorString(averrorOutOfMemory))
    }
}

let averrorEAGAIN = steerlens_averror_eagain()
let averrorOutOfMemory = steerlens_averror(ENOMEM)
let averrorInvalidArgument = steerlens_averror(EINVAL)
let averrorNoSuchFile = steerlens_averror(ENOENT)
let averrorPermissionDenied = steerlens_averror(EACCES)
let averrorIO = steerlens_averror(EIO)
let averrorDecoderNotFound = steerlens_averror_decoder_not_found()
let averrorEOF = steerlens_averror_eof()
let noPTS = steerlens_av_nopts_value()
