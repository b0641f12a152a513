import CVectorKernels
import SteerLensSupport
import VideoIO

/// DeepTest's `image_blur` (`blur:KIND`): each kind is the OpenCV call DeepTest makes, borders
/// `BORDER_REFLECT_101` except the median (OpenCV's `medianBlur` replicates the edge).
public struct Blur: BandedTransform {
    public enum Kind: String, Sendable, CaseIterable {
        case mean3, mean4, mean5, mean6, gaussian3, gaussian5, gaussian7, median3, median5, bilateral
    }

    public let kind: Kind
    public init(kind: Kind) { self.kind = kind }
    public var specification: String { "blur:\(kind.rawValue)" }

    public func apply(_ frame: Frame, rows wanted: Range<Int>) throws -> Frame {
        let rows = wanted.clamped(to: 0..<frame.height)
        let pixels: [UInt8]
        switch kind {
        case .mean3: pixels = SeparableFilter.box(size: 3).apply(frame, rows: rows)
        case .mean4: pixels = SeparableFilter.box(size: 4).apply(frame, rows: rows)
        case .mean5: pixels = SeparableFilter.box(size: 5).apply(frame, rows: rows)
        case .mean6: pixels = SeparableFilter.box(size: 6).apply(frame, rows: rows)
        case .gaussian3: pixels = SeparableFilter.gaussian(size: 3).apply(frame, rows: rows)
        case .gaussian5: pixels = SeparableFilter.gaussian(size: 5).apply(frame, rows: rows)
        case .gaussian7: pixels = SeparableFilter.gaussian(size: 7).apply(frame, rows: rows)
        case .median3: pixels = MedianFilter(size: 3).apply(frame, rows: rows)
        case .median5: pixels = MedianFilter(size: 5).apply(frame, rows: rows)
        case .bilateral: pixels = BilateralFilter(diameter: 9, sigmaColor: 75, sigmaSpace: 75).apply(frame, rows: rows)
        }
        return frame.replacingPixels(pixels, height: rows.count)
    }
}

/// An integer separable filter `k ⊗ k` with `BORDER_REFLECT_101`, normalised by `(Σk)²`.
///
/// - `box(size:)`: `cv2.blur(image, (k, k))` — anchor at `k/2` (for even k the window is
///   `[x − k/2, x + k/2 − 1]`), the sum over `k²` (exact).
/// - `gaussian(size:)`: `cv2.GaussianBlur(image, (k, k), 0)` — OpenCV's fixed small kernels for σ = 0
///   (`[1 2 1]/4`, `[1 4 6 4 1]/16`, `[2 7 14 18 14 7 2]/64`, exact in its bit-exact 8-bit path) (exact).
///
/// Both round halves up, as OpenCV 5.0's 8-bit paths do; its 4×4 mean rounds up from x.4375
/// (`(sum + 9) / 16`, found against the fixtures on the demo frame and on noise; every other size is
/// `(sum + divisor/2) / divisor`).
struct SeparableFilter {
    let kernel: [Int]
    let anchor: Int

    /// Added to the sum before the division.
    var bias: Int? = nil

    static func box(size: Int) -> SeparableFilter {
        SeparableFilter(kernel: [Int](repeating: 1, count: size), anchor: size / 2, bias: size == 4 ? 9 : nil)
    }

    static func gaussian(size: Int) -> SeparableFilter {
        let kernels = [3: [1, 2, 1], 5: [1, 4, 6, 4, 1], 7: [2, 7, 14, 18, 14, 7, 2]]
        return SeparableFilter(kernel: kernels[size]!, anchor: size / 2)
    }

