internal import CVectorKernels
import SteerLensSupport

/// Crop + resize of packed RGB24 pixels, reproducing OpenCV's `cv2.resize` on 8-bit images (results
/// rounded to the nearest integer and saturated, computed in Float; OpenCV's fixed-point bilinear path
/// can differ by one grey level).
///
/// Separable: the vertical pass blends whole source rows (contiguous, vectorisable), then the
/// horizontal pass blends columns of the few output rows.
enum Resampler {
    /// One output coordinate as a weighted sum of source coordinates.
    struct Tap {
        var first: Int
        var weights: [Float]
    }

    static func resample(_ pixels: [UInt8], frameWidth: Int, geometry: PreprocessGeometry, interpolation: Interpolation) -> [UInt8] {
        // Every interpolation maps a pixel onto itself at scale 1 (weight 1 on one tap): a crop is a copy.
        if geometry.cropSize == geometry.outputSize { return crop(pixels, frameWidth: frameWidth, geometry: geometry) }
        return interpolate(pixels, frameWidth: frameWidth, geometry: geometry, interpolation: interpolation)
    }

    /// The crop resized by separable interpolation (any sizes; ``resample`` skips it at scale 1), both
    /// passes in AVX-512 when `vectorized` (the same bytes).
    static func interpolate(_ pixels: [UInt8], frameWidth: Int, geometry: PreprocessGeometry, interpolation: Interpolation,
                            vectorized: Bool = VectorSupport.avx512) -> [UInt8] {
        let plan = ResizePlan.shared(geometry: geometry, interpolation: interpolation, vectorized: vectorized)
        let (rows, columns) = (plan.rows, plan.columns)
        let cropRowLength = geometry.cropSize.width * 3
        let outputWidth = geometry.outputSize.width
        var output = [UInt8](repeating: 0, count: geometry.outputSize.height * outputWidth * 3)
        var blendedRow = [Float](repeating: 0, count: cropRowLength)
        pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                blendedRow.withUnsafeMutableBufferPointer { row in
                    for (outputY, tap) in rows.enumerated() {
                        // Vertical: weighted sum of the source rows under this output row (contiguous, vectorised).
                        let blended = row.baseAddress!
                        let firstRow = source.baseAddress! + (geometry.cropY + tap.first) * frameWidth * 3 + geometry.cropX * 3
                        if vectorized {
                            tap.weights.withUnsafeBufferPointer { weights in
                                steerlens_weighted_rows_avx512(firstRow, frameWidth * 3, weights.baseAddress!, weights.count, blended, cropRowLength)
                            }
                        } else {
                            for (offset, weight) in tap.weights.enumerated() {
                                let sourceRow = firstRow + offset * frameWidth * 3
                                if offset == 0 {
                                    for index in 0..<cropRowLength { blended[index] = weight * Float(sourceRow[index]) }
                                } else {
                                    for index in 0..<cropRowLength { blended[index] += weight * Float(sourceRow[index]) }
                                }
                            }
                        }
                        // Horizontal: weighted sum of the columns under each output pixel, taps in order.
                        columns.apply(to: blended, into: destination.baseAddress! + outputY * outputWidth * 3)
                    }
                }
            }
        }
        return output
    }

    /// ``interpolate(_:frameWidth:geometry:interpolation:vectorized:)`` for a frame that is never held
    /// whole: `blend(firstRow, weights, out)` writes the vertical pass of one output row, `Σ_j weights[j] ·
    /// row(firstRow + j)` over frame rows (their crop columns, finite Float values), summed in order from
    /// `weights[0] · row(firstRow)` as the frame path sums its rows, into `out` (`cropWidth × 3` floats).
    /// Output rows are asked for in order. The horizontal pass runs in AVX-512 when `vectorized`.
    static func interpolate(blending blend: (_ firstRow: Int, _ weights: [Float], _ out: UnsafeMutablePointer<Float>) -> Void,
                            geometry: PreprocessGeometry, interpolation: Interpolation, vectorized: Bool = VectorSupport.avx512) -> [UInt8] {
        let plan = ResizePlan.shared(geometry: geometry, interpolation: interpolation, vectorized: vectorized)
        let (rows, columns) = (plan.rows, plan.columns)
        let outputWidth = geometry.outputSize.width
        var output = [UInt8](repeating: 0, count: geometry.outputSize.height * outputWidth * 3)
        var blendedRow = [Float](repeating: 0, count: geometry.cropSize.width * 3)
        output.withUnsafeMutableBufferPointer { destination in
            blendedRow.withUnsafeMutableBufferPointer { blended in
                for (outputY, tap) in rows.enumerated() {
                    blend(geometry.cropY + tap.first, tap.weights, blended.baseAddress!)
                    columns.apply(to: blended.baseAddress!, into: destination.baseAddress! + outputY * outputWidth * 3)
                }
            }
        }
        return output
    }

    /// The taps of one resize (crop size → output size), built once and shared by every frame and thread
    /// that resizes that geometry (``shared(geometry:interpolation:vectorized:)``).
    final class ResizePlan: Sendable {
        /// The vertical pass: the crop rows under each output row.
        let rows: [Tap]
        /// The horizontal pass.
        let columns: ColumnPass

        init(cropSize: PixelSize, outputSize: PixelSize, interpolation: Interpolation, vectorized: Bool) {
            rows = taps(source: cropSize.height, destination: outputSize.height, interpolation: interpolation)
            columns = ColumnPass(taps(source: cropSize.width, destination: outputSize.width, interpolation: interpolation), vectorized: vectorized)
        }

        private struct Key: Hashable, Sendable {
            let cropWidth, cropHeight, outputWidth, outputHeight: Int
            let interpolation: Interpolation
            let vectorized: Bool
        }

        private static let plans = Memo<Key, ResizePlan>(capacity: 64)

        /// The plan of `geometry`'s resize, built the first time it is asked for.
        static func shared(geometry: PreprocessGeometry, interpolation: Interpolation, vectorized: Bool) -> ResizePlan {
            let (crop, output) = (geometry.cropSize, geometry.outputSize)
            let key = Key(cropWidth: crop.width, cropHeight: crop.height, outputWidth: output.width, outputHeight: output.height,
                          interpolation: interpolation, vectorized: vectorized)
            return plans.value(for: key) { ResizePlan(cropSize: crop, outputSize: output, interpolation: interpolation, vectorized: vectorized) }
        }
    }

    /// The horizontal pass of a resize: a blended row (Float RGB of the crop's width) into an output row
    /// of bytes, each value the weighted sum of its column taps in order from 0, saturated. AVX-512
    /// (``LaneTaps``) when vectorized, else the portable loop over ``FlatTaps``: the same bytes.
    enum ColumnPass {
        case lanes(LaneTaps)
        case portable(FlatTaps)

        init(_ columns: [Tap], vectorized: Bool) {
            self = vectorized ? .lanes(LaneTaps(columns)) : .portable(FlatTaps(columns))
        }

        func apply(to row: UnsafePointer<Float>, into out: UnsafeMutablePointer<UInt8>) {
            let flat: FlatTaps
            switch self {
            case .lanes(let lanes): return lanes.apply(to: row, into: out)
            case .portable(let taps): flat = taps
            }
            flat.weights.withUnsafeBufferPointer { weights in
                for outputX in 0..<(flat.start.count - 1) {
                    var red: Float = 0, green: Float = 0, blue: Float = 0
                    let first = flat.first[outputX], start = flat.start[outputX], count = flat.start[outputX + 1] - start
                    for offset in 0..<count {
                        let weight = weights[start + offset], pixel = row + (first + offset) * 3
                        red += weight * pixel[0]
                        green += weight * pixel[1]
                        blue += weight * pixel[2]
                    }
                    out[outputX * 3] = saturate(red)
                    out[outputX * 3 + 1] = saturate(green)
                    out[outputX * 3 + 2] = saturate(blue)
                }
            }
        }
    }

    /// The taps of one axis in three flat arrays (no per-tap array in the inner loop): tap `i` starts at
    /// source coordinate `first[i]` and has the weights `weights[start[i]..<start[i + 1]]`.
    struct FlatTaps {
        let first: [Int]
        let start: [Int]
        let weights: [Float]

        init(_ taps: [Tap]) {
            first = taps.map(\.first)
            start = taps.reduce(into: [0]) { $0.append($0.last! + $1.weights.count) }
            weights = taps.flatMap(\.weights)
        }
    }

    /// The column taps laid out for `steerlens_weighted_columns_avx512`: lane `l` of an output row is
    /// channel `l mod 3` of output pixel `l / 3`; for each block of 16 lanes and each tap up to the most
    /// any pixel has, the source index (in the blended row of Floats) and weight of every lane. A pixel
    /// with fewer taps repeats its last index with weight 0; lanes past the row repeat the last lane's
    /// indices, weight 0. When every block's taps lie within 64 Floats of the row (enlarging, or
    /// shrinking by up to about 3.2: 640 pixels to 200 fits, 1280 does not), `windows` holds where each
    /// block's 64 start and the indices are relative to them, for
    /// `steerlens_weighted_columns_window_avx512` (permutes instead of gathers, the same bytes).
    struct LaneTaps {
        let indices: [Int32]
        let weights: [Float]
        /// Per block, the first of the 64 row values its taps read (nil: the gathering loop).
        let windows: [Int32]?
        let taps: Int
        let count: Int

        /// Values a window loop reads per block (four registers).
        static let windowLength = 64

        init(_ columns: [Tap]) {
            count = columns.count * 3
            taps = columns.map(\.weights.count).max() ?? 0
            let blocks = (count + 15) / 16
            var indices = [Int32](repeating: 0, count: blocks * taps * 16), weights = [Float](repeating: 0, count: indices.count)
            for lane in 0..<(blocks * 16) {
                let pixel = lane < count ? lane / 3 : columns.count - 1, channel = lane < count ? lane % 3 : 2
                let tap = columns[pixel]
                for t in 0..<taps {
                    let slot = ((lane / 16) * taps + t) * 16 + lane % 16
                    indices[slot] = Int32((tap.first + min(t, tap.weights.count - 1)) * 3 + channel)
                    weights[slot] = lane < count && t < tap.weights.count ? tap.weights[t] : 0
                }
            }
            // The row has at least the values the taps read.
            let rowLength = (columns.map { $0.first + $0.weights.count }.max() ?? 0) * 3
            windows = Self.windows(&indices, blocks: blocks, blockLength: taps * 16, rowLength: rowLength)
            (self.indices, self.weights) = (indices, weights)
        }

        /// Where each block's window starts (clamped so it ends inside the row), with `indices` made
        /// relative to it; nil, and `indices` untouched, when a block's taps span more than a window or
        /// the row is shorter than one.
        private static func windows(_ indices: inout [Int32], blocks: Int, blockLength: Int, rowLength: Int) -> [Int32]? {
            guard rowLength >= windowLength, blockLength > 0 else { return nil }
            var starts: [Int32] = []
            for block in 0..<blocks {
                let slice = indices[(block * blockLength)..<((block + 1) * blockLength)]
                let low = Int(slice.min()!), high = Int(slice.max()!)
                guard high - low < windowLength else { return nil }
                starts.append(Int32(min(low, rowLength - windowLength)))
            }
            for block in 0..<blocks {
                for slot in (block * blockLength)..<((block + 1) * blockLength) { indices[slot] -= starts[block] }
            }
            return starts
        }

        /// One output row of `count` bytes from a blended row (`row`, Float RGB of the crop's width).
        func apply(to row: UnsafePointer<Float>, into out: UnsafeMutablePointer<UInt8>) {
            if let windows {
                steerlens_weighted_columns_window_avx512(row, windows, indices, weights, taps, out, count)
            } else {
                steerlens_weighted_columns_avx512(row, indices, weights, taps, out, count)
            }
        }
    }

    /// `uint8(clamp(round_half_even(value), 0, 255))` without a libm call or a range check: clamping
    /// first gives the same result (0 and 255 are integers), and adding 2²³ to a Float in [0, 255]
    /// rounds it half to even into the low bits of its significand (`2²³ + k` has the bit pattern
    /// `0x4B000000 + k`). Finite values only, like the conversion it replaces.
    @inline(__always)
    static func saturate(_ value: Float) -> UInt8 {
        UInt8(truncatingIfNeeded: (min(max(value, 0), 255) + 8_388_608).bitPattern)
    }

    /// The crop rectangle's rows, copied.
    private static func crop(_ pixels: [UInt8], frameWidth: Int, geometry: PreprocessGeometry) -> [UInt8] {
        if geometry.cropSize == geometry.frameSize { return pixels }
        let rowLength = geometry.cropSize.width * 3
        var output = [UInt8](); output.reserveCapacity(rowLength * geometry.cropSize.height)
        for y in geometry.cropY..<(geometry.cropY + geometry.cropSize.height) {
            let start = (y * frameWidth + geometry.cropX) * 3
            output.append(contentsOf: pixels[start..<(start + rowLength)])
        }
        return output
    }

    /// The source taps of every destination coordinate along one axis.
    static func taps(source: Int, destination: Int, interpolation: Interpolation) -> [Tap] {
        if source == destination { return (0..<destination).map { Tap(first: $0, weights: [1]) } }
        switch interpolation {
        case .area where source > destination: return areaTaps(source: source, destination: destination)
        case .area, .bilinear: return bilinearTaps(source: source, destination: destination)
        case .nearest: return nearestTaps(source: source, destination: destination)
        }
    }

    /// OpenCV INTER_AREA for shrinking: destination pixel `d` covers source `[d·s, (d+1)·s)` with
    /// `s = source/destination`; weights are the covered fractions divided by `s`.
    static func areaTaps(source: Int, destination: Int) -> [Tap] {
        let scale = Double(source) / Double(destination)
        return (0..<destination).map { index in
            let start = Double(index) * scale, end = min(Double(index + 1) * scale, Double(source))
            let first = Int(start.rounded(.down))
            let last = min(Int(end.rounded(.up)) - 1, source - 1)
            let weights = (first...last).map { pixel -> Float in
                let covered = min(end, Double(pixel + 1)) - max(start, Double(pixel))
                return Float(covered / scale)
            }
            return Tap(first: first, weights: weights)
        }
    }

    /// OpenCV INTER_LINEAR: `s = (d + 0.5)·scale − 0.5`, clamped to the edge pixels.
    static func bilinearTaps(source: Int, destination: Int) -> [Tap] {
        let scale = Double(source) / Double(destination)
        return (0..<destination).map { index in
            let position = (Double(index) + 0.5) * scale - 0.5
            var first = Int(position.rounded(.down))
            var fraction = position - Double(first)
            if first < 0 { first = 0; fraction = 0 }
            if first >= source - 1 { first = source - 1; fraction = 0 }
            return fraction == 0 ? Tap(first: first, weights: [1]) : Tap(first: first, weights: [Float(1 - fraction), Float(fraction)])
        }
    }

    /// OpenCV INTER_NEAREST: `s = floor(d · scale)`.
    static func nearestTaps(source: Int, destination: Int) -> [Tap] {
        let scale = Double(source) / Double(destination)
        return (0..<destination).map { Tap(first: min(Int((Double($0) * scale).rounded(.down)), source - 1), weights: [1]) }
    }
}
