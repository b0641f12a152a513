internal import CFFmpeg

/// Decoded frames of any pixel format and size to packed RGB24 at one size, with libswscale, the way
/// `ffmpeg -pix_fmt rgb24` converts them (the frame's own YUV matrix and range, BT.601 when untagged).
///
/// Keeps its converter while the decoded frames keep their format and size. Not thread-safe.
final class RGBConverter {
    /// libswscale flags: those of the `ffmpeg` command line's automatic conversion (its default
    /// `sws_flags` are `bicubic`); the interpolation only matters for chroma upsampling of formats
    /// without a direct converter (10-bit, 4:2:2/4:4:4 at some sizes) and for frames of another size.
    static let flags = SWS_BICUBIC

    let width: Int
    let height: Int
    private var scaler: Scaler?
    /// RGB24 at the target size, allocated by FFmpeg so libswscale may write whole SIMD blocks.
    private let rgb: AVFrameHandle

    init(width: Int, height: Int) throws {
        (self.width, self.height) = (width, height)
        rgb = try AVFrameHandle(width: width, height: height, format: AV_PIX_FMT_RGB24)
    }

    /// Converts `source` into `pixels` (`width × height × 3` bytes, no row padding; resized when its size
    /// differs). A frame of another size is scaled to the target size.
    func convert(_ source: UnsafePointer<AVFrame>, into pixels: inout [UInt8]) throws {
        if scaler?.matches(sourceWidth: source.pointee.width, sourceHeight: source.pointee.height, sourceFormat: source.pointee.format) != true {
            let converter = try Scaler(sourceWidth: source.pointee.width, sourceHeight: source.pointee.height, sourceFormat: source.pointee.format,
                                       destinationWidth: Int32(width), destinationHeight: Int32(height),
                                       destinationFormat: AV_PIX_FMT_RGB24.rawValue, flags: Self.flags)
            converter.adoptColorDetails(of: source)
            scaler = converter
        }
        try scaler!.scale(source, into: rgb)
        rgb.copyPackedRGB(into: &pixels)
    }
}
