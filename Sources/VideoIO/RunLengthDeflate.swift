internal import CDeflate

/// A fast zlib stream (RFC 1950/1951) for PNG image data: one DEFLATE block with dynamic Huffman codes
/// whose only back-references are runs — a byte repeated, i.e. matches at distance 1 (zlib's `Z_RLE`
/// strategy, and the idea behind fpnge). On filtered images every flat area becomes a run of zeros, so
/// skipping a general LZ77 search makes encoding 3.5–5× faster than libdeflate's level 1, for files about
/// 17 % larger on `Paeth`-filtered camera frames (`steerlens-bench png`).
///
/// Rows (`rowLength` bytes: a PNG filter byte and the filtered pixels) are tokenised independently and
/// eight bytes at a time: where eight bytes all repeat the byte before them a run starts, extends to the
/// first differing byte (never into the next row), and is sent as matches of 3…258 bytes; other bytes
/// are literals. Two passes: symbol frequencies, then the codes.
enum RunLengthDeflate {
    /// The most bytes `compress` writes for `count` input bytes: a 15-bit code per byte at worst, plus
    /// headers (under 600 bytes) and the 8 bytes the bit writer stores past its cursor.
    static func bound(_ count: Int) -> Int { count * 2 + 1024 }

    /// Writes the zlib stream of `input` to `output` (at least ``bound(_:)`` bytes); returns its length.
    static func compress(_ input: UnsafeBufferPointer<UInt8>, rowLength: Int, into output: UnsafeMutablePointer<UInt8>) -> Int {
        precondition(rowLength > 0 && input.count % rowLength == 0, "rows of \(rowLength) bytes")
        let literalCode = literalCode(input, rowLength: rowLength)
        // Distance codes 0 (distance 1) and 1, one bit each: a complete code; only code 0 is ever sent.
        let distanceCode = HuffmanCode(lengths: [1, 1])

        var writer = BitWriter(output)
        writer.write(0x78, bits: 8) // CMF: deflate, 32 KiB window
        writer.write(0x01, bits: 8) // FLG: fastest, check bits make CMF·256 + FLG a multiple of 31
        writer.write(1, bits: 1) // BFINAL
        writer.write(2, bits: 2) // BTYPE = dynamic Huffman codes
        writeCodeLengths(literal: literalCode.lengths, distance: distanceCode.lengths, to: &writer)

        // Table entries: code bits | bit count << 32; a run's entry holds its length code, extra bits
        // and distance code.
        let literalEntries = (0..<256).map { UInt64(literalCode.reversedCodes[$0]) | UInt64(literalCode.lengths[$0]) << 32 }
        var runEntries = [UInt64](repeating: 0, count: 259)
        for length in 3...258 {
            let (symbol, extraBits, extra) = lengthSymbols[length]
            let codeLength = Int(literalCode.lengths[Int(symbol)])
            var bits = UInt64(literalCode.reversedCodes[Int(symbol)]) | UInt64(extra) << codeLength
            bits |= UInt64(distanceCode.reversedCodes[0]) << (codeLength + Int(extraBits))
            runEntries[length] = bits | UInt64(codeLength + Int(extraBits) + 1) << 32
        }
        // Codes of at most 14 bits fit four to a flush (56 bits and 7 pending), else three (45).
        let fourPerFlush = literalCode.lengths.max()! <= 14
        literalEntries.withUnsafeBufferPointer { literals in
            runEntries.withUnsafeBufferPointer { runs in
                let table = literals.baseAddress!
                tokenise(input, rowLength: rowLength,
                         literals: { start, count in
                             var byte = start
                             let end = start + count
                             // The codes of a flush are joined first (independent of the bit buffer), then
                             // added at once: one dependent shift per flush instead of one per code.
                             func code(_ offset: Int) -> BitWriter.Code { BitWriter.Code(entry: table[Int(byte[offset])]) }
                             if fourPerFlush {
                                 while byte + 4 <= end {
                                     writer.add(code(0).then(code(1)).then(code(2).then(code(3))))
                                     writer.flush()
                                     byte += 4
                                 }
                             }
                             while byte + 3 <= end {
                                 writer.add(code(0).then(code(1)).then(code(2)))
                                 writer.flush()
                                 byte += 3
                             }
                             while byte < end {
                                 writer.add(entry: table[Int(byte[0])])
                                 writer.flush()
                                 byte += 1
                             }
                         },
                         run: { writer.add(entry: runs[$0]); writer.flush() })
            }
        }
        writer.write(UInt64(literalCode.reversedCodes[256]), bits: Int(literalCode.lengths[256]))
        writer.alignToByte()
        let adler = libdeflate_adler32(1, input.baseAddress, input.count)
        for shift in [24, 16, 8, 0] { writer.write(UInt64(adler >> UInt32(shift) & 0xFF), bits: 8) }
        return writer.finish()
    }

