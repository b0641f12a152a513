import CVectorKernels
import Foundation
import SteerLensSupport
import VideoIO

/// DeepTest's `image_scale`: `cv2.resize(image, None, fx=S, fy=S, interpolation=cv2.INTER_CUBIC)` — the
/// frame grows to `round(width·S) × round(height·S)` and the model's preprocessing (crop, resize) sees
/// the larger frame (`scale:S`; DeepTest's grid 1 + 0.5p).
///
/// Bicubic with A = −0.75, taps clamped at the edges (OpenCV's `resizeGeneric`), coefficients rounded to
/// 11 fractional bits (`INTER_RESIZE_COEF_BITS`), the horizontal pass in integers, the vertical pass in
/// Float as OpenCV's vector path does. Parity with OpenCV 5.0: within 1 on every value (OpenCV fuses the
/// multiply-adds), see `Tests/Fixtures/transforms`.
public struct CubicScale: BandedTransform {
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

    /// The output frame size for a frame of `width × height`.
    public func outputSize(width: Int, height: Int) -> (width: Int, height: Int) {
        (Int((Double(width) * factor).rounded(.toNearestOrEven)), Int((Double(height) * factor).rounded(.toNearestOrEven)))
    }

    /// Only the output rows `rows` (clamped) of the scaled frame, every column: what a model whose crop
    /// keeps only those rows sees is the same as from ``apply(_:)``, at a fraction of the work.
    public func apply(_ frame: Frame, rows wanted: Range<Int>) throws -> Frame {
        try apply(frame, rows: wanted, vectorized: VectorSupport.avx512)
    }

    /// ``apply(_:rows:)`` with the horizontal pass in AVX-512 (`vectorized`, the same bytes).
    func apply(_ frame: Frame, rows wanted: Range<Int>, vectorized: Bool) throws -> Frame {
        let width = frame.width, height = frame.height
        let (outputWidth, outputHeight) = outputSize(width: width, height: height)
        guard outputWidth > 0, outputHeight > 0 else { throw TransformError.badValue(specification, "scales the frame to nothing") }
        let columns = Self.taps(output: outputWidth, input: width, factor: factor)
        let rows = Self.taps(output: outputHeight, input: height, factor: factor)
        let outputRows = wanted.clamped(to: 0..<outputHeight)
        // The source rows the wanted output rows read.
        let sourceRows = Self.sourceRows(read: outputRows, rowTaps: rows.index)
        // Horizontal pass: every source row the wanted rows read, at the output width.
        let rowLength = outputWidth * 3
        let horizontal = Self.horizontalPass(frame, sourceRows: sourceRows, columns: 0..<outputWidth, taps: columns, vectorized: vectorized)
        // Vertical pass as OpenCV's vector path (`VResizeCubicVec_32s8u`) computes it: in Float with the
        // row weights / 2²², `S0·b0 + (S1·b1 + (S2·b2 + S3·b3))`, rounded ties to even and saturated.
        let unit: Float = 1 / Float(1 << 22)
        let output = [UInt8](unsafeUninitializedCapacity: outputRows.count * rowLength) { targetBuffer, count in
            horizontal.withUnsafeBufferPointer { sourceBuffer in
                // `horizontal` starts at source row `sourceRows.lowerBound`.
                let source = sourceBuffer.baseAddress!, target = targetBuffer.baseAddress!, first = sourceRows.lowerBound
                for y in outputRows {
                    let t = y * 4
                    let r0 = source + (rows.index[t] - first) * rowLength, r1 = source + (rows.index[t + 1] - first) * rowLength
                    let r2 = source + (rows.index[t + 2] - first) * rowLength, r3 = source + (rows.index[t + 3] - first) * rowLength
                    let b0 = Float(rows.weight[t]) * unit, b1 = Float(rows.weight[t + 1]) * unit
                    let b2 = Float(rows.weight[t + 2]) * unit, b3 = Float(rows.weight[t + 3]) * unit
                    let out = target + (y - outputRows.lowerBound) * rowLength
                    for i in 0..<rowLength {
                        let value = r0[i] * b0 + (r1[i] * b1 + (r2[i] * b2 + r3[i] * b3))
                        // Clamped to 0…255, + 2²³ rounds to an integer (ties to even) in the low mantissa bits.
                        let clamped = Swift.min(Swift.max(value, 0), 255)
                        out[i] = UInt8(truncatingIfNeeded: (clamped + 8_388_608).bitPattern)
                    }
                }
            }
            count = outputRows.count * rowLength
        }
        return frame.replacingPixels(output, width: outputWidth, height: outputRows.count)
    }
}

