/// A length-limited prefix code for DEFLATE (RFC 1951 §3.2.2): code lengths from symbol frequencies,
/// and the canonical codes those lengths define, bit-reversed because DEFLATE packs Huffman codes
/// starting with their most significant bit into an LSB-first bit stream.
struct HuffmanCode {
    /// Bits per symbol (0 = symbol unused).
    let lengths: [UInt8]
    /// Each symbol's code, bit-reversed, ready to be OR-ed into an LSB-first bit buffer.
    let reversedCodes: [UInt16]

    /// The optimal prefix code for `frequencies` with no code longer than `maxLength` bits. Unused symbols
    /// get length 0; when fewer than two symbols are used, the code is completed with a second symbol
    /// (a one-symbol code of length 1 is incomplete, which some inflaters reject).
    init(frequencies: [Int], maxLength: Int) {
        lengths = Self.lengths(frequencies: frequencies, maxLength: maxLength)
        reversedCodes = Self.canonicalCodes(lengths)
    }

    init(lengths: [UInt8]) {
        self.lengths = lengths
        reversedCodes = Self.canonicalCodes(lengths)
    }

    /// Huffman's construction (two queues over the symbols sorted by frequency), then the lengths limited
    /// to `maxLength` the way miniz/zlib do it: overlong codes fold into the longest allowed length and
    /// shorter codes are split until the Kraft sum is exactly 1; the most frequent symbols keep the
    /// shortest lengths.
    private static func lengths(frequencies: [Int], maxLength: Int) -> [UInt8] {
        var used = frequencies.indices.filter { frequencies[$0] > 0 }
        if used.count < 2 {
            let filler = used.first == 0 ? 1 : 0
            used = Array(Set(used + [filler])).sorted()
        }
        used.sort { (frequencies[$0], $0) < (frequencies[$1], $1) }
        // Leaves 0..<n in ascending frequency; internal nodes appended in creation order (also ascending).
        let n = used.count
        var weight = used.map { max(frequencies[$0], 1) }
        var parent = [Int](repeating: -1, count: 2 * n - 1)
        var nextLeaf = 0, nextNode = n
        weight.reserveCapacity(2 * n - 1)
        func takeSmallest() -> Int {
            if nextLeaf < n && (nextNode >= weight.count || weight[nextLeaf] <= weight[nextNode]) {
                defer { nextLeaf += 1 }
                return nextLeaf
            }
            defer { nextNode += 1 }
            return nextNode
        }
        for node in n..<(2 * n - 1) {
            let first = takeSmallest(), second = takeSmallest()
            weight.append(weight[first] + weight[second])
            parent[first] = node
            parent[second] = node
        }
        var depth = [Int](repeating: 0, count: 2 * n - 1)
        for node in stride(from: 2 * n - 3, through: 0, by: -1) { depth[node] = depth[parent[node]] + 1 }

        var countPerLength = [Int](repeating: 0, count: max(maxLength, depth.max()!) + 1)
        for leaf in 0..<n { countPerLength[depth[leaf]] += 1 }
        for length in stride(from: countPerLength.count - 1, to: maxLength, by: -1) {
            countPerLength[maxLength] += countPerLength[length]
            countPerLength[length] = 0
        }
        var kraft = 0
        for length in 1...maxLength { kraft += countPerLength[length] << (maxLength - length) }
        while kraft > 1 << maxLength {
            countPerLength[maxLength] -= 1
            for length in stride(from: maxLength - 1, through: 1, by: -1) where countPerLength[length] > 0 {
                countPerLength[length] -= 1
                countPerLength[length + 1] += 2
                break
            }
            kraft -= 1
        }
        var result = [UInt8](repeating: 0, count: frequencies.count)
        var leaf = n - 1 // most frequent first
        for length in 1...maxLength {
            for _ in 0..<countPerLength[length] {
                result[used[leaf]] = UInt8(length)
                leaf -= 1
            }
        }
        return result
    }

    /// RFC 1951 §3.2.2: codes of one length are consecutive integers in symbol order, and shorter codes
    /// lexicographically precede longer ones.
    private static func canonicalCodes(_ lengths: [UInt8]) -> [UInt16] {
        let longest = Int(lengths.max() ?? 0)
        var countPerLength = [Int](repeating: 0, count: longest + 1)
        for length in lengths where length > 0 { countPerLength[Int(length)] += 1 }
        var nextCode = [Int](repeating: 0, count: longest + 2)
        var code = 0
        for length in stride(from: 1, through: longest, by: 1) {
            code = (code + countPerLength[length - 1]) << 1
            nextCode[length] = code
        }
        return lengths.map { length in
            guard length > 0 else { return 0 }
            let value = nextCode[Int(length)]
            nextCode[Int(length)] += 1
            var reversed = 0
            for bit in 0..<Int(length) where value >> bit & 1 == 1 { reversed |= 1 << (Int(length) - 1 - bit) }
            return UInt16(reversed)
        }
    }
}
