import Foundation

/// A minimal reader for NumPy `.npy` arrays (format versions 1–3, C order, little-endian
/// float32/float64/uint8), enough for the reference tensors written by the fixture generators.
/// See https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html.
struct NPYArray {
    var shape: [Int]
    var values: [Float]

    enum ReadError: Error, CustomStringConvertible {
        case invalid(String)
        var description: String { switch self { case .invalid(let why): "bad .npy: \(why)" } }
    }

    init(contentsOf url: URL) throws {
        try self.init(data: try Data(contentsOf: url))
    }

    init(data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw ReadError.invalid("missing magic")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else {
            guard bytes.count >= 12 else { throw ReadError.invalid("short header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        }
        guard bytes.count >= headerStart + headerLength else { throw ReadError.invalid("short header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let range = header.range(of: "'\(key)':") else { return nil }
            return String(header[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descr = field("descr").flatMap({ $0.split(separator: "'").first.map(String.init) }) else {
            throw ReadError.invalid("no descr in \(header)")
        }
        if let order = field("fortran_order"), order.hasPrefix("True") { throw ReadError.invalid("Fortran order") }
        guard let shapeText = field("shape"), let open = shapeText.firstIndex(of: "("), let close = shapeText.firstIndex(of: ")") else {
            throw ReadError.invalid("no shape in \(header)")
        }
        shape = shapeText[shapeText.index(after: open)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.compactMap { Int($0) }
        let count = shape.reduce(1, *)
        let payload = Array(bytes[(headerStart + headerLength)...])
        switch descr {
        case "<f4":
            guard payload.count >= count * 4 else { throw ReadError.invalid("short payload") }
            values = (0..<count).map { i in
                Float(bitPattern: UInt32(payload[4 * i]) | UInt32(payload[4 * i + 1]) << 8 | UInt32(payload[4 * i + 2]) << 16 | UInt32(payload[4 * i + 3]) << 24)
            }
        case "<f8":
            guard payload.count >= count * 8 else { throw ReadError.invalid("short payload") }
            values = (0..<count).map { i in
                var bits: UInt64 = 0
                for b in 0..<8 { bits |= UInt64(payload[8 * i + b]) << (8 * UInt64(b)) }
                return Float(Double(bitPattern: bits))
            }
        case "|u1", "<u1":
            guard payload.count >= count else { throw ReadError.invalid("short payload") }
            values = payload.prefix(count).map { Float($0) }
        default:
            throw ReadError.invalid("unsupported dtype \(descr)")
        }
    }

    /// Reads `name.npy` from an `.npz` (zip) archive with the system `unzip`; nil when unzip is unavailable.
    static func fromArchive(_ archive: URL, member name: String) throws -> NPYArray? {
        let candidates = ["/usr/bin/unzip", "/bin/unzip", "/opt/homebrew/bin/unzip", "/usr/local/bin/unzip"]
        guard let unzip = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: unzip)
        process.arguments = ["-p", archive.path, "\(name).npy"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ReadError.invalid("unzip -p \(archive.lastPathComponent) \(name).npy failed") }
        return try NPYArray(data: data)
    }
}

/// Element-wise comparison in the style of llm.c's test_gpt2.c: counts elements outside
/// `|a − b| ≤ atol + rtol·|b|`, reports the first mismatches and the max absolute difference.
struct TensorComparison: CustomStringConvertible {
    let label: String
    let count: Int
    let mismatches: Int
    let maxAbsoluteDifference: Float
    /// max |a − b| / max |b|: the error relative to the tensor's scale.
    let maxRelativeToScale: Float
    let firstMismatches: [String]

    init(_ label: String, actual: [Float], expected: [Float], shape: [Int], atol: Float = 1e-5, rtol: Float = 1e-4) {
        self.label = label
        count = expected.count
        var mismatches = 0
        var maxDifference: Float = 0
        var first: [String] = []
        let scale = expected.map(abs).max() ?? 0
        for index in 0..<min(actual.count, expected.count) {
            let difference = abs(actual[index] - expected[index])
            if !(difference <= maxDifference) { maxDifference = difference.isNaN ? .nan : max(maxDifference, difference) }
            if !(difference <= atol + rtol * abs(expected[index])) {
                mismatches += 1
                if first.count < 5 {
                    first.append("[\(Self.position(index, shape))] got \(actual[index]) expected \(expected[index])")
                }
            }
        }
        if actual.count != expected.count { mismatches += abs(actual.count - expected.count) }
        self.mismatches = mismatches
        maxAbsoluteDifference = maxDifference
        maxRelativeToScale = scale > 0 ? maxDifference / scale : maxDifference
        firstMismatches = first
    }

    var passed: Bool { mismatches == 0 }

    var description: String {
        "\(label): \(mismatches)/\(count) mismatches, max |diff| \(maxAbsoluteDifference), max |diff|/max|ref| \(maxRelativeToScale)"
            + (firstMismatches.isEmpty ? "" : "; first: " + firstMismatches.joined(separator: "; "))
    }

    private static func position(_ flat: Int, _ shape: [Int]) -> String {
        var index = flat
        var parts: [Int] = []
        for extent in shape.reversed() where extent > 0 {
            parts.append(index % extent)
            index /= extent
        }
        return parts.reversed().map(String.init).joined(separator: ",")
    }
}
