import CVectorKernels
import SteerLensSupport
import VideoIO

/// DeepTest's `image_brightness` with its intent: `β` added to all three channels, saturating at 0
/// and 255 (`brightness:BETA`; grid 10p). Exact against `cv2.add(image, (β, β, β, 0))`.
public struct Brightness: BandedTransform {
    public let beta: Double
    public init(beta: Double) { self.beta = beta }
    public var specification: String { "brightness:\(TransformValue.format(beta))" }
    public func apply(_ frame: Frame, rows: Range<Int>) throws -> Frame {
        // cv2.add with a Scalar rounds the scalar to the image depth first.
        let offset = Int(beta.rounded(.toNearestOrEven))
        return frame.mappingBytes(rows: rows, through: (0..<256).map { UInt8(clamping: $0 + offset) })
    }
}

/// DeepTest's `image_contrast` with its intent: every channel multiplied by `α` in Float32, rounded
/// (ties to even) and saturated (`contrast:ALPHA`; grid 1 + 0.2p). Exact against
/// `cv2.multiply(image, (α, α, α, 0))` — not DeepTest's one-element array, which OpenCV reads as
/// `Scalar(α, 0, 0, 0)` and so zeroes two channels.
public struct Contrast: BandedTransform {
    public let alpha: Double
    public init(alpha: Double) { self.alpha = alpha }
    public var specification: String { "contrast:\(TransformValue.format(alpha))" }
    public func apply(_ frame: Frame, rows: Range<Int>) throws -> Frame {
        let factor = Float(alpha)
        return frame.mappingBytes(rows: rows, through: (0..<256).map { saturatedByte(Float($0) * factor) })
    }
}

/// Mirror image left to right (`cv2.flip(image, 1)`; `flip`): the metamorphic relation expects the
/// steering angle to change sign.
public struct HorizontalFlip: FrameTransform {
    public init() {}
    public var specification: String { "flip" }
    public func apply(_ frame: Frame) throws -> Frame {
        let width = frame.width
        var output = [UInt8](repeating: 0, count: frame.pixels.count)
        frame.pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                for y in 0..<frame.height {
                    let row = y * width * 3
                    for x in 0..<width {
                        let from = row + x * 3, to = row + (width - 1 - x) * 3
                        target[to] = source[from]; target[to + 1] = source[from + 1]; target[to + 2] = source[from + 2]
                    }
                }
            }
        }
        return frame.replacingPixels(output)
    }
}

extension Frame {
    /// The rows `rows` (clamped) with every byte looked up in `table` (256 entries); in AVX-512 when
    /// `vectorized`, by byte permutes where the CPU has them (`byteShuffles`), else by gathers (the same
    /// bytes).
    func mappingBytes(rows wanted: Range<Int>, through table: [UInt8], vectorized: Bool = VectorSupport.avx512,
                      byteShuffles: Bool = VectorSupport.avx512vbmi) -> Frame {
        let rows = wanted.clamped(to: 0..<height), rowLength = width * 3
        precondition(table.count == 256, "a byte table has 256 entries")
        let count = rows.count * rowLength, start = rows.lowerBound * rowLength
        guard count > 0 else { return replacingPixels([], height: 0) }
        // Every byte is written below.
        let output = [UInt8](unsafeUninitializedCapacity: count) { target, written in
            pixels.withUnsafeBufferPointer { source in
                table.withUnsafeBufferPointer { lookup in
                    if vectorized && byteShuffles {
                        steerlens_lookup_bytes_vbmi(source.baseAddress! + start, lookup.baseAddress!, target.baseAddress!, count)
                    } else if vectorized {
                        steerlens_lookup_bytes_avx512(source.baseAddress! + start, lookup.map { Int32($0) }, target.baseAddress!, count)
                    } else {
                        for index in 0..<count { target[index] = lookup[Int(source[start + index])] }
                    }
                }
            }
            written = count
        }
        return replacingPixels(output, height: rows.count)
    }
}
