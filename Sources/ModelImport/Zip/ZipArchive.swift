import Foundation
internal import CZlib

/// A minimal reader of ZIP archives, enough for Keras 3 `.keras` files: the central directory, and
/// entries that are stored (method 0) or deflated (method 8, inflated with zlib), each checked against
/// its CRC-32. ZIP64, encryption, multi-disk archives and other methods are reported as errors.
///
/// Layout (PKWARE APPNOTE 6.3.x): the end-of-central-directory record (signature `PK\5\6`, within the
/// last 64 KiB + 22 bytes) gives the central directory's offset and entry count; each central entry
/// (`PK\1\2`) gives method, CRC, sizes and the local header offset; the data follows the local header
/// (`PK\3\4`, 30 bytes + name + extra). See https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT.
final class ZipArchive {
    struct Entry: Sendable {
        let name: String
        let method: UInt16
        let flags: UInt16
        let crc32: UInt32
        let compressedSize: UInt64
        let uncompressedSize: UInt64
        let localHeaderOffset: UInt64
    }

    /// Why an archive or entry cannot be read; the loader names the file.
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    let entries: [Entry]
    private let handle: FileHandle
    private let fileSize: UInt64

    /// Whether the file starts with a ZIP local header (`PK\3\4`).
    static func hasSignature(at url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data([0x50, 0x4B, 0x03, 0x04])
    }

    init(url: URL) throws {
        handle = try FileHandle(forReadingFrom: url)
        fileSize = try handle.seekToEnd()
        let tailLength = min(fileSize, 65_535 + 22)
        let tail = try Self.read(handle, at: fileSize - tailLength, count: Int(tailLength))
        guard let end = Self.lastIndex(of: [0x50, 0x4B, 0x05, 0x06], in: tail), end + 22 <= tail.count else {
            throw Failure("no ZIP end-of-central-directory record (not a zip file, or truncated)")
        }
        let record = tail[end...]
        let count = Int(record.uint16(at: 10)), size = UInt64(record.uint32(at: 12)), offset = UInt64(record.uint32(at: 16))
        guard count != 0xFFFF, size != 0xFFFF_FFFF, offset != 0xFFFF_FFFF else { throw Failure("ZIP64 archives are not supported") }
        guard record.uint16(at: 4) == 0, record.uint16(at: 6) == 0 else { throw Failure("multi-disk ZIP archives are not supported") }
        guard offset + size <= fileSize else { throw Failure("the central directory lies beyond the end of the file (truncated)") }
        let directory = try Self.read(handle, at: offset, count: Int(size))
        var entries: [Entry] = []
        var position = directory.startIndex
        for _ in 0..<count {
            guard position + 46 <= directory.endIndex, directory.uint32(at: position - directory.startIndex) == 0x0201_4B50 else {
                throw Failure("damaged central directory entry \(entries.count + 1)")
            }
            let at = position - directory.startIndex
            let nameLength = Int(directory.uint16(at: at + 28)), extraLength = Int(directory.uint16(at: at + 30))
            let commentLength = Int(directory.uint16(at: at + 32))
            guard position + 46 + nameLength <= directory.endIndex else { throw Failure("damaged central directory entry \(entries.count + 1)") }
            let nameBytes = directory[(position + 46)..<(position + 46 + nameLength)]
            entries.append(Entry(
                name: String(decoding: nameBytes, as: UTF8.self), method: directory.uint16(at: at + 10), flags: directory.uint16(at: at + 8),
                crc32: directory.uint32(at: at + 16), compressedSize: UInt64(directory.uint32(at: at + 20)),
                uncompressedSize: UInt64(directory.uint32(at: at + 24)), localHeaderOffset: UInt64(directory.uint32(at: at + 42))))
            position += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }

    deinit { try? handle.close() }

    func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// The whole uncompressed content of a (small) entry.
    func data(of entry: Entry) throws -> Data {
        var result = Data()
        try extract(entry) { result.append(contentsOf: $0) }
        return result
    }

    /// Streams the uncompressed content of `entry` to `sink` in chunks, then checks size and CRC-32.
    func extract(_ entry: Entry, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard entry.flags & 1 == 0 else { throw Failure("'\(entry.name)' is encrypted") }
        guard entry.compressedSize != 0xFFFF_FFFF, entry.uncompressedSize != 0xFFFF_FFFF else {
            throw Failure("'\(entry.name)' needs ZIP64, which is not supported")
        }
        let header = try Self.read(handle, at: entry.localHeaderOffset, count: 30)
        guard header.count == 30, header.uint32(at: 0) == 0x0403_4B50 else { throw Failure("damaged local header of '\(entry.name)'") }
        var offset = entry.localHeaderOffset + 30 + UInt64(header.uint16(at: 26)) + UInt64(header.uint16(at: 28))
        guard offset + entry.compressedSize <= fileSize else { throw Failure("'\(entry.name)' is cut short (truncated file)") }
        var crc = crc32(0, nil, 0)
        var produced: UInt64 = 0
        let checkedSink: (UnsafeRawBufferPointer) throws -> Void = { chunk in
            crc = crc32(crc, chunk.bindMemory(to: Bytef.self).baseAddress, uInt(chunk.count))
            produced += UInt64(chunk.count)
            try sink(chunk)
        }
        var remaining = entry.compressedSize
        let chunkSize: UInt64 = 1 << 20
        switch entry.method {
        case 0:
            while remaining > 0 {
                let chunk = try Self.read(handle, at: offset, count: Int(min(chunkSize, remaining)))
                try chunk.withUnsafeBytes(checkedSink)
                offset += UInt64(chunk.count)
                remaining -= UInt64(chunk.count)
            }
        case 8:
            let inflater = try Inflater(entry: entry.name)
            while remaining > 0 {
                let chunk = try Self.read(handle, at: offset, count: Int(min(chunkSize, remaining)))
                offset += UInt64(chunk.count)
                remaining -= UInt64(chunk.count)
                try inflater.inflate(chunk, isLast: remaining == 0, to: checkedSink)
            }
        default:
            throw Failure("'\(entry.name)' uses compression method \(entry.method) (supported: stored, deflate)")
        }
        guard produced == entry.uncompressedSize, crc == uLong(entry.crc32) else {
            throw Failure("'\(entry.name)' is damaged (size or CRC-32 mismatch)")
        }
    }

    // MARK: Helpers

    private static func read(_ handle: FileHandle, at offset: UInt64, count: Int) throws -> Data {
        try handle.seek(toOffset: offset)
        let data = try handle.read(upToCount: count) ?? Data()
        guard data.count == count else { throw Failure("unexpected end of file (truncated)") }
        return Data(data)  // re-based at index 0
    }

    private static func lastIndex(of signature: [UInt8], in data: Data) -> Int? {
        guard data.count >= signature.count else { return nil }
        for start in stride(from: data.count - signature.count, through: 0, by: -1)
        where data[start] == signature[0] && data[start + 1] == signature[1] && data[start + 2] == signature[2] && data[start + 3] == signature[3] {
            return start
        }
        return nil
    }
}

/// One raw-deflate stream (zlib `inflate` with window bits −15); frees zlib's state on deinit.
private final class Inflater {
    private var stream = z_stream()
    private let entry: String
    private var finished = false

