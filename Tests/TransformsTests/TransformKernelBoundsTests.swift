import CVectorKernels
import Foundation
import SteerLensSupport
import TestSupport
@testable import Transforms
import VideoIO
import XCTest

/// The transforms' AVX-512 loops stay inside the buffers their callers give them: each input and output
/// sits flush against an inaccessible page (after its end, then before its start), sized exactly as the
/// caller sizes it, so a read or write one byte outside faults and ends the test run. AddressSanitizer
/// does not see into these header loops, so this is their bounds check.
final class TransformKernelBoundsTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(VectorSupport.avx512, "this CPU (or valgrind) does not run AVX-512; the portable loops ran instead")
    }

    func testCubicPassesStayInTheirRows() {
        for flushEnd in [true, false] {
            for factor in [1.5, 2.5, 6] {
                let width = 37, outputWidth = Int((Double(width) * factor).rounded())
                let taps = CubicScale.taps(output: outputWidth, input: width, factor: factor)
                let windows = CubicScale.WindowedTaps(offsets: taps.index.map { $0 * 3 }, weights: taps.weight.map { Int32($0) }, columns: 0..<outputWidth)!
                // The caller's source rows, three at a time: width × 3 floats and 32 of padding each.
                let rowBuffers = (0..<3).map { _ in GuardedBytes(count: (width * 3 + 32) * 4, flushEnd: flushEnd) }
                let sources = rowBuffers.enumerated().map { r, row in UnsafePointer(row.floats((0..<(width * 3 + 32)).map { Float(($0 + r) % 256) })) }
                let outBuffers = (0..<3).map { _ in GuardedBytes(count: windows.count * 4, flushEnd: flushEnd) }
                windows.apply(to: sources, into: outBuffers.map { $0.pointer.bindMemory(to: Float.self, capacity: windows.count) })
                // The fused vertical passes over four horizontal rows of a length no multiple of 16, in one
                // buffer as the caller holds them: two scaled rows, taps 0…3 and 1…3 (the last repeated).
                let count = outputWidth * 3
                let rows = GuardedBytes(count: 4 * count * 4, flushEnd: flushEnd)
                let horizontal = rows.floats((0..<(4 * count)).map { Float($0 % count % 200) * 2048 })
                let offsets = [0, count, 2 * count, 3 * count, count, 2 * count, 3 * count, 3 * count]
                let result = GuardedBytes(count: count * 4, flushEnd: flushEnd)
                let values = result.pointer.bindMemory(to: Float.self, capacity: count)
                steerlens_cubic_area_rows_avx512(horizontal, offsets, [Float](repeating: 0.25 / 2048, count: 8), [0.5, 0.5], 2, values, count)
                XCTAssertEqual(values[count - 1], Float((count - 1) % 200), "scale \(factor)")
                withExtendedLifetime((rowBuffers, outBuffers, rows, result)) {}
            }
        }
    }

    /// Night's kernel reads 8 uniforms of each kind and 16 table values, and writes 16 bytes: the caller's
    /// blocks, each buffer on its own here.
    func testNightNoiseStaysInItsBlock() {
        for flushEnd in [true, false] {
            let first = GuardedBytes(count: 8 * 8, flushEnd: flushEnd), second = GuardedBytes(count: 8 * 8, flushEnd: flushEnd)
            let u1 = first.pointer.bindMemory(to: Double.self, capacity: 8), u2 = second.pointer.bindMemory(to: Double.self, capacity: 8)
            for draw in 0..<8 { (u1[draw], u2[draw]) = (0.05 + 0.1 * Double(draw), 0.125 * Double(draw)) }
            let table = GuardedBytes(count: 16 * 4, flushEnd: flushEnd), bases = table.floats((0..<16).map { Float($0 * 10) + 0.25 })
            let out = GuardedBytes(count: 16, flushEnd: flushEnd), bytes = out.pointer.bindMemory(to: UInt8.self, capacity: 16)
            let uncertain = steerlens_night_noise_avx512(u1, u2, 2, bases, bytes)
            for value in 0..<16 where (uncertain >> value) & 1 == 0 {
                let noise = Night.noise(u1[value / 2], u2[value / 2], sigma: 2)
                XCTAssertEqual(bytes[value], saturatedByte(bases[value] + (value % 2 == 0 ? noise.0 : noise.1)), "value \(value)")
            }
            withExtendedLifetime((first, second, table, out)) {}
        }
    }

    /// Night's loop reads the frame's bytes up to `end` and the 256-entry table, and writes `end − first`
    /// bytes, whatever the band: a tail block of fewer than 16 values, a band that starts mid-draw.
    func testNightLoopStaysInItsBuffers() throws {
        let night = Night(gamma: 2.5)
        let frame = Frame(index: 5, time: 0, width: 13, height: 7, pixels: (0..<(13 * 7 * 3)).map { UInt8(($0 * 29) % 256) })
        let table = (0..<256).map { Float(255 * pow(Double($0) / 255, 2.5)) }
        for flushEnd in [true, false] {
            for rows in [0..<7, 1..<6, 3..<4] {
                let first = rows.lowerBound * 39, end = rows.upperBound * 39
                let source = GuardedBytes(count: end, flushEnd: flushEnd), lookup = GuardedBytes(count: 256 * 4, flushEnd: flushEnd)
                let target = GuardedBytes(count: end - first, flushEnd: flushEnd)
                source.pointer.copyMemory(from: frame.pixels, byteCount: end)
                var random = SeededRandom(seed: 16 + 5)
                random.skip(first / 2 * 2)
                steerlens_night_avx512(source.pointer.assumingMemoryBound(to: UInt8.self), lookup.floats(table), target.pointer.assumingMemoryBound(to: UInt8.self),
                                       first, first / 2 * 2, end, random.currentState, SeededRandom.increment, 5)
                let written = Array(UnsafeBufferPointer(start: target.pointer.assumingMemoryBound(to: UInt8.self), count: end - first))
                XCTAssertEqual(written, try night.apply(frame, rows: rows, vectorized: false).pixels, "rows \(rows)")
            }
        }
    }

    func testWarpInteriorReadsOnlyTheFrame() {
        let width = 53, height = 21
        for flushEnd in [true, false] {
            let frame = GuardedBytes(count: width * height * 3, flushEnd: flushEnd)
            let source = frame.pointer.bindMemory(to: UInt8.self, capacity: width * height * 3)
            for index in 0..<(width * height * 3) { source[index] = UInt8(index % 251) }
            // Sub-pixel shifts both ways put interior taps on the first and last pixels; a zoom of 10¹⁰ onto
            // the pixel at (width − 2, height − 2) puts every tap of a row there, the lower-right one on the
            // frame's last pixel; a rotation crosses rows. Shifts and the shear take the byte-permute kernel's
            // consecutive-taps loads (51 bytes a row, masked), the others its gathers.
            let corner = [1e10, 0, -1e10 * Double(width - 2), 0, 1e10, -1e10 * Double(height - 2)]
            for matrix in [[1, 0, 0.25, 0, 1, 0.25], [1, 0, -0.25, 0, 1, -0.25], corner, AffineWarp.rotation(degrees: 7, centerX: Double(width) / 2, centerY: Double(height) / 2).matrix,
                           Shear(factor: 0.3).warp.matrix] {
                let warp = AffineWarp(matrix: matrix), mi = warp.inverse
                let row = GuardedBytes(count: width * 3, flushEnd: flushEnd)
                var covered = 0
                for y in 0..<height {
                    let rowX = Float(Double(y) * mi[1] + mi[2]), rowY = Float(Double(y) * mi[4] + mi[5])
                    let interior = AffineWarp.interiorColumns(rowX: rowX, rowY: rowY, m0: Float(mi[0]), m3: Float(mi[3]), width: width, height: height)
                    // Every interior pixel through the kernel: blocks that end at the interior's end.
                    for first in [interior.lowerBound, interior.upperBound - 16] where interior.count >= 16 {
                        covered += steerlens_warp_interior_avx512(source, width, rowX, rowY, Float(mi[0]), Float(mi[3]), first, 1,
                                                                 row.pointer.bindMemory(to: UInt8.self, capacity: width * 3))
                    }
                    // The byte-permute kernel on its narrower columns (8-byte reads from the upper-left tap).
                    let reach = AffineWarp.interiorColumns(rowX: rowX, rowY: rowY, m0: Float(mi[0]), m3: Float(mi[3]), width: width - 1, height: height)
                    for first in [reach.lowerBound, reach.upperBound - 16] where VectorSupport.avx512vbmi && reach.count >= 16 {
                        covered += steerlens_warp_interior_vbmi(source, width, rowX, rowY, Float(mi[0]), Float(mi[3]), first, 1,
                                                               row.pointer.bindMemory(to: UInt8.self, capacity: width * 3))
                    }
                }
                XCTAssertGreaterThan(covered, 0, "\(matrix)")
            }
        }
    }

    func testBilateralReadsOnlyThePaddedCopy() {
        let width = 35, rows = 3, radius = 4, paddedWidth = width + 2 * radius
        // The caller's padded copy: its rows with a margin of `radius`, and one byte more.
        let count = (rows + 2 * radius) * paddedWidth * 3 + 1
        for flushEnd in [true, false] {
            let padded = GuardedBytes(count: count, flushEnd: flushEnd)
            let bytes = padded.pointer.bindMemory(to: UInt8.self, capacity: count)
            for index in 0..<count { bytes[index] = UInt8(index % 253) }
            // The whole square window (the disk's corners are inside it).
            var offsets: [Int32] = []
            for i in -radius...radius { for j in -radius...radius { offsets.append(Int32((i * paddedWidth + j) * 3)) } }
            let spaceWeights = [Float](repeating: 0.5, count: offsets.count), colorWeights = (0..<768).map { Float(768 - $0) / 768 }
            let output = GuardedBytes(count: rows * width * 3, flushEnd: flushEnd)
            let out = output.pointer.bindMemory(to: UInt8.self, capacity: rows * width * 3)
            for row in 0..<rows {
                let centres = bytes + ((row + radius) * paddedWidth + radius) * 3
                // The last block ends at the row's last pixel.
                _ = steerlens_bilateral_avx512(centres, offsets, spaceWeights, offsets.count, colorWeights, 0, width / 16, out + row * width * 3)
                _ = steerlens_bilateral_avx512(centres, offsets, spaceWeights, offsets.count, colorWeights, width - 16, 1, out + row * width * 3)
                if VectorSupport.avx512vbmi {
                    _ = steerlens_bilateral_vbmi(centres, offsets, spaceWeights, offsets.count, colorWeights, 0, width / 16, out + row * width * 3)
                    _ = steerlens_bilateral_vbmi(centres, offsets, spaceWeights, offsets.count, colorWeights, width - 16, 1, out + row * width * 3)
                }
            }
            XCTAssertTrue((0..<(rows * width * 3)).contains { out[$0] != 0 })
        }
    }

    /// The blur passes over rows sized as `SeparableFilter` sizes them: the padded source row (width + size − 1
    /// pixels) and the Int32 rows of exactly the frame's width, for widths leaving every tail of the blocks.
    func testBlurPassesStayInTheirRows() {
        for flushEnd in [true, false] {
            for size in [3, 4, 7] {
                let kernel = [Int32](repeating: 1, count: size), rows = 3
                for width in 1...20 {
                    let count = width * 3, paddedCount = (width + size - 1) * 3
                    let padded = GuardedBytes(count: paddedCount, flushEnd: flushEnd)
                    let source = padded.pointer.bindMemory(to: UInt8.self, capacity: paddedCount)
                    for index in 0..<paddedCount { source[index] = UInt8(index % 239) }
                    let horizontal = GuardedBytes(count: rows * count * 4, flushEnd: flushEnd)
                    let sums = horizontal.pointer.bindMemory(to: Int32.self, capacity: rows * count)
                    for row in 0..<rows { steerlens_blur_row_avx512(source, kernel, size, sums + row * count, count) }
                    XCTAssertEqual(sums[count - 1], (0..<size).reduce(Int32(0)) { $0 + Int32(source[3 * $1 + count - 1]) })
                    let output = GuardedBytes(count: count, flushEnd: flushEnd)
                    let out = output.pointer.bindMemory(to: UInt8.self, capacity: count)
                    let starts = (0..<rows).map { $0 * count }
                    steerlens_blur_column_avx512(sums, starts, [1, 1, 1], 3, 0, 1, 0, out, count)
                    XCTAssertEqual(Int32(out[count - 1]), (3 * sums[count - 1]) & 0xFF)
                }
            }
        }
    }

    /// Both byte lookups over input and output rows of exactly `count` bytes and tables of 256 entries.
    func testByteLookupStaysInItsRowsAndTable() {
        for flushEnd in [true, false] {
            let table = GuardedBytes(count: 256 * 4, flushEnd: flushEnd)
            let entries = table.pointer.bindMemory(to: Int32.self, capacity: 256)
            for index in 0..<256 { entries[index] = Int32(255 - index) }
            let byteTable = GuardedBytes(count: 256, flushEnd: flushEnd)
            for index in 0..<256 { byteTable.pointer.storeBytes(of: UInt8(255 - index), toByteOffset: index, as: UInt8.self) }
            for count in [Int](1...40) + [63, 64, 65, 130] {
                let input = GuardedBytes(count: count, flushEnd: flushEnd)
                let bytes = input.pointer.bindMemory(to: UInt8.self, capacity: count)
                for index in 0..<count { bytes[index] = UInt8(255 - index) }
                let output = GuardedBytes(count: count, flushEnd: flushEnd)
                let out = output.pointer.bindMemory(to: UInt8.self, capacity: count)
                steerlens_lookup_bytes_avx512(bytes, entries, out, count)
                XCTAssertEqual(out[count - 1], UInt8(count - 1))
                if VectorSupport.avx512vbmi {
                    out[count - 1] = 0
                    steerlens_lookup_bytes_vbmi(bytes, byteTable.pointer.bindMemory(to: UInt8.self, capacity: 256), out, count)
                    XCTAssertEqual(out[count - 1], UInt8(count - 1), "byte permutes")
                }
            }
        }
    }

    /// The median filter's rows as `MedianFilter` pads them (`spare` bytes past each padded row and past
    /// the output): widths 1…32 leave every tail of the 32-byte blocks, and with 43 and 64 of the 64-byte ones.
    func testMedianStaysInThePaddedRows() throws {
        try XCTSkipUnless(VectorSupport.avx2, "this CPU does not run AVX2; the portable loop ran instead")
        for flushEnd in [true, false] {
            for size in [3, 5, 7] {
                let network = MedianFilter.network(size * size), radius = size / 2, rows = 2
                let pairs = network.flatMap { [Int32($0.0), Int32($0.1)] }
                for width in [Int](1...32) + [43, 64] {
                    let spare = MedianFilter.spare
                    let rowLength = width * 3, paddedLength = (width + 2 * radius) * 3 + spare, count = (rows + 2 * radius) * paddedLength
                    let padded = GuardedBytes(count: count, flushEnd: flushEnd)
                    let source = padded.pointer.bindMemory(to: UInt8.self, capacity: count)
                    for index in 0..<count { source[index] = UInt8(index % 239) }
                    let output = GuardedBytes(count: rows * rowLength + spare, flushEnd: flushEnd)
                    let out = output.pointer.bindMemory(to: UInt8.self, capacity: rows * rowLength + spare)
                    for row in 0..<rows {
                        steerlens_median_row_avx2(source + row * paddedLength, paddedLength, size, pairs, network.count, size * size / 2, out + row * rowLength, rowLength)
                        if VectorSupport.avx512bw {
                            steerlens_median_row_avx512bw(source + row * paddedLength, paddedLength, size, pairs, network.count, size * size / 2,
                                                          out + row * rowLength, rowLength)
                        }
                    }
                }
            }
        }
    }
}
