internal import CFFmpeg

/// An `AVPacket` owned by Swift: allocated in `init`, freed in `deinit`.
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() throws {
        guard let packet = av_packet_alloc() else { throw VideoError.outOfMemory(in: "av_packet_alloc") }
        pointer = packet
    }

    /// Drops the packet's payload so it can be reused.
    func unref() { av_packet_unref(pointer) }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&packet)
    }
}

/// An `AVFrame` owned by Swift: allocated in `init`, freed in `deinit`.
final class AVFrameHandle {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() throws {
        guard let frame = av_frame_alloc() else { throw VideoError.outOfMemory(in: "av_frame_alloc") }
        pointer = frame
    }

    /// A frame with its own pixel planes, allocated by FFmpeg.
    ///
    /// Every buffer that libswscale or an encoder writes into (or reads from) is made here, never by
    /// Swift: `av_frame_get_buffer(…, 0)` aligns each row (`linesize`) for the CPU's widest SIMD
    /// stores and pads the planes, as FFmpeg's SIMD code assumes. libswscale's x86 YUV→RGB24 path,
    /// for one, converts rows in 8-pixel blocks and writes past `3 × width` bytes: into a tight
    /// Swift array that overflowed the heap on widths such as 200 or 426, and where the row had no
    /// room it left the last columns unconverted (black) instead.
    convenience init(width: Int, height: Int, format: AVPixelFormat) throws {
        try self.init()
        pointer.pointee.width = Int32(width)
        pointer.pointee.height = Int32(height)
        pointer.pointee.format = format.rawValue
        try check(av_frame_get_buffer(pointer, 0), "av_frame_get_buffer")
        // Zero everything, padding included: SIMD readers (libswscale's RGB input, encoders working in
        // 16×16 blocks) look past the last column, and what they find must not be heap garbage.
        withUnsafeBytes(of: pointer.pointee.buf) { references in
            for reference in references.bindMemory(to: UnsafeMutablePointer<AVBufferRef>?.self) {
                guard let buffer = reference?.pointee else { continue }
                buffer.data.initialize(repeating: 0, count: Int(buffer.size))
            }
        }
    }

    var width: Int { Int(pointer.pointee.width) }
    var height: Int { Int(pointer.pointee.height) }

    /// Copies plane 0 of a packed RGB24 frame into `pixels`, `width × height × 3` bytes without row
    /// padding (the ``Frame`` layout); `pixels` is resized when its size differs.
    func copyPackedRGB(into pixels: inout [UInt8]) {
        precondition(pointer.pointee.format == AV_PIX_FMT_RGB24.rawValue, "copyPackedRGB needs an RGB24 frame")
        let rowBytes = width * 3, stride = Int(pointer.pointee.linesize.0)
        precondition(stride >= rowBytes, "RGB24 row stride \(stride) is shorter than a row of \(rowBytes) bytes")
        if pixels.count != rowBytes * height { pixels = [UInt8](repeating: 0, count: rowBytes * height) }
        let plane = pointer.pointee.data.0!
        pixels.withUnsafeMutableBufferPointer { destination in
            for row in 0..<height {
                (destination.baseAddress! + row * rowBytes).update(from: plane + row * stride, count: rowBytes)
            }
        }
    }

    /// Fills plane 0 of a packed RGB24 frame from `pixels` (`width × height × 3` bytes, no row padding).
    func fillPackedRGB(from pixels: [UInt8]) {
        precondition(pointer.pointee.format == AV_PIX_FMT_RGB24.rawValue, "fillPackedRGB needs an RGB24 frame")
        let rowBytes = width * 3, stride = Int(pointer.pointee.linesize.0)
        precondition(pixels.count == rowBytes * height, "RGB24 image \(width)x\(height) needs \(rowBytes * height) bytes, got \(pixels.count)")
        precondition(stride >= rowBytes, "RGB24 row stride \(stride) is shorter than a row of \(rowBytes) bytes")
        let plane = pointer.pointee.data.0!
        pixels.withUnsafeBufferPointer { source in
            for row in 0..<height {
                (plane + row * stride).update(from: source.baseAddress! + row * rowBytes, count: rowBytes)
            }
        }
    }

    func unref() { av_frame_unref(pointer) }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&frame)
    }
}

/// An opened input (`AVFormatContext`) owned by Swift, closed in `deinit`.
///
/// A class of its own so that an initialiser that throws after opening (an audio-only file, a codec
/// that will not open) still closes the input: Swift runs no `deinit` for a partly initialised
/// object, but it does release the properties that were already set.
final class InputContext {
    private(set) var pointer: UnsafeMutablePointer<AVFormatContext>?