    init(entry: String) throws {
        self.entry = entry
        guard steerlens_inflate_init_raw(&stream) == Z_OK else { throw ZipArchive.Failure("zlib cannot start inflating '\(entry)'") }
    }

    deinit { inflateEnd(&stream) }

    /// Feeds `input` and passes every produced chunk to `sink`.
    func inflate(_ input: Data, isLast: Bool, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var output = [UInt8](repeating: 0, count: 1 << 18)
        try input.withUnsafeBytes { (source: UnsafeRawBufferPointer) in
            stream.next_in = UnsafeMutablePointer(mutating: source.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(source.count)
            repeat {
                let status = output.withUnsafeMutableBytes { target -> Int32 in
                    stream.next_out = target.bindMemory(to: Bytef.self).baseAddress
                    stream.avail_out = uInt(target.count)
                    return zlibInflate(&stream, Z_NO_FLUSH)
                }
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                    throw ZipArchive.Failure("'\(entry)' is damaged (zlib inflate error \(status))")
                }
                let produced = output.count - Int(stream.avail_out)
                if produced > 0 { try output.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[..<produced])) } }
                if status == Z_STREAM_END { finished = true; break }
                if status == Z_BUF_ERROR && stream.avail_in == 0 { break }
            } while stream.avail_in > 0 || stream.avail_out == 0
        }
        if isLast && !finished { throw ZipArchive.Failure("'\(entry)' is cut short (deflate stream did not end)") }
    }
}

/// zlib's `inflate`, named apart from ``Inflater/inflate(_:isLast:to:)``.
private func zlibInflate(_ stream: UnsafeMutablePointer<z_stream>, _ flush: Int32) -> Int32 { CZlib.inflate(stream, flush) }

private extension Data {
    func uint16(at offset: Int) -> UInt16 {
        let i = startIndex + offset
        return UInt16(self[i]) | UInt16(self[i + 1]) << 8
    }

    func uint32(at offset: Int) -> UInt32 {
        let i = startIndex + offset
        return UInt32(self[i]) | UInt32(self[i + 1]) << 8 | UInt32(self[i + 2]) << 16 | UInt32(self[i + 3]) << 24
    }
}
