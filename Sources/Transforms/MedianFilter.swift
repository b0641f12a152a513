import CVectorKernels
import SteerLensSupport
import VideoIO

/// `cv2.medianBlur(image, k)`: the median of the k×k window per channel, edges replicated (exact).
///
/// Packed RGB24 keeps a channel's horizontal neighbours 3 bytes apart, so the filter works on bytes
/// regardless of channel: each source row is padded by replicating its edge pixels, and 16 output
/// bytes at a time (32 in AVX2, 64 in AVX-512 BW) take the median of their k² window bytes through a
/// sorting network of `pointwiseMin`/`pointwiseMax` (Batcher's odd–even merge sort, pruned to the
/// comparators the middle element depends on: 24 for 3×3, 113 for 5×5). The AVX2 and AVX-512 BW
/// kernels hold the 3×3 and 5×5 networks as constants and keep the window in registers.
struct MedianFilter {
    let size: Int
    /// Bytes past each padded row and past the output for the widest kernel's last block.
    static let spare = 64

    /// The output rows `rows` (within the frame), packed; with `vectorized` 32 bytes a block in AVX2
    /// (`steerlens_median_row_avx2`), 64 in AVX-512 BW where the CPU has it (`wide`): the same bytes.
    func apply(_ frame: Frame, rows: Range<Int>, vectorized: Bool = VectorSupport.avx2, wide: Bool = VectorSupport.avx512bw) -> [UInt8] {
        let width = frame.width, height = frame.height, radius = size / 2, rowLength = width * 3
        guard !rows.isEmpty else { return [] }
        // Padded source rows rows.lowerBound − radius … rows.upperBound + radius − 1 (clamped: replicated),
        // with room for the last block's reads past the row.
        let paddedLength = (width + 2 * radius) * 3 + Self.spare
        let paddedRows = rows.count + 2 * radius
        var padded = [UInt8](repeating: 0, count: paddedRows * paddedLength)
        frame.pixels.withUnsafeBufferPointer { source in
            padded.withUnsafeMutableBufferPointer { target in
                for row in 0..<paddedRows {
                    let y = min(max(rows.lowerBound - radius + row, 0), height - 1)
                    let from = source.baseAddress! + y * rowLength, to = target.baseAddress! + row * paddedLength
                    (to + radius * 3).update(from: from, count: rowLength)
                    for k in 0..<radius {
                        for c in 0..<3 {
                            to[k * 3 + c] = from[c]
                            to[(radius + width + k) * 3 + c] = from[rowLength - 3 + c]
                        }
                    }
                }
            }
        }
        let network = Self.network(size * size)
        let middle = size * size / 2
        var output = [UInt8](repeating: 0, count: rows.count * rowLength + Self.spare)
        var window = [SIMD16<UInt8>](repeating: .zero, count: size * size)
        let pairs = network.flatMap { [Int32($0.0), Int32($0.1)] }
        padded.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                window.withUnsafeMutableBufferPointer { window in
                    for row in 0..<rows.count {
                        if vectorized, size <= 7 {
                            let from = source.baseAddress! + row * paddedLength, to = target.baseAddress! + row * rowLength
                            if wide {
                                steerlens_median_row_avx512bw(from, paddedLength, size, pairs, network.count, middle, to, rowLength)
                            } else {
                                steerlens_median_row_avx2(from, paddedLength, size, pairs, network.count, middle, to, rowLength)
                            }
                            continue
                        }
                        let out = UnsafeMutableRawPointer(target.baseAddress! + row * rowLength)
                        var start = 0
                        while start < rowLength {
                            // The last block may run past the row: it reads padding and writes into the
                            // next row's bytes (rewritten when that row is done) or the spare bytes.
                            var slot = 0
                            for dy in 0..<size {
                                let line = UnsafeRawPointer(source.baseAddress! + (row + dy) * paddedLength + start)
                                for dx in 0..<size {
                                    window[slot] = line.loadUnaligned(fromByteOffset: dx * 3, as: SIMD16<UInt8>.self)
                                    slot += 1
                                }
                            }
                            for (a, b) in network {
                                let low = pointwiseMin(window[a], window[b])
                                window[b] = pointwiseMax(window[a], window[b])
                                window[a] = low
                            }
                            out.storeBytes(of: window[middle], toByteOffset: start, as: SIMD16<UInt8>.self)
                            start += 16
                        }
                    }
                }
            }
        }
        output.removeLast(Self.spare)
        return output
    }

    /// The comparators `(low, high)` of Batcher's odd–even merge sort on `count` inputs that the middle
    /// element's final value depends on, in order.
    static func network(_ count: Int) -> [(Int, Int)] {
        var power = 1
        while power < count { power *= 2 }
        var comparators: [(Int, Int)] = []
        // Batcher's odd–even merge sort for `power` inputs (Knuth 5.3.4); inputs past `count` are +∞
        // and never move, so comparators touching them are dropped.
        var p = 1
        while p < power {
            var k = p
            while k >= 1 {
                var j = k % p
                while j + k < power {
                    for i in 0..<min(k, power - j - k) where (i + j) / (p * 2) == (i + j + k) / (p * 2) {
                        let a = i + j, b = i + j + k
                        if b < count { comparators.append((a, b)) }
                    }
                    j += 2 * k
                }
                k /= 2
            }
            p *= 2
        }
        // Keep only what the middle output depends on (walking backwards).
        var needed: Set<Int> = [count / 2]
        var kept: [(Int, Int)] = []
        for (a, b) in comparators.reversed() where needed.contains(a) || needed.contains(b) {
            kept.append((a, b))
            needed.insert(a)
            needed.insert(b)
        }
        return kept.reversed()
    }
}
