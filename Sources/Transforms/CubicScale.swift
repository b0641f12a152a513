import Foundation
import VideoIO

/// DeepTest's `image_scale`: `cv2.resize(image, None, fx=S, fy=S, interpolation=cv2.INTER_CUBIC)` — the
/// frame grows to `round(width·S) × round(height·S)` and the model's preprocessing (crop, resize) sees
/// the larger frame (`scale:S`; DeepTest's grid 1 + 0.5p).
///
/// Bicubic with A = −0.75, taps clamped at the edges (OpenCV's `resizeGeneric`), coefficients rounded to
/// 11 fractional bits (`INTER_RESIZE_COEF_BITS`), both passes in integers, rounding half up at 22 bits.
/// Parity with OpenCV 5.0: within 1 on every value (OpenCV's vector path rounds some coefficients
/// differently; exact for S = 2), see `Tests/Fixtures/transforms`.
public struct CubicScale: FrameTransform {
    public let factor: Double

    public init(factor: Double) { self.factor = factor }

    public var specification: String { "scale:\(TransformValue.format(factor))" }

    /// Source taps (clamped) and integer weights (sum ≈ 2048) for each output position.
    static func taps(output: Int, input: Int, factor: Double) -> (index: [Int], weight: [Int]) {
        var index = [Int](repeating: 0, count: output * 4), weight = [Int](repeating: 0, count: output * 4)
        let inverse = 1 / factor
        for position in 0..<output {
            let mapped = Float((Double(position) + 0.5) * inverse - 0.5)
            let start = Int(mapped.rounded(.down))
            let f = mapped - Float(start)
            let a: Float = -0.75
            var c = SIMD4<Float>()
            c[0] = ((a * (f + 1) - 5 * a) * (f + 1) + 8 * a) * (f + 1) - 4 * a
            c[1] = ((a + 2) * f - (a + 3)) * f * f + 1
            c[2] = ((a + 2) * (1 - f) - (a + 3)) * (1 - f) * (1 - f) + 1
            c[3] = 1 - c[0] - c[1] - c[2]
            for k in 0..<4 {
                index[position * 4 + k] = min(max(start - 1 + k, 0), input - 1)
                weight[position * 4 + k] = Int((c[k] * 2048).rounded(.toNearestOrEven))
            }
        }
        return (index, weight)
    }

    public func apply(_ frame: Frame) throws -> Frame {
        let size = outputSize(width: frame.width, height: frame.height)
        return try apply(frame, rows: 0..<size.height)
    }

    /// The output frame size for a frame of `width × height`.
    public func outputSize(width: Int, height: Int) -> (width: Int, height: Int) {
        (Int((Double(width) * factor).rounded(.toNearestOrEven)), Int((Double(height) * factor).rounded(.toNearestOrEven)))
    }

    /// Only the output rows `rows` (clamped) of the scaled frame, every column: what a model whose crop
    /// keeps only those rows sees is the same as from ``apply(_:)``, at a fraction of the work.
    public func apply(_ frame: Frame, rows wanted: Range<Int>) throws -> Frame {
        let width = frame.width, height = frame.height
        let (outputWidth, outputHeight) = outputSize(width: width, height: height)
        guard outputWidth > 0, outputHeight > 0 else { throw TransformError.badValue(specification, "scales the frame to nothing") }
        let columns = Self.taps(output: outputWidth, input: width, factor: factor)
        let rows = Self.taps(output: outputHeight, input: height, factor: factor)
        let outputRows = wanted.clamped(to: 0..<outputHeight)
        // The source rows the wanted output rows read.
        let sourceRows = outputRows.isEmpty ? 0..<0
            : rows.index[(outputRows.lowerBound * 4)..<(outputRows.upperBound * 4)].min()!..<(rows.index[(outputRows.lowerBound * 4)..<(outputRows.upperBound * 4)].max()! + 1)
        // Horizontal pass: every source row at the output width, weights × 2048.
        var horizontal = [Int32](repeating: 0, count: sourceRows.count * outputWidth * 3)
        frame.pixels.withUnsafeBufferPointer { source in
            horizontal.withUnsafeMutableBufferPointer { target in
                for y in sourceRows {
                    let row = y * width * 3, out = (y - sourceRows.lowerBound) * outputWidth * 3
                    for x in 0..<outputWidth {
                        let t = x * 4
                        let i0 = row + columns.index[t] * 3, i1 = row + columns.index[t + 1] * 3
                        let i2 = row + columns.index[t + 2] * 3, i3 = row + columns.index[t + 3] * 3
                        let w0 = Int32(columns.weight[t]), w1 = Int32(columns.weight[t + 1])
                        let w2 = Int32(columns.weight[t + 2]), w3 = Int32(columns.weight[t + 3])
                        for c in 0..<3 {
                            target[out + x * 3 + c] = Int32(source[i0 + c]) * w0 + Int32(source[i1 + c]) * w1
                                + Int32(source[i2 + c]) * w2 + Int32(source[i3 + c]) * w3
                        }
                    }
                }
            }
        }
        // Vertical pass: four horizontal rows per output row, weights × 2048, then >> 22 rounding half up.
        let rowLength = outputWidth * 3
        var output = [UInt8](repeating: 0, count: outputRows.count * rowLength)
        // Int32 throughout: |Σ| ≤ 255 · (Σ|wx|) · (Σ|wy|) ≈ 255 · 2600² < 2³¹, and Int32 lanes vectorise.
        horizontal.withUnsafeBufferPointer { sourceBuffer in
            output.withUnsafeMutableBufferPointer { targetBuffer in
                // `horizontal` starts at source row `sourceRows.lowerBound`.
                let source = sourceBuffer.baseAddress!, target = targetBuffer.baseAddress!, first = sourceRows.lowerBound
                for y in outputRows {
                    let t = y * 4
                    let r0 = source + (rows.index[t] - first) * rowLength, r1 = source + (rows.index[t + 1] - first) * rowLength
                    let r2 = source + (rows.index[t + 2] - first) * rowLength, r3 = source + (rows.index[t + 3] - first) * rowLength
                    let w0 = Int32(rows.weight[t]), w1 = Int32(rows.weight[t + 1]), w2 = Int32(rows.weight[t + 2]), w3 = Int32(rows.weight[t + 3])
                    let out = target + (y - outputRows.lowerBound) * rowLength
                    for i in 0..<rowLength {
                        let sum = r0[i] &* w0 &+ r1[i] &* w1 &+ r2[i] &* w2 &+ r3[i] &* w3
                        let value = (sum &+ (1 << 21)) >> 22
                        out[i] = UInt8(truncatingIfNeeded: min(max(value, 0), 255))
                    }
                }
            }
        }
        return frame.replacingPixels(output, width: outputWidth, height: outputRows.count)
    }
}
