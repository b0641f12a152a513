import Foundation
import SteerLensSupport
import VideoIO

/// One worker of a fleet run: this shard's clips of a manifest, each into `OUT/clips/<id>/`.
///
/// Layout of `OUT`: `fleet-manifest.json` (the manifest as resolved: ids, clips, labels — what `merge`
/// expects), `clips/<id>/` (one clip's results, as `analyze`/`compare`/`predict` write them, plus
/// ``FleetRecord``), and while a clip is worked on `clips/.<id>.work-<host>-<pid>-<random>/` (private
/// to one worker). A clip's results are written inside the work folder, the record last, and the
/// folder is renamed to `clips/<id>` in one `rename(2)`: readers see all of a clip or nothing, and two
/// workers on the same clip never write into the same folder (the second rename fails with
/// `ENOTEMPTY`, and its identical result is dropped).
public struct FleetRun {
    public let manifest: FleetManifest
    public let shard: FleetShard
    public let out: URL
    /// The subcommand, its model (and sidecar) files, and its options (``FleetRecord/options(from:)``).
    public let command: String
    public let modelFiles: [String]
    public let options: [String]
    public let version: String

    public init(manifest: FleetManifest, shard: FleetShard, out: URL, command: String, modelFiles: [String], options: [String], version: String) {
        (self.manifest, self.shard, self.out, self.command) = (manifest, shard, out, command)
        (self.modelFiles, self.options, self.version) = (modelFiles, options, version)
    }

    /// What one worker did.
    public struct Summary: Sendable {
        public var assigned: [String] = []
        public var done: [String] = []
        public var skipped: [String] = []
        /// Clips whose input was bad: id and the error; the other clips still ran.
        public var failed: [(id: String, error: any SteerLensError)] = []
    }

    public var clipsFolder: URL { out.appendingPathComponent("clips") }
    public static let manifestCopyName = "fleet-manifest.json"

    /// Runs `body(entry, destination)` for every clip of this shard without a matching complete result;
    /// `body` must create `destination` (as `OutputDirectory.produce` does). `log` hears one line per clip.
    /// - Throws: ``Interrupted`` (SIGTERM, pre-emption: the clip in progress is discarded), output errors;
    ///   a clip's bad input is recorded in the summary (and in `clips/.<id>.failed`) instead.
    public func run(log: (String) -> Void, clip body: (FleetManifest.Entry, URL) throws -> Void) throws -> Summary {
        try OutputError.wrap(clipsFolder.path, kind: .cannotCreateOutput) {
            try FileManager.default.createDirectory(at: clipsFolder, withIntermediateDirectories: true)
        }
        let models = try modelFiles.map { FleetRecord.FileHash(path: $0, sha256: try SHA256.hex(file: URL(fileURLWithPath: $0))) }
        try writeManifestCopy(run: FleetManifestCopy.Run(command: command, models: models, options: options, steerlensVersion: version))
        var summary = Summary()
        let mine = shard.entries(of: manifest, durations: FleetDurations(out: out).seconds)
        summary.assigned = mine.map(\.id)
        for (number, entry) in mine.enumerated() {
            try Interruption.shared.check(progress: "before clip \(entry.id)")
            let position = "[\(number + 1)/\(mine.count)] \(entry.id)"
            let key: FleetRecord.Key
            do {
                // An image-sequence pattern (frames/%06d.png) is stamped by its folder.
                let clipFile = entry.clip.contains("%") ? PathText.parent(of: entry.clip) : entry.clip
                key = FleetRecord.Key(command: command, models: models, clip: try .of(clipFile), labels: try entry.labels.map(FleetRecord.FileStamp.of),
                                      options: options, steerlensVersion: version)
            } catch let error as SteerLensError {
                try recordFailure(entry, error)
                summary.failed.append((entry.id, error))
                log("\(position): failed: \(error.message)")
                continue
            }
            let destination = clipsFolder.appendingPathComponent(entry.id)
            if FleetRecord.read(in: destination)?.key == key {
                summary.skipped.append(entry.id)
                log("\(position): complete, skipped")
                continue
            }
            let started = Date()
            do {
                try produce(entry, key: key, started: started, body: body)
            } catch let error as SteerLensError where error.kind == .badInput || error.kind == .missingInput {
                try recordFailure(entry, error)
                summary.failed.append((entry.id, error))
                log("\(position): failed: \(error.message)")
                continue
            }
            try? FileManager.default.removeItem(at: failureURL(entry.id))
            summary.done.append(entry.id)
            log(String(format: "%@: done in %.1f s", position, Date().timeIntervalSince(started)))
        }
        return summary
    }

