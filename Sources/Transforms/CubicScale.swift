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
/// Float with fused multiply-adds as OpenCV's vector path does (`VResizeCubicVec_32s8u`). The Swift loops
/// compute each with ``fused(_:_:_:)``, whose Double sum is exact here: every operand and partial sum is
/// a multiple of 2⁻²² below 2¹¹, so the one rounding to Float is the FMA's. Parity with OpenCV 5.0
/// (`Tests/Fixtures/transforms`): its own resize to the value but for rare sums a hair above a half; the
/// wheels' default, Intel IPP's resize, within 1.
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
        let plan = self.plan(width: width, height: height, columns: 0..<outputWidth, vectorized: vectorized)
        let rows = plan.rows
        let outputRows = wanted.clamped(to: 0..<outputHeight)
        // The source rows the wanted output rows read.
        let sourceRows = Self.sourceRows(read: outputRows, rowTaps: rows.index)
        // Horizontal pass: every source row the wanted rows read, at the output width.
        let rowLength = outputWidth * 3
        let pass = HorizontalPass(frame, tables: plan.horizontal)
        let horizontal = [Float](unsafeUninitializedCapacity: sourceRows.count * rowLength) { buffer, count in
            pass.compute(rows: sourceRows) { buffer.baseAddress! + ($0 - sourceRows.lowerBound) * rowLength }
            count = sourceRows.count * rowLength
        }
        // Vertical pass as OpenCV's vector path (`VResizeCubicVec_32s8u`) computes it: in Float with the
        // row weights / 2²² (`plan.cubic`), `fma(S0, b0, fma(S1, b1, fma(S2, b2, S3·b3)))`, rounded ties to
        // even and saturated.
        let cubic = plan.cubic
        let output = [UInt8](unsafeUninitializedCapacity: outputRows.count * rowLength) { targetBuffer, count in
            horizontal.withUnsafeBufferPointer { sourceBuffer in
                // `horizontal` starts at source row `sourceRows.lowerBound`.
                let source = sourceBuffer.baseAddress!, target = targetBuffer.baseAddress!, first = sourceRows.lowerBound
                for y in outputRows {
                    let t = y * 4
                    let r0 = source + (rows.index[t] - first) * rowLength, r1 = source + (rows.index[t + 1] - first) * rowLength
                    let r2 = source + (rows.index[t + 2] - first) * rowLength, r3 = source + (rows.index[t + 3] - first) * rowLength
                    let b0 = cubic[t], b1 = cubic[t + 1], b2 = cubic[t + 2], b3 = cubic[t + 3]
                    let out = target + (y - outputRows.lowerBound) * rowLength
                    for i in 0..<rowLength {
                        let value = fused(fused(fused(r3[i] * b3, r2[i], b2), r1[i], b1), r0[i], b0)
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
    /// the up-to-36-times larger frame is never written out and read back. The horizontal pass's rows are
    /// computed as the vertical pass first reads them (``RowRing``). The same values as
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
        let plan = self.plan(width: width, height: height, columns: geometry.cropX..<(geometry.cropX + geometry.cropSize.width), vectorized: vectorized)
        let rows = plan.rows
        let pass = HorizontalPass(frame, tables: plan.horizontal)
        let rowLength = pass.rowLength
        var ring = RowRing<Float>(rowLength: rowLength)
        // For the scaled rows of one call, where their four taps start in the ring.
        var offsets: [Int] = []
        var scaledRow = [Float](repeating: 0, count: vectorized ? 0 : rowLength)
        try plan.cubic.withUnsafeBufferPointer { cubic in
            try scaledRow.withUnsafeMutableBufferPointer { scaled in
                // A scaled row under two model-input rows is computed for each (the same values).
                try preprocess.apply(frameSize: PixelSize(width: outputWidth, height: outputHeight), blending: { firstRow, weights, out in
                    let taps = (firstRow * 4)..<((firstRow + weights.count) * 4)
                    ring.hold(rows.index[taps.lowerBound]...rows.index[taps.upperBound - 1]) { pass.compute(rows: $0, into: $1) }
                    offsets.removeAll(keepingCapacity: true)
                    for t in taps { offsets.append(ring.offset(of: rows.index[t])) }
                    ring.storage.withUnsafeBufferPointer { storage in
                        offsets.withUnsafeBufferPointer { offsets in
                            let source = storage.baseAddress!, b = cubic.baseAddress! + taps.lowerBound
                            if vectorized {
                                steerlens_cubic_area_rows_avx512(source, offsets.baseAddress!, b, weights, weights.count, out, rowLength)
                                return
                            }
                            for (j, weight) in weights.enumerated() {
                                // Scaled row firstRow + j, kept as the integer it rounds to, then added to the sum.
                                let t = 4 * j
                                let r0 = source + offsets[t], r1 = source + offsets[t + 1], r2 = source + offsets[t + 2], r3 = source + offsets[t + 3]
                                let b0 = b[t], b1 = b[t + 1], b2 = b[t + 2], b3 = b[t + 3]
                                for i in 0..<rowLength {
                                    let value = fused(fused(fused(r3[i] * b3, r2[i], b2), r1[i], b1), r0[i], b0)
                                    scaled[i] = (Swift.min(Swift.max(value, 0), 255) + 8_388_608) - 8_388_608
                                }
                                if j == 0 {
                                    for i in 0..<rowLength { out[i] = weight * scaled[i] }
                                } else {
                                    for i in 0..<rowLength { out[i] += weight * scaled[i] }
                                }
                            }
                        }
                    }
                }, into: output)
            }
        }
    }
}

extension CubicScale {
    /// The tables of one frame size, factor and scaled columns (the crop's for ``modelInput(_:preprocess:into:)``,
    /// all for ``apply(_:rows:)``), which every frame of a clip reuses: the scaled rows' source taps,
    /// their weights as OpenCV's vector path takes them (/ 2²²), and the horizontal pass's tables.
    final class Plan: Sendable {
        let rows: (index: [Int], weight: [Int])
        let cubic: [Float]
        let horizontal: HorizontalTables

        init(factor: Double, width: Int, height: Int, outputWidth: Int, outputHeight: Int, columns: Range<Int>, vectorized: Bool) {
            rows = CubicScale.taps(output: outputHeight, input: height, factor: factor)
            let unit: Float = 1 / Float(1 << 22)
            cubic = rows.weight.map { Float($0) * unit }
            horizontal = HorizontalTables(columns: columns, taps: CubicScale.taps(output: outputWidth, input: width, factor: factor), vectorized: vectorized)
        }
    }

    private struct PlanKey: Hashable, Sendable {
        let factor: Double, width: Int, height: Int, columns: Range<Int>, vectorized: Bool
    }

    private static let plans = Memo<PlanKey, Plan>(capacity: 64)

    /// The plan for a `width × height` frame of which the scaled `columns` are computed, built the first time.
    func plan(width: Int, height: Int, columns: Range<Int>, vectorized: Bool) -> Plan {
        let key = PlanKey(factor: factor, width: width, height: height, columns: columns, vectorized: vectorized)
        return Self.plans.value(for: key) {
            let (outputWidth, outputHeight) = outputSize(width: width, height: height)
            return Plan(factor: factor, width: width, height: height, outputWidth: outputWidth, outputHeight: outputHeight,
                             columns: columns, vectorized: vectorized)
        }
    }

    /// The source rows that the output rows `outputRows` read (their four taps each, `rowTaps` from
    /// ``taps(output:input:factor:)``); empty for no rows.
    static func sourceRows(read outputRows: Range<Int>, rowTaps: [Int]) -> Range<Int> {
        let taps = rowTaps[(outputRows.lowerBound * 4)..<(outputRows.upperBound * 4)]
        guard let first = taps.min(), let last = taps.max() else { return 0..<0 }
        return first..<(last + 1)
    }

    /// The horizontal pass's tables for one frame width, output columns and factor: the taps as byte
    /// offsets and integer weights, and their AVX-512 layout (`nil` for the portable loop).
    struct HorizontalTables: Sendable {
        let columns: Range<Int>
        let offsets: [Int], weights: [Int32]
        let windows: WindowedTaps?

        init(columns: Range<Int>, taps: (index: [Int], weight: [Int]), vectorized: Bool) {
            self.columns = columns
            (offsets, weights) = (taps.index.map { $0 * 3 }, taps.weight.map { Int32($0) })
            windows = vectorized ? WindowedTaps(offsets: offsets, weights: weights, columns: columns) : nil
        }
    }

    /// The horizontal pass of a frame: for a source row, the output columns `columns` of the scaled width,
    /// `Σ pixel × weight` over the four taps in integers (weights × 2048; |Σ| < 2²⁰), kept as Float (exact
    /// below 2²⁴) for the vertical pass. Rows of `rowLength = columns.count × 3` values.
    struct HorizontalPass {
        let frame: Frame
        let tables: HorizontalTables
        var columns: Range<Int> { tables.columns }
        var offsets: [Int] { tables.offsets }
        var weights: [Int32] { tables.weights }
        var windows: WindowedTaps? { tables.windows }

        init(_ frame: Frame, tables: HorizontalTables) { (self.frame, self.tables) = (frame, tables) }

        init(_ frame: Frame, columns: Range<Int>, taps: (index: [Int], weight: [Int]), vectorized: Bool) {
            self.init(frame, tables: HorizontalTables(columns: columns, taps: taps, vectorized: vectorized))
        }

        var rowLength: Int { columns.count * 3 }

        /// Source rows `rows` into `out(y)` (`rowLength` floats each).
        func compute(rows: Range<Int>, into out: (Int) -> UnsafeMutablePointer<Float>) {
            let sourceLength = frame.width * 3
            frame.pixels.withUnsafeBufferPointer { sourceBuffer in
                if let windows {
                    // Up to four source rows at a time as Float, each with 32 floats of padding for the last window.
                    let stride = sourceLength + 32
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * stride) { floats in
                        // Only the padding needs zeros: the rows are written below before they are read.
                        for r in 0..<4 { (floats.baseAddress! + r * stride + sourceLength).initialize(repeating: 0, count: 32) }
                        for group in Swift.stride(from: rows.lowerBound, to: rows.upperBound, by: 4) {
                            let group = group..<Swift.min(group + 4, rows.upperBound)
                            for (r, y) in group.enumerated() {
                                let source = sourceBuffer.baseAddress! + y * sourceLength, row = floats.baseAddress! + r * stride
                                for i in 0..<sourceLength { row[i] = Float(source[i]) }
                            }
                            windows.apply(to: group.indices.map { UnsafePointer(floats.baseAddress! + ($0 - group.lowerBound) * stride) },
                                          into: group.map(out))
                        }
                    }
                    return
                }
                for y in rows {
                    let source = sourceBuffer.baseAddress! + y * sourceLength, out = out(y)
                    for (column, x) in columns.enumerated() {
                        let t = x * 4
                        let p0 = source + offsets[t], p1 = source + offsets[t + 1], p2 = source + offsets[t + 2], p3 = source + offsets[t + 3]
                        let w0 = weights[t], w1 = weights[t + 1], w2 = weights[t + 2], w3 = weights[t + 3]
                        for c in 0..<3 {
                            out[column * 3 + c] = Float(Int32(p0[c]) &* w0 &+ Int32(p1[c]) &* w1 &+ Int32(p2[c]) &* w2 &+ Int32(p3[c]) &* w3)
                        }
                    }
                }
            }
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

        /// Source rows (as Float, each readable 32 floats past its last window's base) into `outs`.
        func apply(to rows: [UnsafePointer<Float>], into outs: [UnsafeMutablePointer<Float>]) {
            precondition(rows.count == outs.count)
            steerlens_cubic_horizontal_avx512(rows.map { Optional($0) }, outs.map { Optional($0) }, rows.count, bases, indices, weights, count)
        }
    }
}