    /// Opens `path` with `avformat_open_input` and demuxer `options` (e.g. image2's `start_number`,
    /// `framerate`); a negative return code becomes `openError(code)`.
    init(path: String, options: [String: String] = [:], openError: (Int32) -> VideoError) throws {
        var dictionary: OpaquePointer?
        defer { av_dict_free(&dictionary) }
        for (key, value) in options.sorted(by: { $0.key < $1.key }) {
            try check(av_dict_set(&dictionary, key, value, 0), "av_dict_set")
        }
        let result = avformat_open_input(&pointer, path, nil, &dictionary)
        guard result >= 0, pointer != nil else { throw openError(result) }
    }

    deinit { avformat_close_input(&pointer) }
}

/// An `AVCodecContext` owned by Swift.
final class CodecContext {
    let pointer: UnsafeMutablePointer<AVCodecContext>

    init(codec: UnsafePointer<AVCodec>) throws {
        guard let context = avcodec_alloc_context3(codec) else {
            throw VideoError.outOfMemory(in: "avcodec_alloc_context3")
        }
        pointer = context
    }

    deinit {
        var context: UnsafeMutablePointer<AVCodecContext>? = pointer
        avcodec_free_context(&context)
    }
}

/// A `SwsContext` (libswscale converter) owned by Swift, cached for one source/destination geometry.
final class Scaler {
    let pointer: OpaquePointer
    let source: (width: Int32, height: Int32, format: Int32)
    let destination: (width: Int32, height: Int32, format: Int32)

    init(sourceWidth: Int32, sourceHeight: Int32, sourceFormat: Int32,
         destinationWidth: Int32, destinationHeight: Int32, destinationFormat: Int32, flags: Int32) throws {
        guard let context = sws_getContext(sourceWidth, sourceHeight, AVPixelFormat(rawValue: sourceFormat),
                                           destinationWidth, destinationHeight, AVPixelFormat(rawValue: destinationFormat),
                                           flags, nil, nil, nil) else {
            let name = av_get_pix_fmt_name(AVPixelFormat(rawValue: sourceFormat)).map { String(cString: $0) } ?? "\(sourceFormat)"
            throw VideoError.ffmpeg(function: "sws_getContext", code: averrorInvalidArgument, reason: "cannot convert pixel format \(name) to the requested format")
        }
        pointer = context
        source = (sourceWidth, sourceHeight, sourceFormat)
        destination = (destinationWidth, destinationHeight, destinationFormat)
    }

    func matches(sourceWidth: Int32, sourceHeight: Int32, sourceFormat: Int32) -> Bool {
        source.width == sourceWidth && source.height == sourceHeight && source.format == sourceFormat
    }

    /// Sets the YUV→RGB matrix and range from the frame's own tags (BT.601 when untagged, like `ffmpeg`).
    func adoptColorDetails(of frame: UnsafePointer<AVFrame>) {
        let sourceTable = sws_getCoefficients(Int32(frame.pointee.colorspace.rawValue))
        let destinationTable = sws_getCoefficients(SWS_CS_DEFAULT)
        let fullRange: Int32 = frame.pointee.color_range == AVCOL_RANGE_JPEG ? 1 : 0
        // -1 means this conversion has no YUV→RGB matrix to set (RGB, gray or palette sources): the
        // converter's defaults are then already right, so there is nothing to adopt.
        let result = sws_setColorspaceDetails(pointer, sourceTable, fullRange, destinationTable, 1, 0, 1 << 16, 1 << 16)
        assert(result >= 0 || result == -1, "sws_setColorspaceDetails returned \(result)")
    }

    /// Converts all rows of `source` into `destination`, a frame FFmpeg allocated (see
    /// ``AVFrameHandle/init(width:height:format:)``): libswscale only ever writes into FFmpeg's own,
    /// aligned and padded planes. Both frames must have the geometry this scaler was made for.
    func scale(_ source: UnsafePointer<AVFrame>, into destination: AVFrameHandle) throws {
        precondition(matches(sourceWidth: source.pointee.width, sourceHeight: source.pointee.height, sourceFormat: source.pointee.format),
                     "source frame does not match the scaler")
        precondition(destination.pointer.pointee.width == self.destination.width && destination.pointer.pointee.height == self.destination.height
                     && destination.pointer.pointee.format == self.destination.format, "destination frame does not match the scaler")
        let target = destination.pointer
        let rows = withUnsafePointer(to: source.pointee.data) { sourceData in
            withUnsafePointer(to: source.pointee.linesize) { sourceStrides in
                withUnsafePointer(to: target.pointee.data) { destinationData in
                    withUnsafePointer(to: target.pointee.linesize) { destinationStrides in
                        sws_scale(pointer,
                                  UnsafeRawPointer(sourceData).assumingMemoryBound(to: UnsafePointer<UInt8>?.self),
                                  UnsafeRawPointer(sourceStrides).assumingMemoryBound(to: Int32.self),
                                  0, source.pointee.height,
                                  UnsafeRawPointer(destinationData).assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self),
                                  UnsafeRawPointer(destinationStrides).assumingMemoryBound(to: Int32.self))
                    }
                }
            }
        }
        try check(rows, "sws_scale")
    }

    deinit { sws_freeContext(pointer) }
}
