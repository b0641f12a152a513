import CVectorKernels

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

    /// Whether the vertical pass runs in AVX-512 here (CVectorKernels/image_kernels.h; the same bytes).
    static let vectorKernels = steerlens_vector_level() >= 2

    /// The crop resized by separable interpolation (any sizes; ``resample`` skips it at scale 1).
    static func interpolate(_ pixels: [UInt8], frameWidth: Int, geometry: PreprocessGeometry, interpolation: Interpolation,
                            vectorized: Bool = vectorKernels) -> [UInt8] {
        let rows = taps(source: geometry.cropSize.height, destination: geometry.outputSize.height, interpolation: interpolation)
        let columns = FlatTaps(taps(source: geometry.cropSize.width, destination: geometry.outputSize.width, interpolation: interpolation))
        let cropRowLength = geometry.cropSize.width * 3, outputRowLength = geometry.outputSize.width * 3
        var output = [UInt8](repeating: 0, count: geometry.outputSize.height * outputRowLength)
        // One float more than a crop row: the horizontal pass reads each pixel as four lanes.
        var blendedRow = [Float](repeating: 0, count: cropRowLength + 1)
        pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                blendedRow.withUnsafeMutableBufferPointer { blended in
                    for (outputY, tap) in rows.enumerated() {
                        // Vertical: weighted sum of the source rows under this output row (contiguous, vectorised).
                        for (offset, weight) in tap.weights.enumerated() {
                            let sourceRow = source.baseAddress! + (geometry.cropY + tap.first + offset) * frameWidth * 3 + geometry.cropX * 3
                            blend(sourceRow, weight: weight, into: blended.baseAddress!, count: cropRowLength, accumulate: offset > 0, vectorized: vectorized)
                        }
                        columns.horizontal(blended.baseAddress!, into: destination.baseAddress! + outputY * outputRowLength)
                    }
                }
            }
        }
        return output
    }

    /// ``interpolate(_:frameWidth:geometry:interpolation:vectorized:)`` on crop rows handed out by `row`
    /// (frame row `y`'s crop columns as Float into the buffer) instead of read from pixels: the same
    /// arithmetic in the same order, so the same bytes. A row shared by two output rows is asked for once.
    static func interpolate(rows row: (Int, UnsafeMutableBufferPointer<Float>) -> Void, geometry: PreprocessGeometry, interpolation: Interpolation,
                            vectorized: Bool = vectorKernels) -> [UInt8] {
        let rows = taps(source: geometry.cropSize.height, destination: geometry.outputSize.height, interpolation: interpolation)
        let columns = FlatTaps(taps(source: geometry.cropSize.width, destination: geometry.outputSize.width, interpolation: interpolation))
        let cropRowLength = geometry.cropSize.width * 3, outputRowLength = geometry.outputSize.width * 3
        var output = [UInt8](repeating: 0, count: geometry.outputSize.height * outputRowLength)
        var blendedRow = [Float](repeating: 0, count: cropRowLength + 1), sourceRow = [Float](repeating: 0, count: cropRowLength)
        var held = -1
        output.withUnsafeMutableBufferPointer { destination in
            blendedRow.withUnsafeMutableBufferPointer { blended in
                sourceRow.withUnsafeMutableBufferPointer { source in
                    for (outputY, tap) in rows.enumerated() {
                        for (offset, weight) in tap.weights.enumerated() {
                            let y = geometry.cropY + tap.first + offset
                            if y != held { rowProvider(y, source); held = y }
                            blend(source.baseAddress!, weight: weight, into: blended.baseAddress!, count: cropRowLength, accumulate: offset > 0, vectorized: vectorized)
                        }
                        columns.horizontal(blended.baseAddress!, into: destination.baseAddress! + outputY * outputRowLength)
                    }
                }
            }
        }
        return output

        func rowProvider(_ y: Int, _ buffer: UnsafeMutableBufferPointer<Float>) { row(y, buffer) }
    }

    /// One tap row of the vertical pass over `count` values: `blended = weight · source`, or
    /// `blended += weight · source` when `accumulate`.
    @inline(__always)
    static func blend(_ source: UnsafePointer<UInt8>, weight: Float, into blended: UnsafeMutablePointer<Float>, count: Int, accumulate: Bool, vectorized: Bool) {
        if vectorized { return steerlens_blend_row_u8_avx512(blended, source, weight, count, accumulate ? 1 : 0) }
        if accumulate {
            for index in 0..<count { blended[index] += weight * Float(source[index]) }
        } else {
            for index in 0..<count { blended[index] = weight * Float(source[index]) }
        }
    }

    /// ``blend(_:weight:into:count:accumulate:vectorized:)`` for a source row in Float.
    @inline(__always)
    static func blend(_ source: UnsafePointer<Float>, weight: Float, into blended: UnsafeMutablePointer<Float>, count: Int, accumulate: Bool, vectorized: Bool) {
        if vectorized { return steerlens_blend_row_f32_avx512(blended, source, weight, count, accumulate ? 1 : 0) }
        if accumulate {
            for index in 0..<count { blended[index] += weight * source[index] }
        } else {
            for index in 0..<count { blended[index] = weight * source[index] }
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

        /// The horizontal pass of one blended row into the output row at `destination` (packed RGB): per
        /// output pixel the weighted sum of the pixels under its taps, in order, with the three channels as
        /// lanes of one vector. `row` holds the crop row's floats and one more, which an unused lane reads.
        @inline(__always)
        func horizontal(_ row: UnsafePointer<Float>, into destination: UnsafeMutablePointer<UInt8>) {
            first.withUnsafeBufferPointer { first in
                start.withUnsafeBufferPointer { start in
                    weights.withUnsafeBufferPointer { weights in
                        for outputX in 0..<first.count {
                            var sum = SIMD4<Float>.zero
                            var pixel = UnsafeRawPointer(row + first[outputX] * 3)
                            for tap in start[outputX]..<start[outputX + 1] {
                                sum += weights[tap] * pixel.loadUnaligned(as: SIMD4<Float>.self)
                                pixel += 3 * MemoryLayout<Float>.size
                            }
                            destination[outputX * 3] = saturate(sum[0])
                            destination[outputX * 3 + 1] = saturate(sum[1])
                            destination[outputX * 3 + 2] = saturate(sum[2])
                        }
                    }
                }
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