extension CubicScale {
    /// The model input of the scaled frame without holding it: `preprocess` asks for the vertical pass of
    /// each of its output rows (``Preprocess/apply(frameSize:blending:into:)``), a weighted sum of the
    /// crop's scaled rows, and each scaled row is computed by the vertical cubic pass as it is summed, so
    /// the up-to-36-times larger frame is never written out and read back. The same values as
    /// `preprocess.apply(to: apply(frame), into: output)`.
    public func modelInput(_ frame: Frame, preprocess: Preprocess, into output: UnsafeMutableBufferPointer<Float>) throws {
        try modelInput(frame, preprocess: preprocess, into: output, vectorized: VectorSupport.avx512)
    }

    /// ``modelInput(_:preprocess:into:)`` with the passes in AVX-512 (`vectorized`, the same values).
    func modelInput(_ frame: Frame, preprocess: Preprocess, into output: UnsafeMutableBufferPointer<Float>, vectorized: Bool) throws {
        let width = frame.width, height = frame.height
        let (outputWidth, outputHeight) = outputSize(width: width, height: height)
        guard outputWidth > 0, outputHeight > 0 else { throw TransformError.badValue(specification, "scales the frame to nothing") }
        let geometry = try preprocess.geometry(for: PixelSize(width: outputWidth, height: outputHeight))
        let cropColumns = geometry.cropX..<(geometry.cropX + geometry.cropSize.width)
        let cropRows = geometry.cropY..<(geometry.cropY + geometry.cropSize.height)
        let columns = Self.taps(output: outputWidth, input: width, factor: factor)
        let rows = Self.taps(output: outputHeight, input: height, factor: factor)
        let sourceRows = Self.sourceRows(read: cropRows, rowTaps: rows.index)
        let rowLength = cropColumns.count * 3
        let horizontal = Self.horizontalPass(frame, sourceRows: sourceRows, columns: cropColumns, taps: columns, vectorized: vectorized)
        // The vertical pass as OpenCV's vector path computes it (see ``apply(_:rows:)``), with the row weights / 2²²:
        // for each crop row, where its four taps start in `horizontal` and their weights.
        let unit: Float = 1 / Float(1 << 22)
        var offsets = [Int](repeating: 0, count: cropRows.count * 4), cubic = [Float](repeating: 0, count: cropRows.count * 4)
        for tap in offsets.indices {
            let t = (cropRows.lowerBound + tap / 4) * 4 + tap % 4
            (offsets[tap], cubic[tap]) = ((rows.index[t] - sourceRows.lowerBound) * rowLength, Float(rows.weight[t]) * unit)
        }
        var scaledRow = [Float](repeating: 0, count: vectorized ? 0 : rowLength)
        try horizontal.withUnsafeBufferPointer { sourceBuffer in
            try offsets.withUnsafeBufferPointer { offsets in
                try cubic.withUnsafeBufferPointer { cubic in
                    try scaledRow.withUnsafeMutableBufferPointer { scaled in
                        let source = sourceBuffer.baseAddress!
                        // A scaled row under two model-input rows is computed for each (the same values).
                        try preprocess.apply(frameSize: PixelSize(width: outputWidth, height: outputHeight), blending: { firstRow, weights, out in
                            let first = (firstRow - cropRows.lowerBound) * 4
                            if vectorized {
                                steerlens_cubic_area_rows_avx512(source, offsets.baseAddress! + first, cubic.baseAddress! + first, weights, weights.count,
                                                                 out, rowLength)
                                return
                            }
                            for (j, weight) in weights.enumerated() {
                                // Scaled row firstRow + j, kept as the integer it rounds to, then added to the sum.
                                let t = first + 4 * j
                                let r0 = source + offsets[t], r1 = source + offsets[t + 1], r2 = source + offsets[t + 2], r3 = source + offsets[t + 3]
                                let b0 = cubic[t], b1 = cubic[t + 1], b2 = cubic[t + 2], b3 = cubic[t + 3]
                                for i in 0..<rowLength {
                                    let value = r0[i] * b0 + (r1[i] * b1 + (r2[i] * b2 + r3[i] * b3))
                                    scaled[i] = (Swift.min(Swift.max(value, 0), 255) + 8_388_608) - 8_388_608
                                }
                                if j == 0 {
                                    for i in 0..<rowLength { out[i] = weight * scaled[i] }
                                } else {
                                    for i in 0..<rowLength { out[i] += weight * scaled[i] }
                                }
                            }
                        }, into: output)
                    }
                }
            }
        }
    }
}

extension CubicScale {
    /// The source rows that the output rows `outputRows` read (their four taps each, `rowTaps` from
    /// ``taps(output:input:factor:)``); empty for no rows.
    static func sourceRows(read outputRows: Range<Int>, rowTaps: [Int]) -> Range<Int> {
        let taps = rowTaps[(outputRows.lowerBound * 4)..<(outputRows.upperBound * 4)]
        guard let first = taps.min(), let last = taps.max() else { return 0..<0 }
        return first..<(last + 1)
    }

