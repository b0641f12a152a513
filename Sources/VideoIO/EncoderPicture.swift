internal import CFFmpeg

/// An encoder's input picture: packed RGB24 frames converted into the encoder's pixel format with
/// libswscale (bicubic, accurate rounding, full chroma interpolation), in frames FFmpeg allocated.
///
/// Keeps its frames and converter for one size. Not thread-safe.
final class EncoderPicture {
    /// The converted picture, in the encoder's pixel format.
    let picture: AVFrameHandle
    /// Padded RGB24 copy of the input for libswscale, which reads whole SIMD blocks past a row's end.
    private let rgbSource: AVFrameHandle
    private let scaler: Scaler

    init(width: Int, height: Int, format: AVPixelFormat) throws {
        picture = try AVFrameHandle(width: width, height: height, format: format)
        rgbSource = try AVFrameHandle(width: width, height: height, format: AV_PIX_FMT_RGB24)
        scaler = try Scaler(sourceWidth: Int32(width), sourceHeight: Int32(height), sourceFormat: AV_PIX_FMT_RGB24.rawValue,
                            destinationWidth: Int32(width), destinationHeight: Int32(height), destinationFormat: format.rawValue,
                            flags: SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT)
    }

    /// Converts `pixels` (packed RGB24 of the picture's size) into ``picture``, first made writable (an
    /// encoder may still hold a reference to the previous frame).
    func fill(from pixels: [UInt8]) throws {
        try check(av_frame_make_writable(picture.pointer), "av_frame_make_writable")
        rgbSource.fillPackedRGB(from: pixels)
        try scaler.scale(rgbSource.pointer, into: picture)
    }
}
