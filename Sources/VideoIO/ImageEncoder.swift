import Foundation
internal import CFFmpeg
import SteerLensSupport

/// Still-image formats SteerLens writes.
public enum ImageFormat: String, Sendable, CaseIterable {
    /// Lossless PNG (RGB24, row filters and ``PNGDeflate`` as in ``PNGEncoder``).
    case png
    /// Baseline JPEG (libavcodec `mjpeg`, full-range YUV 4:2:0).
    case jpeg
}

/// How PNG image data is compressed: the speed/size trade-off of a PNG sequence.
public enum PNGDeflate: Sendable, Equatable {
    /// ``RunLengthDeflate``: Huffman codes and runs of a repeated byte only, 3.5–5× faster than libdeflate's
    /// level 1 for files about 17 % larger on camera frames (twice as large on flat synthetic ones).
    case runLength
    /// libdeflate at `level` (0 = stored, 1…12 = faster…smaller LZ77 + Huffman).
    case libdeflate(level: Int)

    /// SteerLens' `--png-compression` scale: 1 (the default) is ``runLength``, 0 and 2…9 are libdeflate's
    /// levels (0 = stored, 9 = smallest that SteerLens offers).
    public init(compressionLevel: Int) {
        self = compressionLevel == 1 ? .runLength : .libdeflate(level: compressionLevel)
    }
}

/// Encodes RGB24 frames into PNG files (see ``PNGEncoder``) or JPEG files (libavcodec).
///
/// Keeps one encoder per frame size, so writing a sequence of equal-sized frames reuses it. Not
/// thread-safe: use one encoder per thread.
public final class ImageEncoder {
    public let format: ImageFormat
    /// How PNG data is compressed (and so which row filter is used; see ``PNGEncoder``).
    public let pngDeflate: PNGDeflate
    /// JPEG quality scale (2 = best … 31 = worst), libavcodec's qscale.
    public let jpegQuality: Int
    private var encoder: CodecContext?
    private var encoderSize: PixelSize?
    private var input: EncoderPicture?
    private let packet: Packet
    private var png: PNGEncoder?

    /// `compressionLevel`: SteerLens' PNG scale 0…9 (``PNGDeflate/init(compressionLevel:)``).
    public convenience init(format: ImageFormat = .png, compressionLevel: Int = 1, jpegQuality: Int = 2) throws {
        try self.init(format: format, pngDeflate: PNGDeflate(compressionLevel: compressionLevel), jpegQuality: jpegQuality)
    }

    public init(format: ImageFormat, pngDeflate: PNGDeflate, jpegQuality: Int = 2) throws {
        self.format = format
        self.pngDeflate = pngDeflate
        self.jpegQuality = jpegQuality
        packet = try Packet()
        FFmpegLog.silence()
    }

    /// The encoded file bytes of `pixels` (packed RGB24, `width × height`).
    public func encode(_ pixels: [UInt8], width: Int, height: Int) throws -> Data {
        precondition(pixels.count == width * height * 3, "RGB24 image \(width)x\(height) needs \(width * height * 3) bytes")
        if format == .png {
            if png == nil { png = try PNGEncoder(deflate: pngDeflate) }
            return png!.encode(pixels, width: width, height: height)
        }
        let context = try encoderContext(width: width, height: height)
        try input!.fill(from: pixels)
        try check(avcodec_send_frame(context, input!.picture.pointer), "avcodec_send_frame")
        var data = Data()
        while true {
            let received = avcodec_receive_packet(context, packet.pointer)
            if received == averrorEAGAIN || received == averrorEOF { break }
            try check(received, "avcodec_receive_packet")
            data.append(packet.pointer.pointee.data, count: Int(packet.pointer.pointee.size))
            packet.unref()
        }
        // The MJPEG encoder emits one packet per frame and keeps no state between frames.
        return data
    }

    /// Encodes `frame` and writes it atomically to `url`.
    public func write(_ frame: Frame, to url: URL) throws {
        try write(frame.pixels, width: frame.width, height: frame.height, to: url)
    }

    /// Encodes RGB24 `pixels` and writes them atomically to `url` (temporary file + rename).
    public func write(_ pixels: [UInt8], width: Int, height: Int, to url: URL) throws {
        let data = try encode(pixels, width: width, height: height)
        try AtomicFile.write(data, to: url)
    }

    private func encoderContext(width: Int, height: Int) throws -> UnsafeMutablePointer<AVCodecContext> {
        let size = PixelSize(width: width, height: height)
        if let encoder, encoderSize == size { return encoder.pointer }
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG) else { throw VideoError.cannotWrite(path: "", reason: "this FFmpeg build has no \(format.rawValue) encoder") }
        let context = try CodecContext(codec: codec)
        context.pointer.pointee.width = Int32(width)
        context.pointer.pointee.height = Int32(height)
        context.pointer.pointee.time_base = AVRational(num: 1, den: 25)
        context.pointer.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
        context.pointer.pointee.flags |= AV_CODEC_FLAG_QSCALE
        context.pointer.pointee.global_quality = Int32(jpegQuality) * FF_QP2LAMBDA
        context.pointer.pointee.qmin = Int32(jpegQuality)
        context.pointer.pointee.qmax = Int32(jpegQuality)
        try check(avcodec_open2(context.pointer, codec, nil), "avcodec_open2(\(format.rawValue))")
        input = try EncoderPicture(width: width, height: height, format: AV_PIX_FMT_YUVJ420P)
        encoder = context
        encoderSize = size
        return context.pointer
    }
}
