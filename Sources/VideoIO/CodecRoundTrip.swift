import Foundation
internal import CFFmpeg

/// One RGB24 frame encoded and decoded again, in memory: the pixels a reader of the encoded file sees.
///
/// The encoders are configured as ``ImageEncoder`` (JPEG) and ``VideoWriter`` (H.264) configure them, and
/// the decoder and the conversion to RGB24 are ``FrameReader``'s, so the result is the same bytes as
/// writing the file and reading it back, without the file, the container or probing it.
public enum CodecRoundTrip {
    /// `pixels` (packed RGB24, `width × height`) through libavcodec's `mjpeg` at qscale `quality`
    /// (2 best … 31 worst) and back.
    public static func jpeg(_ pixels: [UInt8], width: Int, height: Int, quality: Int) throws -> [UInt8] {
        FFmpegLog.silence()
        let data = try ImageEncoder(format: .jpeg, jpegQuality: quality).encode(pixels, width: width, height: height)
        return try decode(AV_CODEC_ID_MJPEG, packets: [data], extradata: nil, width: width, height: height)
    }

    /// `pixels` (packed RGB24, `width × height`, both even) through libx264 (``VideoEncoding/h264(frameRate:crf:)``)
    /// as the only frame of a stream, an intra frame, and back.
    public static func h264(_ pixels: [UInt8], width: Int, height: Int, crf: Int) throws -> [UInt8] {
        FFmpegLog.silence()
        // Parameter sets in the extradata, as VideoWriter's MP4 files carry them. One thread: x264's frame
        // threads and lookahead thread cost more to start than a single intra frame takes to encode, and
        // they do not change it (no reference frames, no frames in flight for the rate control).
        let encoder = try VideoEncoding.h264(crf: crf).openEncoder(size: PixelSize(width: width, height: height), globalHeader: true, threads: 1)
        let input = try EncoderPicture(width: width, height: height, format: encoder.pointer.pointee.pix_fmt)
        try input.fill(from: pixels)
        input.picture.pointer.pointee.pts = 0
        try check(avcodec_send_frame(encoder.pointer, input.picture.pointer), "avcodec_send_frame")
        try check(avcodec_send_frame(encoder.pointer, nil), "avcodec_send_frame")
        let packet = try Packet()
        var packets: [Data] = []
        while true {
            let received = avcodec_receive_packet(encoder.pointer, packet.pointer)
            if received == averrorEOF { break }
            try check(received, "avcodec_receive_packet")
            if packet.pointer.pointee.size > 0 { packets.append(Data(bytes: packet.pointer.pointee.data, count: Int(packet.pointer.pointee.size))) }
            packet.unref()
        }
        let context = encoder.pointer.pointee
        let extradata = context.extradata.map { Data(bytes: $0, count: Int(context.extradata_size)) }
        return try decode(AV_CODEC_ID_H264, packets: packets, extradata: extradata, width: width, height: height)
    }

    /// Decodes `packets` on one decoder thread (as ``Recompression``'s single frames need) and returns
    /// the first frame as RGB24 at `width × height`.
    private static func decode(_ codecID: AVCodecID, packets: [Data], extradata: Data?, width: Int, height: Int) throws -> [UInt8] {
        guard let codec = avcodec_find_decoder(codecID) else {
            throw VideoError.unsupportedCodec(path: "(in memory)", codec: avcodec_get_name(codecID).map { String(cString: $0) } ?? "\(codecID)")
        }
        let decoder = try CodecContext(codec: codec)
        if let extradata { try attach(extradata, to: decoder.pointer) }
        decoder.pointer.pointee.thread_count = 1
        try check(avcodec_open2(decoder.pointer, codec, nil), "avcodec_open2")
        let packet = try Packet()
        for data in packets {
            // av_new_packet zeroes the padding that libavcodec's bitstream readers may read past the end.
            try check(av_new_packet(packet.pointer, Int32(data.count)), "av_new_packet")
            data.withUnsafeBytes { packet.pointer.pointee.data.update(from: $0.bindMemory(to: UInt8.self).baseAddress!, count: data.count) }
            let sent = avcodec_send_packet(decoder.pointer, packet.pointer)
            packet.unref()
            try check(sent, "avcodec_send_packet")
        }
        try check(avcodec_send_packet(decoder.pointer, nil), "avcodec_send_packet")
        let decoded = try AVFrameHandle()
        try check(avcodec_receive_frame(decoder.pointer, decoded.pointer), "avcodec_receive_frame")
        var pixels: [UInt8] = []
        try RGBConverter(width: width, height: height).convert(decoded.pointer, into: &pixels)
        return pixels
    }

    /// Copies `extradata` into a buffer libavcodec owns (freed with the context), with the zeroed
    /// padding its readers expect.
    private static func attach(_ extradata: Data, to context: UnsafeMutablePointer<AVCodecContext>) throws {
        guard let buffer = av_mallocz(extradata.count + Int(AV_INPUT_BUFFER_PADDING_SIZE))?.assumingMemoryBound(to: UInt8.self) else {
            throw VideoError.outOfMemory(in: "av_mallocz")
        }
        extradata.copyBytes(to: buffer, count: extradata.count)
        context.pointee.extradata = buffer
        context.pointee.extradata_size = Int32(extradata.count)
    }
}
