import XCTest
import CZlib
@testable import VideoIO
import SteerLensSupport
import Foundation

/// The run-length DEFLATE coder behind PNG level 1: its streams inflate with zlib (the inflater libpng and
/// browsers' PNG decoders build on) to exactly the input, at the edges of its tokeniser, and its Huffman
/// codes are complete, length-limited and canonical.
final class RunLengthDeflateTests: XCTestCase {
    /// Rows with runs longer than one match (258), runs that end at a row's end or one or two bytes short
    /// of a match, runs of non-zero bytes, runs interrupted every few bytes, noise, and rows shorter than
    /// the tokeniser's 8-byte words.
    func testStreamsInflateToTheInputAtTheTokenisersEdges() {
        var random = SeededRandom(seed: 11)
        let rows: [(name: String, rowLength: Int, bytes: (Int) -> UInt8)] = [
            ("one flat row of 3841", 3841, { _ in 0 }),
            ("runs of 259 and 260", 2 * 261 + 1, { $0 == 0 || $0 == 261 ? 9 : 5 }),
            ("run to the row end", 64, { $0 < 20 ? UInt8($0) : 200 }),
            ("runs broken every 7 bytes", 700, { $0 % 7 == 0 ? 1 : 0 }),
            ("runs broken every 9 bytes", 700, { $0 % 9 == 0 ? 1 : 0 }),
            ("noise", 997, { _ in UInt8(random.next() & 0xFF) }),
            ("short rows", 5, { $0 % 2 == 0 ? 0 : 3 }),
            ("one-byte rows", 1, { _ in 7 }),
        ]
        for (name, rowLength, byte) in rows {
            for rowCount in [1, 3] {
                let input = (0..<(rowLength * rowCount)).map { byte($0 % rowLength == 0 ? 0 : $0) }
                let stream = compress(input, rowLength: rowLength)
                let inflated = inflate(stream, count: input.count)
                XCTAssertTrue(inflated == input, "\(name), \(rowCount) rows: \(inflated.count) bytes inflated, \(input.count) expected, first difference at byte \(zip(inflated, input).prefix { $0 == $1 }.count)")
            }
        }
    }

    /// Tall images take their code from every 4th row: bytes and run lengths that only the other rows
    /// hold still have codes.
    func testSymbolsOutsideTheSampledRowsStillInflate() {
        let rowLength = 301
        var input = [UInt8](repeating: 0, count: rowLength * 100)
        for row in stride(from: 1, to: 100, by: 4) {
            input[row * rowLength + 7] = UInt8(row)            // literals only in unsampled rows
            for x in 20..<(20 + row) { input[row * rowLength + x] = 200 } // runs of every length 1…99
        }
        XCTAssertTrue(inflate(compress(input, rowLength: rowLength), count: input.count) == input)
    }

    /// Literal codes join four to a flush when none is longer than 14 bits, else three. Bytes with
    /// Fibonacci frequencies make the code `compress` builds reach 15 bits, and the rarest bytes, written
    /// next to each other at the end, put four 15-bit codes in a row (60 bits: more than a flush of four
    /// holds beside 7 pending bits); noise gives short codes (the four-code path).
    func testLiteralsInflateWithLongAndShortCodes() {
        var fibonacci = [1, 1]
        while fibonacci.count < 30 { fibonacci.append(fibonacci[fibonacci.count - 1] + fibonacci[fibonacci.count - 2]) }
        var random = SeededRandom(seed: 5)
        var skewed = fibonacci.enumerated().flatMap { [UInt8](repeating: UInt8($0.offset), count: $0.element) }
        skewed.shuffle(using: &random)
        skewed += [0, 1, 2, 3, 0, 1, 2, 3]
        let code = skewed.withUnsafeBufferPointer { RunLengthDeflate.literalCode($0, rowLength: skewed.count) }
        XCTAssertEqual((0...3).map { code.lengths[$0] }, [15, 15, 15, 15], "the premise: the four rarest bytes have 15-bit codes")
        let noise = (0..<50_001).map { _ in UInt8(random.next() & 0xFF) }
        XCTAssertLessThanOrEqual(noise.withUnsafeBufferPointer { RunLengthDeflate.literalCode($0, rowLength: noise.count) }.lengths.max()!, 14)
        for (name, input) in [("Fibonacci frequencies", skewed), ("noise", noise)] {
            XCTAssertTrue(inflate(compress(input, rowLength: input.count), count: input.count) == input, "\(name), one row")
        }
        for length in [2, 3, 4, 5, 7] {
            let prefix = Array(noise.prefix(noise.count / length * length))
            XCTAssertTrue(inflate(compress(prefix, rowLength: prefix.count / length), count: prefix.count) == prefix, "noise, \(length) rows")
        }
    }