    /// The literal/length code `compress` sends `input` with (lengths of at most 15 bits).
    static func literalCode(_ input: UnsafeBufferPointer<UInt8>, rowLength: Int) -> HuffmanCode {
        HuffmanCode(frequencies: frequencies(input, rowLength: rowLength), maxLength: 15)
    }

    /// Literal/length symbol frequencies of the tokens (0…255 literals, 256 end of block, 257…285 lengths);
    /// literals counted in four interleaved tables so repeated bytes do not serialise on one counter.
    /// From 64 rows up only every 4th row is counted (neighbouring rows of an image have the same
    /// statistics), and every symbol gets one count more so a symbol only the other rows use still has
    /// a code.
    private static func frequencies(_ input: UnsafeBufferPointer<UInt8>, rowLength: Int) -> [Int] {
        let rowStride = input.count / rowLength >= 64 ? 4 : 1
        var counts = [Int](repeating: 0, count: 4 * 256 + 286)
        counts.withUnsafeMutableBufferPointer { table in
            let literal = table.baseAddress!, symbol = table.baseAddress! + 4 * 256
            tokenise(input, rowLength: rowLength, rowStride: rowStride,
                     literals: { start, count in
                         var byte = start
                         let end = start + count
                         while byte + 4 <= end {
                             literal[Int(byte[0])] &+= 1
                             literal[256 + Int(byte[1])] &+= 1
                             literal[512 + Int(byte[2])] &+= 1
                             literal[768 + Int(byte[3])] &+= 1
                             byte += 4
                         }
                         while byte < end { literal[Int(byte[0])] &+= 1; byte += 1 }
                     },
                     run: { symbol[Int(lengthSymbols[$0].symbol)] &+= 1 })
        }
        var frequencies = Array(counts[(4 * 256)...])
        for byte in 0..<256 { frequencies[byte] = counts[byte] + counts[256 + byte] + counts[512 + byte] + counts[768 + byte] }
        if rowStride > 1 { frequencies = frequencies.map { $0 * rowStride + 1 } }
        frequencies[256] = 1 // end of block
        return frequencies
    }

    /// Calls `literals(start, count)` for stretches of literal bytes and `run(length)` for 3…258 bytes equal
    /// to the byte before them, covering the input's rows in order (every `rowStride`-th row); rows are
    /// tokenised alike in every pass.
    @inline(__always)
    private static func tokenise(_ input: UnsafeBufferPointer<UInt8>, rowLength: Int, rowStride: Int = 1,
                                 literals: (UnsafePointer<UInt8>, Int) -> Void, run: (Int) -> Void) {
        var row = input.baseAddress!
        let inputEnd = row + input.count
        while row < inputEnd {
            let rowEnd = row + rowLength
            var pending = row, index = row + 1
            while index + 8 <= rowEnd {
                let pattern = UInt64(index[-1]) &* 0x0101_0101_0101_0101
                guard UnsafeRawPointer(index).loadUnaligned(as: UInt64.self) == pattern else {
                    index += 8
                    continue
                }
                if pending < index { literals(pending, index - pending) }
                var length = 8
                while index + length + 8 <= rowEnd {
                    let difference = UnsafeRawPointer(index + length).loadUnaligned(as: UInt64.self) ^ pattern
                    if difference != 0 { length &+= difference.trailingZeroBitCount >> 3; break }
                    length &+= 8
                }
                while index + length < rowEnd && index[length] == index[-1] { length &+= 1 }
                index += length
                // Matches of 258 while more than 260 remain, so the last one or two are 3…258 long.
                while length > 0 {
                    let match = length > 258 ? (length - 258 < 3 ? length - 3 : 258) : length
                    run(match)
                    length &-= match
                }
                pending = index
            }
            if pending < rowEnd { literals(pending, rowEnd - pending) }
            row += min(rowLength * rowStride, inputEnd - row)
        }
    }

