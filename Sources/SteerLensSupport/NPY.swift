import Foundation

/// A NumPy `.npy` array of Float32 values: the exchange format for maps, gradients and reference tensors.
///
/// Writes format 1.0, little-endian `<f4`, C order. Reads formats 1–3 with `<f4`, `<f8` (converted to
/// Float) and `|u1`. See https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html.
public struct NPYArray: Sendable, Equatable {
    /// Extent of each axis, outermost first (C order).
    public var shape: [Int]
    /// `shape.reduce(1, *)` values in C order.
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values do not fill shape \(shape)")
        self.shape = shape
        self.values = values
    }

    /// The file bytes: magic, version 1.0, a header padded so the data starts on a 64-byte boundary, data.
    public func encoded() -> Data {
        var data = Self.header(descr: "<f4", shape: shape)
        values.withUnsafeBufferPointer { buffer in
            // Float32 is little-endian on every platform Swift runs SteerLens on (x86-64, arm64).
            data.append(UnsafeBufferPointer(start: UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt8.self), count: buffer.count * 4))
        }
        return data
    }

    /// A version-1.0 `.npy` header for C-order data of `descr` (`<f4`, `|u1`, …) and `shape`, padded with
    /// spaces so the data starts at a multiple of `alignment` bytes.
    public static func header(descr: String, shape: [Int], alignment: Int = 64) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var text = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + text.utf8.count + 1
        text += String(repeating: " ", count: (alignment - unpadded % alignment) % alignment) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(text.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(text.utf8))
        return data
    }

    /// Writes the array atomically to `url`.
    public func write(to url: URL) throws {
        try AtomicFile.write(encoded(), to: url)
    }

    public init(contentsOf url: URL) throws {
        try self.init(data: try Data(contentsOf: url))
    }

    /// Parses `.npy` bytes.
    /// - Throws: ``NPYError`` for anything that is not a C-order `<f4`/`<f8`/`|u1` array.
    public init(data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else { throw NPYError("missing the \\x93NUMPY magic") }
        let (headerStart, headerLength): (Int, Int)
        if bytes[6] == 1 {
            (headerStart, headerLength) = (10, Int(bytes[8]) | Int(bytes[9]) << 8)
        } else {
            guard bytes.count >= 12 else { throw NPYError("short header") }
            (headerStart, headerLength) = (12, Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24)
        }
        guard bytes.count >= headerStart + headerLength else { throw NPYError("short header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let range = header.range(of: "'\(key)':") else { return nil }
            return String(header[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descr = field("descr").flatMap({ $0.split(separator: "'").first.map(String.init) }) else { throw NPYError("no descr in \(header)") }
        if let order = field("fortran_order"), order.hasPrefix("True") { throw NPYError("Fortran order is not supported") }
        let shape = try Self.shape(in: field("shape"), header: header)
        // The element count, checked for overflow: a crafted header can declare any dimensions.
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow, product <= bytes.count else { throw NPYError("shape \(shape) is larger than the file") }
            count = product
        }
        let payload = bytes[(headerStart + headerLength)...]
        let base = payload.startIndex
        func little(_ offset: Int, _ width: Int) -> UInt64 {
            (0..<width).reduce(UInt64(0)) { $0 | UInt64(payload[base + offset + $1]) << (8 * UInt64($1)) }
        }
        let values: [Float]
        switch descr {
        case "<f4":
            guard payload.count >= count * 4 else { throw NPYError("payload shorter than shape \(shape)") }
            values = (0..<count).map { Float(bitPattern: UInt32(little(4 * $0, 4))) }
        case "<f8":
            guard payload.count >= count * 8 else { throw NPYError("payload shorter than shape \(shape)") }
            values = (0..<count).map { Float(Double(bitPattern: little(8 * $0, 8))) }
        case "|u1", "<u1":
            guard payload.count >= count else { throw NPYError("payload shorter than shape \(shape)") }
            values = payload.prefix(count).map { Float($0) }
        default:
            throw NPYError("unsupported dtype \(descr)")
        }
        self.init(shape: shape, values: values)
    }

    /// The dimensions of a header's `'shape': (a, b, …)` tuple; every one a non-negative integer.
    private static func shape(in text: String?, header: String) throws -> [Int] {
        guard let text, let open = text.firstIndex(of: "("), let close = text[open...].firstIndex(of: ")") else {
            throw NPYError("no shape in \(header)")
        }
        let fields = text[text.index(after: open)..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return try fields.map { field in
            guard let extent = Int(field), extent >= 0 else { throw NPYError("shape dimension '\(field)' is not a non-negative integer") }
            return extent
        }
    }
}

/// A `.npy` file SteerLens cannot read.
public struct NPYError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = "bad .npy: \(description)" }
}

/// Streams a Float32 `.npy` array whose first dimension grows as rows are appended: constant memory for
/// per-frame records of any length. The header is rewritten with the final row count in ``finish()``;
/// until then the file sits under a temporary name.
public final class NPYStreamWriter {
    public let url: URL
    /// Shape of one row (the array's shape without its first dimension).
    public let rowShape: [Int]
    public private(set) var rows = 0
    private let temporary: URL
    private let handle: FileHandle
    /// Fixed header size, so the final header fits where the placeholder was.
    private static let headerLength = 128

    public init(url: URL, rowShape: [Int]) throws {
        self.url = url
        self.rowShape = rowShape
        temporary = AtomicFile.temporaryURL(besides: url)
        try OutputError.wrap(url.path, kind: .cannotCreateOutput) {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        }
        guard FileManager.default.createFile(atPath: temporary.path, contents: Self.header(rows: 0, rowShape: rowShape)),
              let handle = FileHandle(forWritingAtPath: temporary.path) else {
            throw OutputError(path: url.path, kind: .cannotCreateOutput, reason: "cannot create the file")
        }
        self.handle = handle
        handle.seekToEndOfFile()
    }

    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(at: temporary)
    }

    /// Appends one row of `rowShape.reduce(1, *)` values.
    public func append(_ values: [Float]) throws {
        precondition(values.count == rowShape.reduce(1, *), "row has \(values.count) values, expected shape \(rowShape)")
        let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
        do { try handle.write(contentsOf: data) } catch {
            throw OutputError(path: url.path, kind: .ioError, reason: AtomicFile.reason(error))
        }
        rows += 1
    }

    /// Writes the final header and moves the file into place.
    public func finish() throws {
        do {
            try handle.seek(toOffset: 0)
            try handle.write(contentsOf: Self.header(rows: rows, rowShape: rowShape))
            try handle.close()
        } catch {
            throw OutputError(path: url.path, kind: .ioError, reason: AtomicFile.reason(error))
        }
        try AtomicFile.commit(temporary, to: url)
    }

    static func header(rows: Int, rowShape: [Int]) -> Data {
        let data = NPYArray.header(descr: "<f4", shape: [rows] + rowShape, alignment: headerLength)
        precondition(data.count == headerLength, "shape \([rows] + rowShape) does not fit the fixed \(headerLength)-byte header")
        return data
    }
}