    /// A flat image compresses to a few bytes per row (runs), noise to about one byte per byte (literals).
    func testRunsAreUsedAndNoiseIsNotExpanded() {
        let flat = [UInt8](repeating: 0, count: 3841 * 100)
        XCTAssertLessThan(compress(flat, rowLength: 3841).count, 100 * 40)
        var random = SeededRandom(seed: 3)
        let noise = (0..<100_000).map { _ in UInt8(random.next() & 0xFF) }
        XCTAssertLessThan(compress(noise, rowLength: 1000).count, 101_000)
    }

    /// Frequencies growing like Fibonacci numbers make Huffman's tree 30 levels deep: the limited code
    /// has no length over 15, satisfies Kraft's equality (a complete code), and gives the rarer symbol
    /// a length at least as long as the commoner one.
    func testCodesAreLengthLimitedCompleteAndOrdered() {
        var fibonacci = [1, 1]
        while fibonacci.count < 30 { fibonacci.append(fibonacci[fibonacci.count - 1] + fibonacci[fibonacci.count - 2]) }
        for frequencies in [fibonacci, [5, 0, 0, 9], [0, 4, 0], [3, 3, 3, 3, 3]] {
            let code = HuffmanCode(frequencies: frequencies, maxLength: 15)
            XCTAssertLessThanOrEqual(Int(code.lengths.max()!), 15)
            let kraft = code.lengths.filter { $0 > 0 }.reduce(0.0) { $0 + pow(2, -Double($1)) }
            XCTAssertEqual(kraft, 1, accuracy: 1e-12, "\(frequencies)")
            for a in frequencies.indices where frequencies[a] > 0 {
                for b in frequencies.indices where frequencies[b] > frequencies[a] { XCTAssertLessThanOrEqual(code.lengths[b], code.lengths[a]) }
            }
        }
        // RFC 1951 §3.2.2's example: lengths (3, 3, 3, 3, 3, 2, 4, 4) give codes 010 011 100 101 110 00 1110 1111.
        let example = HuffmanCode(lengths: [3, 3, 3, 3, 3, 2, 4, 4])
        let expected: [UInt16] = [0b010, 0b011, 0b100, 0b101, 0b110, 0b00, 0b1110, 0b1111]
        for (symbol, code) in expected.enumerated() {
            let length = Int(example.lengths[symbol])
            let reversed = (0..<length).reduce(UInt16(0)) { $0 | (code >> $1 & 1) << (length - 1 - $1) }
            XCTAssertEqual(example.reversedCodes[symbol], reversed, "symbol \(symbol)")
        }
    }

    func testLevelOneIsTheRunLengthCoderAndOtherLevelsLibdeflate() {
        XCTAssertEqual(PNGDeflate(compressionLevel: 1), .runLength)
        XCTAssertEqual(PNGDeflate(compressionLevel: 0), .libdeflate(level: 0))
        XCTAssertEqual(PNGDeflate(compressionLevel: 9), .libdeflate(level: 9))
    }

    private func compress(_ input: [UInt8], rowLength: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: RunLengthDeflate.bound(input.count))
        let count = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { RunLengthDeflate.compress(source, rowLength: rowLength, into: $0.baseAddress!) }
        }
        return Array(output[..<count])
    }

    /// zlib's `uncompress` (checks the zlib header and the Adler-32 too), into a buffer one byte larger
    /// than expected so extra output shows.
    private func inflate(_ stream: [UInt8], count: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: count + 1)
        var length = uLongf(output.count)
        let status = uncompress(&output, &length, stream, uLong(stream.count))
        XCTAssertEqual(status, Z_OK, "zlib uncompress")
        return Array(output[..<Int(length)])
    }
}