    /// The horizontal pass: for each source row of `sourceRows`, the output columns `columns` of the
    /// scaled width, `Σ pixel × weight` over the four taps in integers (weights × 2048; |Σ| < 2²⁰), kept
    /// as Float (exact below 2²⁴) for the vertical pass. Rows of `columns.count × 3` values.
    static func horizontalPass(_ frame: Frame, sourceRows: Range<Int>, columns: Range<Int>, taps: (index: [Int], weight: [Int]),
                               vectorized: Bool) -> [Float] {
        let rowLength = columns.count * 3, sourceLength = frame.width * 3
        let offsets = taps.index.map { $0 * 3 }, weights = taps.weight.map { Int32($0) }
        let windows = vectorized ? WindowedTaps(offsets: offsets, weights: weights, columns: columns) : nil
        return [Float](unsafeUninitializedCapacity: sourceRows.count * rowLength) { buffer, count in
            frame.pixels.withUnsafeBufferPointer { sourceBuffer in
                if let windows {
                    // The source row as Float, 32 floats of padding for the last window.
                    var row = [Float](repeating: 0, count: sourceLength + 32)
                    row.withUnsafeMutableBufferPointer { row in
                        for y in sourceRows {
                            let source = sourceBuffer.baseAddress! + y * sourceLength
                            for i in 0..<sourceLength { row[i] = Float(source[i]) }
                            windows.apply(to: UnsafePointer(row.baseAddress!), into: buffer.baseAddress! + (y - sourceRows.lowerBound) * rowLength)
                        }
                    }
                } else {
                    offsets.withUnsafeBufferPointer { offsets in
                        weights.withUnsafeBufferPointer { weights in
                            for y in sourceRows {
                                let row = sourceBuffer.baseAddress! + y * sourceLength, out = buffer.baseAddress! + (y - sourceRows.lowerBound) * rowLength
                                for (column, x) in columns.enumerated() {
                                    let t = x * 4
                                    let p0 = row + offsets[t], p1 = row + offsets[t + 1], p2 = row + offsets[t + 2], p3 = row + offsets[t + 3]
                                    let w0 = weights[t], w1 = weights[t + 1], w2 = weights[t + 2], w3 = weights[t + 3]
                                    for c in 0..<3 {
                                        out[column * 3 + c] = Float(Int32(p0[c]) &* w0 &+ Int32(p1[c]) &* w1 &+ Int32(p2[c]) &* w2 &+ Int32(p3[c]) &* w3)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            count = sourceRows.count * rowLength
        }
    }

    /// The horizontal taps laid out for `steerlens_cubic_horizontal_avx512`: blocks of 16 output values,
    /// each reading the 32 source floats from `bases[k]`, with per-lane window indices and weights for
    /// each of the four taps.
    struct WindowedTaps {
        let bases: [Int32], indices: [Int32], weights: [Float]
        let count: Int

        /// `nil` when a block's taps span more than 32 source values (scales below about 1.1).
        init?(offsets: [Int], weights tapWeights: [Int32], columns: Range<Int>) {
            count = columns.count * 3
            let blocks = (count + 15) / 16
            var bases = [Int32](repeating: 0, count: blocks)
            var indices = [Int32](repeating: 0, count: blocks * 64), weights = [Float](repeating: 0, count: blocks * 64)
            for block in 0..<blocks {
                let lanes = (block * 16)..<min(block * 16 + 16, count)
                func source(_ lane: Int, _ tap: Int) -> Int { offsets[(columns.lowerBound + lane / 3) * 4 + tap] + lane % 3 }
                // Clamped taps never decrease, so a lane's first tap is its lowest.
                let base = lanes.reduce(Int.max) { Swift.min($0, source($1, 0)) }
                for lane in lanes {
                    for tap in 0..<4 {
                        let index = source(lane, tap) - base
                        guard (0..<32).contains(index) else { return nil }
                        indices[block * 64 + tap * 16 + lane - block * 16] = Int32(index)
                        weights[block * 64 + tap * 16 + lane - block * 16] = Float(tapWeights[(columns.lowerBound + lane / 3) * 4 + tap])
                    }
                }
                bases[block] = Int32(base)
            }
            (self.bases, self.indices, self.weights) = (bases, indices, weights)
        }

        /// One source row (as Float, readable 32 floats past its last window's base) into `out`.
        func apply(to row: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
            steerlens_cubic_horizontal_avx512(row, bases, indices, weights, out, count)
        }
    }
}
