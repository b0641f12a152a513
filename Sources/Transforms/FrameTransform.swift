import SteerLensSupport
import VideoIO

/// One image transformation of a full decoded frame, applied before the model's preprocessing.
///
/// Input and output are packed RGB24 ``Frame``s (`pixels[(y * width + x) * 3 + c]`); the index and time
/// are kept. Only ``CubicScale`` changes the size (DeepTest's `image_scale` enlarges the image).
/// Transforms are values: the same transform on the same frame gives the same bytes on every run
/// (the procedural ones draw from ``SeededRandom`` seeded by their parameters and the frame index).
public protocol FrameTransform: Sendable {
    /// The `--transform` spelling, `name:value` (e.g. `rotation:9`, `blur:gaussian5`, `flip`).
    var specification: String { get }
    /// The transformed frame.
    func apply(_ frame: Frame) throws -> Frame
    /// The size of the transformed frame for a frame of `width × height` (the input size except for
    /// ``CubicScale``).
    func outputSize(width: Int, height: Int) -> (width: Int, height: Int)
    /// Only the rows `rows` of the transformed frame (clamped to it), every column: a frame of the
    /// output width and `rows.count` rows holding the same bytes as those rows of ``apply(_:)``.
    /// What `stress` feeds a model whose preprocessing crops rows: the transforms with a local
    /// kernel compute only those rows (a fraction of the work); the others transform the whole frame.
    func apply(_ frame: Frame, rows: Range<Int>) throws -> Frame
}

extension FrameTransform {
    public func outputSize(width: Int, height: Int) -> (width: Int, height: Int) { (width, height) }

    public func apply(_ frame: Frame, rows: Range<Int>) throws -> Frame {
        try apply(frame).keepingRows(rows)
    }
}

/// A transform that computes any band of its output rows on its own (``FrameTransform/apply(_:rows:)``):
/// the whole frame is the band of all rows.
public protocol BandedTransform: FrameTransform {}

extension BandedTransform {
    public func apply(_ frame: Frame) throws -> Frame {
        try apply(frame, rows: 0..<outputSize(width: frame.width, height: frame.height).height)
    }
}

extension Frame {
    /// A frame of the same index and time with other pixels (`width × height × 3` bytes).
    func replacingPixels(_ pixels: [UInt8], width: Int? = nil, height: Int? = nil) -> Frame {
        Frame(index: index, time: time, width: width ?? self.width, height: height ?? self.height, pixels: pixels)
    }

    /// The rows `rows` (clamped to the frame) as a frame of the same width.
    func keepingRows(_ rows: Range<Int>) -> Frame {
        let kept = rows.clamped(to: 0..<height)
        if kept == 0..<height { return self }
        let rowLength = width * 3
        return replacingPixels(Array(pixels[(kept.lowerBound * rowLength)..<(kept.upperBound * rowLength)]), height: kept.count)
    }
}

/// Rounds a Float to the nearest integer, ties to even (OpenCV's `cvRound`), and saturates to 0…255
/// (`saturate_cast<uchar>`).
/// Adding and subtracting 2²³ rounds a Float in 0…2²³ to an integer ties-to-even in the FPU's default
/// mode, without the `rintf` call the baseline x86-64 target makes for `rounded(.toNearestOrEven)`.
@inline(__always)
func saturatedByte(_ value: Float) -> UInt8 {
    if !(value > 0) { return 0 }
    if value >= 255 { return 255 }
    return UInt8((value + 8_388_608) - 8_388_608)
}

/// `fmaf(a, b, c)`, `a·b + c` rounded once, as the vector loops' fused multiply-adds compute it, mostly
/// without the library call the baseline x86-64 target makes: the product of two Floats is exact in
/// Double, and the sum rounded to Double then to Float is the fused result unless that Double lies
/// exactly halfway between two Floats (its low 29 mantissa bits `1000…0`), where the second rounding may
/// go the other way; those rare sums, and sums near Float's subnormals or its overflow, take `fmaf`.
@inline(__always)
func fused(_ c: Float, _ a: Float, _ b: Float) -> Float {
    let sum = Double(a) * Double(b) + Double(c), magnitude = abs(sum)
    if sum.bitPattern & 0x1FFF_FFFF == 0x1000_0000 || (magnitude < 0x1p-125 && magnitude != 0) || magnitude >= 0x1p127 {
        return c.addingProduct(a, b)
    }
    return Float(sum)
}

/// OpenCV's `BORDER_REFLECT_101` (`BORDER_DEFAULT`): `gfedcb|abcdefgh|gfedcba`, for `0 ≤ |overshoot| < length`.
@inline(__always)
func reflect101(_ index: Int, _ length: Int) -> Int {
    if length == 1 { return 0 }
    var position = index
    while position < 0 || position >= length {
        position = position < 0 ? -position : 2 * (length - 1) - position
    }
    return position
}

/// A transform applied to every frame in turn (`--transform` given several times).
public struct TransformChain: FrameTransform {
    public let transforms: [any FrameTransform]

    public init(_ transforms: [any FrameTransform]) { self.transforms = transforms }

    public var specification: String { transforms.map(\.specification).joined(separator: "+") }

    public func apply(_ frame: Frame) throws -> Frame {
        try transforms.reduce(frame) { try $1.apply($0) }
    }

    public func outputSize(width: Int, height: Int) -> (width: Int, height: Int) {
        transforms.reduce((width, height)) { $1.outputSize(width: $0.width, height: $0.height) }
    }
}
