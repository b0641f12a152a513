import CVectorKernels
import Foundation
import SteerLensSupport
import VideoIO

/// `cv2.warpAffine(image, M, (cols, rows))` with its defaults: bilinear interpolation, constant black
/// border, output the size of the input.
///
/// `matrix` maps source to destination pixels, `[[m00, m01, m02], [m10, m11, m12]]` row-major, pixel
/// centres at integer coordinates. Like OpenCV 5 (`warp_kernels.simd.hpp`) it inverts the matrix in
/// Double, computes each source point in Float32 as `fma(Mi00, x, Float(y·Mi01 + Mi02))`, and
/// interpolates in Float32 with `p00 + α(p01 − p00)` per row, then between rows, rounding ties to even.
/// Taps outside the frame read 0. Parity with OpenCV 5.0 (`Tests/Fixtures/transforms`): exact for
/// translations; rotations and shears differ by at most 1 in under 0.1 % of the values (OpenCV's SIMD
/// lanes contract the arithmetic differently from this scalar loop).
public struct AffineWarp: Sendable {
    public let matrix: [Double]

    public init(matrix: [Double]) {
        precondition(matrix.count == 6, "an affine matrix has 6 entries")
        self.matrix = matrix
    }

    /// `cv2.invertAffineTransform`: the destination-to-source matrix.
    var inverse: [Double] {
        let m = matrix
        var determinant = m[0] * m[4] - m[1] * m[3]
        determinant = determinant != 0 ? 1 / determinant : 0
        let a11 = m[4] * determinant, a22 = m[0] * determinant
        let a12 = -m[1] * determinant, a21 = -m[3] * determinant
        return [a11, a12, -a11 * m[2] - a12 * m[5], a21, a22, -a21 * m[2] - a22 * m[5]]
    }

    /// `cv2.getRotationMatrix2D((cx, cy), degrees, 1)`: counter-clockwise for positive degrees.
    public static func rotation(degrees: Double, centerX: Double, centerY: Double) -> AffineWarp {
        let angle = degrees * Double.pi / 180
        let alpha = cos(angle), beta = sin(angle)
        return AffineWarp(matrix: [alpha, beta, (1 - alpha) * centerX - beta * centerY,
                                   -beta, alpha, beta * centerX + (1 - alpha) * centerY])
    }

    /// The warped frame, same size.
    public func apply(_ frame: Frame) -> Frame {
        apply(frame, rows: 0..<frame.height)
    }

    /// `(dx, dy)` when the warp moves every pixel by whole pixels (the inverse is `[[1, 0, −dx], [0, 1, −dy]]`
    /// exactly): then every interpolation weight is 0 and the warp is a copy (DeepTest's translations).
    var integerShift: (dx: Int, dy: Int)? {
        let m = matrix
        guard m[0] == 1, m[1] == 0, m[3] == 0, m[4] == 1, m[2] == m[2].rounded(), m[5] == m[5].rounded(),
              abs(m[2]) < 1e6, abs(m[5]) < 1e6 else { return nil }
        return (Int(m[2]), Int(m[5]))
    }

    /// Only the output rows `rows` (clamped to the frame): a frame of the input width and those rows,
    /// the same bytes as those rows of ``apply(_:)``.
    public func apply(_ frame: Frame, rows wanted: Range<Int>) -> Frame {
        apply(frame, rows: wanted, vectorized: VectorSupport.avx512)
    }