    /// The output rows `rows` (within the frame), packed.
    ///
    /// Horizontal pass on each source row the wanted rows read (the row padded by reflection, then one
    /// contiguous multiply-add per kernel tap), kept in a ``RowRing`` of a few rows; vertical pass as one
    /// contiguous multiply-add per tap, then the rounding division as a multiply and shift (exact: see
    /// ``Divide``). Both passes in AVX-512 when `vectorized` (integer sums: the same bytes).
    func apply(_ frame: Frame, rows: Range<Int>, vectorized: Bool = VectorSupport.avx512) -> [UInt8] {
        let width = frame.width, height = frame.height, size = kernel.count, rowLength = width * 3
        let weights = kernel.map { Int32($0) }
        guard !rows.isEmpty else { return [] }
        let total = kernel.reduce(0, +), divisor = total * total, rounding = Int32(bias ?? divisor / 2)
        let divide = Divide(divisor)
        var padded = [UInt8](repeating: 0, count: (width + size - 1) * 3)
        // The source rows of one output row span at most `size` rows (fewer at the frame's edges).
        var ring = RowRing<Int32>(rowLength: rowLength, capacity: size + 2)
        var output = [UInt8](repeating: 0, count: rows.count * rowLength)
        var sum = [Int32](repeating: 0, count: vectorized ? 0 : rowLength)
        // The output row's source rows (reflected), then where each starts in the ring.
        var taps = [Int](repeating: 0, count: size), starts = [Int](repeating: 0, count: size)
        frame.pixels.withUnsafeBufferPointer { source in
            for (offset, y) in rows.enumerated() {
                for k in 0..<size { taps[k] = reflect101(y - anchor + k, height) }
                ring.hold(taps.min()!...taps.max()!) { sourceRows, slot in
                    for y in sourceRows { horizontalPass(source.baseAddress! + y * rowLength, width: width, weights: weights, padded: &padded, into: slot(y), vectorized: vectorized) }
                }
                for k in 0..<size { starts[k] = ring.offset(of: taps[k]) }
                ring.storage.withUnsafeBufferPointer { ringRows in
                    output.withUnsafeMutableBufferPointer { target in
                        let out = target.baseAddress! + offset * rowLength
                        if vectorized {
                            steerlens_blur_column_avx512(ringRows.baseAddress!, starts, weights, size, rounding, divide.multiplier, divide.shift, out, rowLength)
                            return
                        }
                        for i in 0..<rowLength { sum[i] = rounding }
                        for k in 0..<size {
                            let row = ringRows.baseAddress! + starts[k], weight = weights[k]
                            for i in 0..<rowLength { sum[i] = sum[i] &+ row[i] &* weight }
                        }
                        for i in 0..<rowLength { out[i] = UInt8(truncatingIfNeeded: divide(UInt32(truncatingIfNeeded: sum[i]))) }
                    }
                }
            }
        }
        return output
    }

    /// The horizontal pass of one source row (`width` RGB pixels) into `out` (`width · 3` sums): the row
    /// padded by reflection into `padded` (`(width + size − 1) · 3` bytes), then one multiply-add per tap
    /// (`weights`: the kernel as Int32).
    private func horizontalPass(_ row: UnsafePointer<UInt8>, width: Int, weights: [Int32], padded: inout [UInt8],
                                into out: UnsafeMutablePointer<Int32>, vectorized: Bool) {
        let rowLength = width * 3, size = kernel.count, left = anchor, right = size - 1 - anchor
        padded.withUnsafeMutableBufferPointer { pad in
            (pad.baseAddress! + left * 3).update(from: row, count: rowLength)
            for k in 0..<left {
                let from = reflect101(k - left, width) * 3
                for c in 0..<3 { pad[k * 3 + c] = row[from + c] }
            }
            for k in 0..<right {
                let from = reflect101(width + k, width) * 3
                for c in 0..<3 { pad[(left + width + k) * 3 + c] = row[from + c] }
            }
            if vectorized {
                steerlens_blur_row_avx512(pad.baseAddress!, weights, size, out, rowLength)
                return
            }
            for k in 0..<size {
                let weight = weights[k], tap = pad.baseAddress! + k * 3
                if k == 0 {
                    for i in 0..<rowLength { out[i] = Int32(tap[i]) &* weight }
                } else {
                    for i in 0..<rowLength { out[i] = out[i] &+ Int32(tap[i]) &* weight }
                }
            }
        }
    }
}

/// `n / d` for `0 ≤ n < 256·d` and `d < 256` as `(n · m) >> 24` with `m = ⌊2²⁴/d⌋ + 1`: exact, because
/// `n·m/2²⁴ = n/d + n·e/2²⁴` with `0 < e ≤ 1` and `n·e/2²⁴ < 256·d/2²⁴ ≤ 1/d`, less than the distance from
/// `n/d` to the next integer; `n·m < 256·2²⁴` fits UInt32. Powers of two shift.
struct Divide {
    let multiplier: UInt32, shift: UInt32

    init(_ divisor: Int) {
        if divisor & (divisor - 1) == 0 {
            (multiplier, shift) = (1, UInt32(divisor.trailingZeroBitCount))
        } else {
            precondition(divisor < 256, "Divide handles divisors below 256")
            (multiplier, shift) = (UInt32((1 << 24) / divisor + 1), 24)
        }
    }

    @inline(__always)
    func callAsFunction(_ value: UInt32) -> UInt32 { (value &* multiplier) >> shift }
}
