internal import CFFmpeg

/// An `AVPacket` owned by Swift: allocated in `init`, freed in `deinit`.
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() throws {
        guard let packet = av_packet_alloc() else { throw VideoError.ffmpeg(function: "av_packet_alloc", code: -12, reason: "out of memory") }
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
        guard let frame = av_frame_alloc() else { throw VideoError.ffmpeg(function: "av_frame_alloc", code: -12, reason: "out of memory") }
        pointer = frame
    }

    /// An RGB24 (or other format) frame with its own pixel buffer of the given size.
    convenience init(width: Int32, height: Int32, format: AVPixelFormat) throws {
        try self.init()
        pointer.pointee.width = width
        pointer.pointee.height = height
        pointer.pointee.format = format.rawValue
        try check(av_frame_get_buffer(pointer, 0), "av_frame_get_buffer")
    }

    func unref() { av_frame_unref(pointer) }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&frame)
    }
}

/// An `AVCodecContext` owned by Swift.
final class CodecContext {
    let pointer: UnsafeMutablePointer<AVCodecContext>

    init(codec: UnsafePointer<AVCodec>) throws {
        guard let context = avcodec_alloc_context3(codec) else {
            throw VideoError.ffmpeg(function: "avcodec_alloc_context3", code: -12, reason: "out of memory")
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
            throw VideoError.ffmpeg(function: "sws_getContext", code: -22, reason: "cannot convert pixel format \(name) to the requested format")
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
        _ = sws_setColorspaceDetails(pointer, sourceTable, fullRange, destinationTable, 1, 0, 1 << 16, 1 << 16)
    }

    /// Converts all rows of `frame` into one packed destination plane (`stride` bytes per row).
    func scale(_ frame: UnsafePointer<AVFrame>, into destination: UnsafeMutablePointer<UInt8>, stride: Int) throws {
        var destinationPlanes: [UnsafeMutablePointer<UInt8>?] = [destination, nil, nil, nil]
        var destinationStrides: [Int32] = [Int32(stride), 0, 0, 0]
        let rows = withUnsafePointer(to: frame.pointee.data) { sourceData in
            withUnsafePointer(to: frame.pointee.linesize) { sourceStrides in
                sws_scale(pointer,
                          UnsafeRawPointer(sourceData).assumingMemoryBound(to: UnsafePointer<UInt8>?.self),
                          UnsafeRawPointer(sourceStrides).assumingMemoryBound(to: Int32.self),
                          0, frame.pointee.height, &destinationPlanes, &destinationStrides)
            }
        }
        try check(rows, "sws_scale")
    }

    /// Converts all rows of `frame` into the planes of `destination` (an allocated `AVFrame`).
    func scale(_ frame: UnsafePointer<AVFrame>, into destination: UnsafeMutablePointer<AVFrame>) throws {
        let rows = withUnsafePointer(to: frame.pointee.data) { sourceData in
            withUnsafePointer(to: frame.pointee.linesize) { sourceStrides in
                withUnsafePointer(to: destination.pointee.data) { destinationData in
                    withUnsafePointer(to: destination.pointee.linesize) { destinationStrides in
                        sws_scale(pointer,
                                  UnsafeRawPointer(sourceData).assumingMemoryBound(to: UnsafePointer<UInt8>?.self),
                                  UnsafeRawPointer(sourceStrides).assumingMemoryBound(to: Int32.self),
                                  0, frame.pointee.height,
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