    /// ``apply(_:rows:)`` with the interior pixels 16 at a time in AVX-512 (`vectorized`), gathering a
    /// pixel's two taps of a row at once where the CPU has byte permutes (`byteShuffles`): the same bytes.
    func apply(_ frame: Frame, rows wanted: Range<Int>, vectorized: Bool, byteShuffles: Bool = VectorSupport.avx512vbmi) -> Frame {
        let width = frame.width, height = frame.height
        let rows = wanted.clamped(to: 0..<height)
        var output = [UInt8](repeating: 0, count: rows.count * width * 3)
        if let shift = integerShift {
            Self.shift(frame, by: shift, rows: rows, into: &output)
            return frame.replacingPixels(output, height: rows.count)
        }
        let mi = inverse
        let m0 = Float(mi[0]), m3 = Float(mi[3])
        frame.pixels.withUnsafeBufferPointer { sourceBuffer in
            output.withUnsafeMutableBufferPointer { destinationBuffer in
                let source = sourceBuffer.baseAddress!, destination = destinationBuffer.baseAddress!
                let stride = width * 3
                for y in rows {
                    let rowX = Float(Double(y) * mi[1] + mi[2]), rowY = Float(Double(y) * mi[4] + mi[5])
                    let outputRow = destination + (y - rows.lowerBound) * stride
                    /// One output pixel with every border case.
                    @inline(__always) func borderPixel(_ x: Int) {
                        let sourceX = fused(rowX, m0, Float(x)), sourceY = fused(rowY, m3, Float(x))
                        guard sourceX.isFinite, sourceY.isFinite, abs(sourceX) < 1e7, abs(sourceY) < 1e7 else { return }
                        var x0 = Int(sourceX), y0 = Int(sourceY)
                        if Float(x0) > sourceX { x0 -= 1 }
                        if Float(y0) > sourceY { y0 -= 1 }
                        if x0 < -1 || x0 >= width || y0 < -1 || y0 >= height { return }
                        let alpha = sourceX - Float(x0), beta = sourceY - Float(y0)
                        @inline(__always) func tap(_ x: Int, _ y: Int, _ channel: Int) -> Float {
                            (x >= 0 && x < width && y >= 0 && y < height) ? Float(source[(y * width + x) * 3 + channel]) : 0
                        }
                        let out = outputRow + x * 3
                        for channel in 0..<3 {
                            let p00 = tap(x0, y0, channel), p01 = tap(x0 + 1, y0, channel)
                            let p10 = tap(x0, y0 + 1, channel), p11 = tap(x0 + 1, y0 + 1, channel)
                            let upper = fused(p00, alpha, p01 - p00), lower = fused(p10, alpha, p11 - p10)
                            out[channel] = saturatedByte(fused(upper, beta, lower - upper))
                        }
                    }
                    let interior = Self.interiorColumns(rowX: rowX, rowY: rowY, m0: m0, m3: m3, width: width, height: height)
                    // Columns outside `covered` read nothing of the frame: they stay black.
                    let covered = Self.coveredColumns(rowX: rowX, rowY: rowY, m0: m0, m3: m3, width: width, height: height)
                    for x in covered.lowerBound..<max(covered.lowerBound, min(interior.lowerBound, covered.upperBound)) { borderPixel(x) }
                    /// One pixel of `interior`: all four taps inside (one pixel of margin on the computed
                    /// range), no checks, and the source point is ≥ 0, so truncation is the floor. The
                    /// arithmetic is the border path's: `fused` with integer differences exact in Double.
                    @inline(__always) func interiorPixel(_ x: Int) {
                        let sourceX = fused(rowX, m0, Float(x)), sourceY = fused(rowY, m3, Float(x))
                        let x0 = Int(sourceX), y0 = Int(sourceY)
                        let alpha = Double(sourceX - Float(x0)), beta = sourceY - Float(y0)
                        let top = source + y0 * stride + x0 * 3, bottom = top + stride, out = outputRow + x * 3
                        if beta == 0 {
                            // On a source row (shears): the lower row's weight is 0, `upper` is exact.
                            for channel in 0..<3 {
                                let p00 = Int32(top[channel]), p01 = Int32(top[channel + 3])
                                out[channel] = saturatedByte(Float(alpha * Double(p01 - p00) + Double(p00)))
                            }
                            return
                        }
                        for channel in 0..<3 {
                            let p00 = Int32(top[channel]), p01 = Int32(top[channel + 3])
                            let p10 = Int32(bottom[channel]), p11 = Int32(bottom[channel + 3])
                            let upper = Float(alpha * Double(p01 - p00) + Double(p00)), lower = Float(alpha * Double(p11 - p10) + Double(p10))
                            out[channel] = saturatedByte(fused(upper, beta, lower - upper))
                        }
                    }
                    // The interior columns the kernel writes, 16 at a time; the Swift loop does the others.
                    var kernelColumns = interior.lowerBound..<interior.lowerBound
                    if vectorized, interior.count >= 16, stride * height < Int(Int32.max) - stride {
                        // The byte-permute kernel's 8-byte reads end two bytes past the upper-right tap: it
                        // keeps that tap off the last column.
                        let columns = byteShuffles
                            ? Self.interiorColumns(rowX: rowX, rowY: rowY, m0: m0, m3: m3, width: width - 1, height: height).clamped(to: interior)
                            : interior
                        func blocks(from first: Int, _ count: Int) {
                            if byteShuffles {
                                _ = steerlens_warp_interior_vbmi(source, width, rowX, rowY, m0, m3, first, count, outputRow)
                            } else {
                                _ = steerlens_warp_interior_avx512(source, width, rowX, rowY, m0, m3, first, count, outputRow)
                            }
                        }
                        if columns.count >= 16 {
                            blocks(from: columns.lowerBound, columns.count / 16)
                            // The last pixels as one more block that ends with the columns (the few it
                            // computes again get the same bytes).
                            if columns.count % 16 != 0 { blocks(from: columns.upperBound - 16, 1) }
                            kernelColumns = columns
                        }
                    }
                    for x in interior.lowerBound..<kernelColumns.lowerBound { interiorPixel(x) }
                    for x in kernelColumns.upperBound..<interior.upperBound { interiorPixel(x) }
                    let right = max(interior.upperBound, interior.lowerBound, covered.lowerBound)
                    for x in right..<max(right, covered.upperBound) { borderPixel(x) }
                }
            }
        }
        return frame.replacingPixels(output, height: rows.count)
    }

