import Foundation
import SteerLensSupport

/// The completion record `OUT/clips/<id>/fleet-record.json`: written into a clip's results last, before
/// they are renamed into place, so a result folder with a record is complete. A re-run skips a clip
/// whose record has the same ``Key``: command, model content (SHA-256 of each model and sidecar file),
/// clip and labels files (size and modification time), the options and the SteerLens version.
public struct FleetRecord: Codable, Sendable, Equatable {
    /// What makes two runs of a clip interchangeable.
    public struct Key: Codable, Sendable, Equatable {
        /// `analyze`, `predict` or `compare`.
        public var command: String
        /// Each model (and sidecar) file: its path as given and the SHA-256 of its content.
        public var models: [FileHash]
        public var clip: FileStamp
        public var labels: FileStamp?
        /// The command's options as given, minus the fleet's own (see ``FleetRecord/options(from:)``).
        public var options: [String]
        public var steerlensVersion: String
    }

    public struct FileHash: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
    }

    /// A file's identity without reading it: path, size in bytes, modification time in seconds since 1970.
    public struct FileStamp: Codable, Sendable, Equatable {
        public var path: String
        public var size: Int64
        public var modified: Double

        /// Stats `path` (a folder input — a tub, an image folder — has its folder's size and time).
        public static func of(_ path: String) throws -> FileStamp {
            var status = stat()
            guard stat(path, &status) == 0 else { throw InputFileError(path: path, reason: "cannot be read: \(String(cString: strerror(errno)))") }
            let time = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
            return FileStamp(path: path, size: Int64(status.st_size), modified: time)
        }
    }

    public var id: String
    public var key: Key
    /// Who finished the clip and when (informative; not part of the key).
    public var host: String
    public var finished: String
    public var elapsedSeconds: Double

    public static let fileName = "fleet-record.json"

    /// Reads the record of a result folder; `nil` when absent or unreadable (an incomplete result).
    public static func read(in folder: URL) -> FleetRecord? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(fileName).path) else { return nil }
        return try? JSONDecoder().decode(FleetRecord.self, from: data)
    }

    /// Writes the record into `folder` atomically.
    public func write(in folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try during("encoding \(Self.fileName)") { try encoder.encode(self) }
        try AtomicFile.write(data, to: folder.appendingPathComponent(Self.fileName))
    }

    /// Options that say where and how a worker runs, not what it computes: they are left out of the key.
    /// Flags without a value are listed in ``fleetFlags``.
    public static let fleetOptions: Set<String> = ["--manifest", "--shard", "--shards", "--out", "--junit", "--csv"]
    public static let fleetFlags: Set<String> = ["--overwrite", "--quiet", "--json"]

    /// The arguments after the subcommand without the fleet's own options (`--out DIR`, `--shard=K/N`…).
    public static func options(from arguments: [String]) -> [String] {
        var kept: [String] = [], skipNext = false
        for argument in arguments {
            if skipNext { skipNext = false; continue }
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            if fleetFlags.contains(argument) { continue }
            if fleetOptions.contains(name) {
                skipNext = !argument.contains("=")
                continue
            }
            kept.append(argument)
        }
        return kept
    }

    /// This machine's host name (for records and the names of work folders).
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return FleetManifest.sanitizedHost(String(nulTerminated: buffer))
    }
}

extension FleetManifest {
    static func sanitizedHost(_ name: String) -> String { sanitized(name) }
}