    /// Works in a private folder, then publishes it as `clips/<id>` with one rename.
    private func produce(_ entry: FleetManifest.Entry, key: FleetRecord.Key, started: Date, body: (FleetManifest.Entry, URL) throws -> Void) throws {
        FleetLitter.cleanDeadWork(of: entry.id, in: clipsFolder)
        let work = clipsFolder.appendingPathComponent(FleetLitter.workName(of: entry.id))
        try OutputError.wrap(work.path, kind: .cannotCreateOutput) { try FileManager.default.createDirectory(at: work, withIntermediateDirectories: false) }
        defer { try? FileManager.default.removeItem(at: work) }
        let result = work.appendingPathComponent("result")
        try body(entry, result)
        let record = FleetRecord(id: entry.id, key: key, host: FleetRecord.hostName, finished: ISO8601DateFormatter().string(from: Date()),
                                 elapsedSeconds: Date().timeIntervalSince(started))
        try record.write(in: result)
        try publish(result, as: entry.id, key: key)
    }

    /// `rename(result, clips/<id>)`; when a folder is there already: keep it if it holds the same key
    /// (another worker finished the same clip first), else move the stale one aside and retry.
    private func publish(_ result: URL, as id: String, key: FleetRecord.Key) throws {
        let destination = clipsFolder.appendingPathComponent(id)
        for _ in 0..<3 {
            if rename(result.path, destination.path) == 0 { return }
            let code = errno
            guard code == ENOTEMPTY || code == EEXIST else {
                throw OutputError(path: destination.path, kind: .ioError, reason: String(cString: strerror(code)))
            }
            if FleetRecord.read(in: destination)?.key == key { return }
            let aside = clipsFolder.appendingPathComponent(FleetLitter.staleName(of: id))
            if rename(destination.path, aside.path) == 0 { try? FileManager.default.removeItem(at: aside) }
        }
        throw OutputError(path: destination.path, kind: .ioError, reason: "other workers keep replacing it")
    }

    private func failureURL(_ id: String) -> URL { clipsFolder.appendingPathComponent(".\(id).failed") }

    private func recordFailure(_ entry: FleetManifest.Entry, _ error: any SteerLensError) throws {
        try AtomicFile.write(Data("\(error.message) (hint: \(error.hint))\n".utf8), to: failureURL(entry.id))
    }

    /// `OUT/fleet-manifest.json`: every worker writes the same bytes, atomically.
    private func writeManifestCopy(run: FleetManifestCopy.Run) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let copy = FleetManifestCopy(manifest: manifest.path, command: command, shards: shard.count, run: run, clips: manifest.entries)
        try AtomicFile.write(try during("encoding the manifest copy") { try encoder.encode(copy) }, to: out.appendingPathComponent(Self.manifestCopyName))
    }
}

/// `OUT/fleet-manifest.json`: the clips `merge` expects, and the run they belong to (written by every
/// worker; the latest wins). `merge` calls a clip whose record names other models, options or another
/// version `stale`: a fleet never mixes results of two candidates.
public struct FleetManifestCopy: Codable, Sendable {
    /// The parts of ``FleetRecord/Key`` every clip of one fleet run shares.
    public struct Run: Codable, Sendable, Equatable {
        public var command: String
        public var models: [FleetRecord.FileHash]
        public var options: [String]
        public var steerlensVersion: String
    }

    public var manifest: String
    public var command: String
    public var shards: Int
    public var run: Run
    public var clips: [FleetManifest.Entry]
}

/// The hidden names a fleet run leaves in `clips/` while it works: `.<id>.work-<host>-<pid>-<random>`
/// (a worker's private folder), `.<id>.stale-…` (an outdated result being replaced) and `.<id>.failed`
/// (the error of a clip whose input was bad).
public enum FleetLitter {
    static func workName(of id: String) -> String {
        ".\(id).work-\(FleetRecord.hostName)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    static func staleName(of id: String) -> String {
        ".\(id).stale-\(FleetRecord.hostName)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    /// The work folders of `id` in `folder` (any host, alive or not).
    public static func workFolders(of id: String, in folder: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasPrefix(".\(id).work-") }.sorted()
    }

    /// Removes work folders of `id` left by dead processes of this host; other hosts' are left alone
    /// (their processes cannot be asked), and `merge` reports them.
    static func cleanDeadWork(of id: String, in folder: URL) {
        let prefix = ".\(id).work-\(FleetRecord.hostName)-"
        for name in workFolders(of: id, in: folder) where name.hasPrefix(prefix) {
            guard let pid = pid_t(name.dropFirst(prefix.count).split(separator: "-").first ?? "") else { continue }
            if pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
        }
    }
}