    /// RFC 1951 §3.2.7: the literal/length and distance code lengths, run-length coded with the code-length
    /// alphabet (16: repeat the previous length 3–6 times, 17: 3–10 zeros, 18: 11–138 zeros), which is
    /// itself Huffman coded with lengths of at most 7 bits, sent 3 bits each in a fixed order.
    private static func writeCodeLengths(literal: [UInt8], distance: [UInt8], to writer: inout BitWriter) {
        var literalCount = literal.count
        while literalCount > 257 && literal[literalCount - 1] == 0 { literalCount -= 1 }
        let lengths = Array(literal[..<literalCount]) + distance
        var symbols: [(symbol: Int, extra: Int, extraBits: Int)] = []
        var index = 0
        while index < lengths.count {
            let value = lengths[index]
            var repeatCount = 1
            while index + repeatCount < lengths.count && lengths[index + repeatCount] == value { repeatCount += 1 }
            index += repeatCount
            if value == 0 {
                while repeatCount >= 11 { let n = min(repeatCount, 138); symbols.append((18, n - 11, 7)); repeatCount -= n }
                if repeatCount >= 3 { symbols.append((17, repeatCount - 3, 3)); repeatCount = 0 }
            } else {
                symbols.append((Int(value), 0, 0))
                repeatCount -= 1
                while repeatCount >= 3 { let n = min(repeatCount, 6); symbols.append((16, n - 3, 2)); repeatCount -= n }
            }
            for _ in 0..<repeatCount { symbols.append((Int(value), 0, 0)) }
        }
        var frequencies = [Int](repeating: 0, count: 19)
        for entry in symbols { frequencies[entry.symbol] += 1 }
        let code = HuffmanCode(frequencies: frequencies, maxLength: 7)
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var orderCount = 19
        while orderCount > 4 && code.lengths[order[orderCount - 1]] == 0 { orderCount -= 1 }
        writer.write(UInt64(literalCount - 257), bits: 5)
        writer.write(UInt64(distance.count - 1), bits: 5)
        writer.write(UInt64(orderCount - 4), bits: 4)
        for symbol in order[..<orderCount] { writer.write(UInt64(code.lengths[symbol]), bits: 3) }
        for entry in symbols {
            writer.write(UInt64(code.reversedCodes[entry.symbol]), bits: Int(code.lengths[entry.symbol]))
            writer.write(UInt64(entry.extra), bits: entry.extraBits)
        }
    }

    /// RFC 1951 §3.2.5: the length symbol (257…285), its extra-bit count and extra value per match length.
    private static let lengthSymbols: [(symbol: UInt16, extraBits: UInt8, extra: UInt16)] = {
        let bases = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
        let extraBits: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        var table = [(symbol: UInt16, extraBits: UInt8, extra: UInt16)](repeating: (0, 0, 0), count: 259)
        for length in 3...258 {
            let index = length == 258 ? 28 : bases.lastIndex { $0 <= length && $0 != 258 }!
            table[length] = (UInt16(257 + index), extraBits[index], UInt16(length - bases[index]))
        }
        return table
    }()
}

/// An LSB-first bit stream (RFC 1951 §3.1.1) with a 64-bit buffer that is flushed without branches:
/// all 8 bytes are stored and the cursor moves by the whole bytes among them, so the output needs 8 bytes
/// of slack and at most 7 bits stay pending after a flush — room for 56 more before the next one.
private struct BitWriter {
    private let start: UnsafeMutablePointer<UInt8>
    private var cursor: UnsafeMutablePointer<UInt8>
    private var buffer: UInt64 = 0
    private var count = 0

    init(_ output: UnsafeMutablePointer<UInt8>) {
        start = output
        cursor = output
    }

    /// Adds the low `bits` bits of `value` without flushing (at most 56 bits between flushes).
    @inline(__always)
    mutating func add(_ value: UInt64, bits: Int) {
        buffer |= value &<< count
        count &+= bits
    }

    /// Adds a table entry (code bits in the low 32 bits, their count in the high 32) without flushing.
    @inline(__always)
    mutating func add(entry: UInt64) { add(Code(entry: entry)) }

    /// Bits to write and their count.
    struct Code {
        var bits: UInt64
        var count: UInt64

        /// A table entry's code.
        @inline(__always)
        init(entry: UInt64) { (bits, count) = (entry & 0xFFFF_FFFF, entry &>> 32) }

        @inline(__always)
        init(bits: UInt64, count: UInt64) { (self.bits, self.count) = (bits, count) }

        /// These bits followed by `next`'s (together at most 64).
        @inline(__always)
        func then(_ next: Code) -> Code { Code(bits: bits | next.bits &<< count, count: count &+ next.count) }
    }

    /// Adds `code` without flushing (at most 56 bits between flushes).
    @inline(__always)
    mutating func add(_ code: Code) { add(code.bits, bits: Int(truncatingIfNeeded: code.count)) }

    /// Stores the whole bytes of the buffer.
    @inline(__always)
    mutating func flush() {
        UnsafeMutableRawPointer(cursor).storeBytes(of: buffer.littleEndian, as: UInt64.self)
        let bytes = count &>> 3
        cursor += bytes
        buffer = bytes == 8 ? 0 : buffer &>> UInt64(bytes &* 8)
        count &= 7
    }

    /// Adds the low `bits` (≤ 56) bits of `value` and flushes.
    @inline(__always)
    mutating func write(_ value: UInt64, bits: Int) {
        add(value, bits: bits)
        flush()
    }

    /// Pads with zero bits to the next byte boundary.
    mutating func alignToByte() { write(0, bits: (8 - count % 8) % 8) }

    /// The stream's length in bytes (after ``alignToByte()``).
    mutating func finish() -> Int {
        precondition(count == 0)
        return cursor - start
    }
}
