import CVectorKernels
import SteerLensSupport
import TestSupport
@testable import VideoIO
import XCTest

/// The frame kernels stay inside the buffers their callers give them: each input and output sits flush
/// against an inaccessible page (after its end, then before its start), sized exactly as the caller
/// sizes it, so a read or write one byte outside faults and ends the test run. AddressSanitizer does not
/// see into these header loops, so this is their bounds check.
final class FrameKernelBoundsTests: XCTestCase {
    func bytes(_ count: Int, flushEnd: Bool, fill: (Int) -> UInt8 = { UInt8($0 % 251) }) -> GuardedBytes {
        let guarded = GuardedBytes(count: count, flushEnd: flushEnd)
        let target = guarded.pointer.bindMemory(to: UInt8.self, capacity: count)
        for index in 0..<count { target[index] = fill(index) }
        return guarded
    }

    /// The vertical pass over the last rows of a frame up to its last byte (and the first rows from its
    /// first byte), for crop widths leaving every tail; the horizontal pass over a blended row of exactly
    /// the crop's width, for every interpolation (gathering, and from register windows up to the row's end).
    func testResizePassesStayInTheirRows() throws {
        try XCTSkipUnless(VectorSupport.avx512, "this CPU (or valgrind) does not run AVX-512; the portable loops ran instead")
        let width = 37, height = 9, weights: [Float] = [0.25, 0.5, 0.25]
        for flushEnd in [true, false] {
            let frame = bytes(width * height * 3, flushEnd: flushEnd)
            let pixels = frame.pointer.bindMemory(to: UInt8.self, capacity: width * height * 3)
            // 1…16 leave every tail of a block (rows too short for a window: the gathering loop); 22, 29 and 37
            // are long enough for register windows (the output widths whose taps fit in one use them).
            for cropWidth in Array(1...16) + [22, 29, 37] {
                let count = cropWidth * 3
                // Bottom-right crop when the frame ends at the guard page, top-left when it starts there.
                let first = flushEnd ? pixels + ((height - 3) * width + width - cropWidth) * 3 : pixels
                let out = GuardedBytes(count: count * 4, flushEnd: flushEnd)
                let blended = out.pointer.bindMemory(to: Float.self, capacity: count)
                steerlens_weighted_rows_avx512(first, width * 3, weights, 3, blended, count)
                XCTAssertEqual(blended[count - 1], 0.25 * Float(first[count - 1]) + 0.5 * Float(first[width * 3 + count - 1]) + 0.25 * Float(first[2 * width * 3 + count - 1]))
                for interpolation in [Interpolation.area, .bilinear, .nearest] {
                    for outputWidth in [1, 5, cropWidth, 2 * cropWidth + 1] {
                        let lanes = Resampler.LaneTaps(Resampler.taps(source: cropWidth, destination: outputWidth, interpolation: interpolation))
                        let row = GuardedBytes(count: count * 4, flushEnd: flushEnd)
                        let values = row.floats((0..<count).map { Float($0 % 256) })
                        let result = GuardedBytes(count: outputWidth * 3, flushEnd: flushEnd)
                        lanes.apply(to: values, into: result.pointer.bindMemory(to: UInt8.self, capacity: outputWidth * 3))
                    }
                }
            }
        }
    }

    /// Overlay rows of every tail length, in place and not, with map values that must not index past the
    /// colour table (NaN, ±∞, huge, negative).
    func testOverlayRowStaysInItsRowAndTable() throws {
        try XCTSkipUnless(VectorSupport.avx512, "this CPU (or valgrind) does not run AVX-512; the portable loop ran instead")
        let special: [Float] = [.nan, .infinity, -.infinity, 1e30, -1e30, 1, 0, -0]
        for flushEnd in [true, false] {
            let table = GuardedBytes(count: 256 * 4, flushEnd: flushEnd)
            let colors = table.pointer.bindMemory(to: Int32.self, capacity: 256)
            for index in 0..<256 { colors[index] = Int32(index) * 0x010101 }
            for count in 1...40 {
                let map = GuardedBytes(count: count * 4, flushEnd: flushEnd)
                let values = map.floats((0..<count).map { special[$0 % special.count] })
                let frame = bytes(count * 3, flushEnd: flushEnd)
                let input = frame.pointer.bindMemory(to: UInt8.self, capacity: count * 3)
                let out = GuardedBytes(count: count * 3, flushEnd: flushEnd)
                steerlens_overlay_row_avx512(values, input, colors, 0.7, 0.3, out.pointer.bindMemory(to: UInt8.self, capacity: count * 3), count)
                steerlens_overlay_row_avx512(values, input, colors, 0.7, 0.3, input, count)
            }
        }
    }

    /// The `Paeth` filter over rows of 0…80 bytes: it reads `row` and `above` from their first byte to
    /// their last and writes `out` up to its last.
    func testPaethStaysInItsRows() throws {
        try XCTSkipUnless(VectorSupport.avx2, "this CPU does not run AVX2; the portable loop ran instead")
        for flushEnd in [true, false] {
            for rowBytes in 0...80 {
                let row = bytes(rowBytes, flushEnd: flushEnd), above = bytes(rowBytes, flushEnd: flushEnd) { UInt8(($0 * 7) % 256) }
                let out = GuardedBytes(count: rowBytes, flushEnd: flushEnd)
                steerlens_paeth_avx2(row.pointer.bindMemory(to: UInt8.self, capacity: rowBytes), above.pointer.bindMemory(to: UInt8.self, capacity: rowBytes),
                                     out.pointer.bindMemory(to: UInt8.self, capacity: rowBytes), rowBytes)
            }
        }
    }
}