    /// The output columns of a row whose source point `(rowX + m0·x, rowY + m3·x)` lies at least a pixel
    /// inside `[0, width − 1) × [0, height − 1)`: all four bilinear taps are in the frame there.
    static func interiorColumns(rowX: Float, rowY: Float, m0: Float, m3: Float, width: Int, height: Int) -> Range<Int> {
        var lower = 0.0, upper = Double(width - 1)
        for (start, slope, extent) in [(Double(rowX), Double(m0), Double(width - 1)), (Double(rowY), Double(m3), Double(height - 1))] {
            // 1 ≤ start + slope·x ≤ extent − 1
            if abs(slope) < 1e-9 {
                if !(start >= 1 && start <= extent - 1) { return 0..<0 }
                continue
            }
            let a = (1 - start) / slope, b = (extent - 1 - start) / slope
            lower = max(lower, min(a, b))
            upper = min(upper, max(a, b))
        }
        guard lower.isFinite, upper.isFinite, upper >= lower else { return 0..<0 }
        let first = Int(lower.rounded(.up)) + 1, last = Int(upper.rounded(.down)) - 1
        return first <= last ? first..<(last + 1) : 0..<0
    }

    /// The output columns of a row that may show some of the frame: every column outside has its source
    /// point `(rowX + m0·x, rowY + m3·x)` (`fused`, in Float) with a floor outside `[−1, width) × [−1, height)`,
    /// or not finite, so all four of its bilinear taps read 0 and it stays black. A superset: the bounds
    /// keep a pixel of margin in the source (far more than Float's rounding of the point) and are rounded
    /// outwards.
    static func coveredColumns(rowX: Float, rowY: Float, m0: Float, m3: Float, width: Int, height: Int) -> Range<Int> {
        var lower = 0.0, upper = Double(width - 1)
        for (start, slope, extent) in [(Double(rowX), Double(m0), Double(width)), (Double(rowY), Double(m3), Double(height))] {
            // −2 ≤ start + slope·x ≤ extent + 1
            guard start.isFinite, slope.isFinite else { return 0..<0 }
            if abs(slope) < 1e-9 {
                if !(start >= -2 && start <= extent + 1) { return 0..<0 }
                continue
            }
            let a = (-2 - start) / slope, b = (extent + 1 - start) / slope
            lower = max(lower, min(a, b))
            upper = min(upper, max(a, b))
        }
        guard lower.isFinite, upper.isFinite, upper >= lower else { return 0..<0 }
        let first = max(0, Int(lower.rounded(.down)) - 1), last = min(width - 1, Int(upper.rounded(.up)) + 1)
        return first <= last ? first..<(last + 1) : 0..<0
    }

