internal import CFFmpeg
import Foundation
import SteerLensSupport

/// SHA-256 of a byte stream by libavutil's `av_sha` (FFmpeg's FIPS 180-4 implementation, linked for
/// decoding anyway), for the content hashes of model files in fleet completion records. Files are read
/// in 1 MiB chunks, so memory stays flat for any model size.
public final class SHA256 {
    /// libavutil's hash state (`struct AVSHA`, `av_sha_size` bytes), owned and freed here.
    private let context: OpaquePointer

    public init() {
        guard let context = av_sha_alloc() else { fatalError("av_sha_alloc: out of memory") }
        av_sha_init(context, 256)
        self.context = context
    }

    deinit { av_free(UnsafeMutableRawPointer(context)) }

    /// Adds bytes to the message.
    public func update(_ data: some Collection<UInt8>) {
        let bytes = Array(data)
        bytes.withUnsafeBufferPointer { av_sha_update(context, $0.baseAddress, $0.count) }
    }

    /// The digest as 64 lowercase hex digits; the hash must not be updated afterwards.
    public func finalize() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        av_sha_final(context, &digest)
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    /// The digest of `data`.
    public static func hex(_ data: some Collection<UInt8>) -> String {
        let hash = SHA256()
        hash.update(data)
        return hash.finalize()
    }

    /// The digest of a file's content, read in chunks.
    /// - Throws: ``InputFileError`` when the file cannot be read.
    public static func hex(file url: URL) throws -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else { throw InputFileError(path: url.path, reason: "cannot be read") }
        defer { try? handle.close() }
        let hash = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(chunk) }
        return hash.finalize()
    }
}
