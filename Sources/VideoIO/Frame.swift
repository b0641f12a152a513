/// One decoded video frame as packed RGB24.
///
/// Layout: `height` rows top to bottom, each `width` pixels of 3 bytes (R, G, B), no row padding:
/// the byte of channel `c` at column `x`, row `y` is `pixels[(y * width + x) * 3 + c]`.
public struct Frame: Sendable, Equatable {
    /// Zero-based position of the frame in the clip (counting every decoded frame from the start).
    public var index: Int
    /// Presentation time in seconds from the start of the stream.
    public var time: Double
    /// Width in pixels (after display rotation).
    public var width: Int
    /// Height in pixels (after display rotation).
    public var height: Int
    /// Packed RGB24 pixels, `width * height * 3` bytes.
    public var pixels: [UInt8]

    public init(index: Int, time: Double, width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGB24 frame \(width)x\(height) needs \(width * height * 3) bytes, got \(pixels.count)")
        self.index = index
        self.time = time
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The RGB value at column `x`, row `y`.
    public func pixel(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        let offset = (y * width + x) * 3
        return (pixels[offset], pixels[offset + 1], pixels[offset + 2])
    }
}