    /// A whole-pixel shift: output `(x, y)` is source `(x − dx, y − dy)`, black outside (row copies).
    static func shift(_ frame: Frame, by shift: (dx: Int, dy: Int), rows: Range<Int>, into output: inout [UInt8]) {
        let width = frame.width, height = frame.height, stride = width * 3
        // Output columns whose source column lies inside the frame (none for a shift of the width or more).
        let first = max(0, shift.dx), end = min(width, width + shift.dx)
        guard first < end else { return }
        let columns = first..<end
        frame.pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                for y in rows {
                    let sourceY = y - shift.dy
                    guard sourceY >= 0 && sourceY < height else { continue }
                    let from = source.baseAddress! + sourceY * stride + (columns.lowerBound - shift.dx) * 3
                    let to = destination.baseAddress! + (y - rows.lowerBound) * stride + columns.lowerBound * 3
                    to.update(from: from, count: columns.count * 3)
                }
            }
        }
    }
}

/// DeepTest's `image_translation`: shift by (tx, ty) pixels, black where nothing comes in
/// (`translation:TX,TY`; DeepTest's grid (10p, 10p)).
public struct Translation: BandedTransform {
    public let dx: Double, dy: Double
    public init(dx: Double, dy: Double) { (self.dx, self.dy) = (dx, dy) }
    public var specification: String { "translation:\(TransformValue.format(dx)),\(TransformValue.format(dy))" }
    public func apply(_ frame: Frame, rows: Range<Int>) throws -> Frame { warp.apply(frame, rows: rows) }
    // DeepTest builds the matrix with np.float32.
    var warp: AffineWarp { AffineWarp(matrix: [1, 0, Double(Float(dx)), 0, 1, Double(Float(dy))]) }
}

/// DeepTest's `image_shear`: the affine matrix `[[1, −F, 0], [0, 1, 0]]` (`shear:F`; grid 0.1p).
public struct Shear: BandedTransform {
    public let factor: Double
    public init(factor: Double) { self.factor = factor }
    public var specification: String { "shear:\(TransformValue.format(factor))" }
    public func apply(_ frame: Frame, rows: Range<Int>) throws -> Frame { warp.apply(frame, rows: rows) }
    var warp: AffineWarp { AffineWarp(matrix: [1, Double(Float(-factor)), 0, 0, 1, 0]) }
}

/// DeepTest's `image_rotation`: `getRotationMatrix2D((cols/2, rows/2), DEG, 1)`, counter-clockwise
/// (`rotation:DEG`; grid 3p). `roll:DEG` is the same warp named for a camera mounted with a roll.
public struct Rotation: BandedTransform {
    public let degrees: Double
    public let name: String
    public init(degrees: Double, name: String = "rotation") { (self.degrees, self.name) = (degrees, name) }
    public var specification: String { "\(name):\(TransformValue.format(degrees))" }
    public func apply(_ frame: Frame, rows: Range<Int>) throws -> Frame { warp(frame).apply(frame, rows: rows) }
    func warp(_ frame: Frame) -> AffineWarp {
        AffineWarp.rotation(degrees: degrees, centerX: Double(frame.width) / 2, centerY: Double(frame.height) / 2)
    }
}

/// A camera pitched by a few pixels: the scene moves up (positive: the camera tilts down) and black
/// comes in at the bottom (`pitch:PX`, a vertical translation).
public struct PitchShift: BandedTransform {
    public let pixels: Double
    public init(pixels: Double) { self.pixels = pixels }
    public var specification: String { "pitch:\(TransformValue.format(pixels))" }
    public func apply(_ frame: Frame, rows: Range<Int>) throws -> Frame { AffineWarp(matrix: [1, 0, 0, 0, 1, -pixels]).apply(frame, rows: rows) }
}
