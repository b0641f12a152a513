import Foundation
import SteerLensSupport

/// Clip durations for the shard table, cached in `OUT/fleet-durations.json` (clip path → size,
/// modification time and seconds): probing a container costs a few milliseconds (3.2 ms per MP4 measured
/// on a busy 2-core machine), which every worker would otherwise pay for every clip of the manifest
/// (16 s per task for 5 000 clips). A stale entry
/// (the file changed) is probed again; every worker that probed something writes the whole table back
/// atomically, and all of them probe the same files to the same values, so the last write loses nothing.
struct FleetDurations {
    let out: URL
    static let fileName = "fleet-durations.json"

    struct Entry: Codable, Equatable {
        var size: Int64
        var modified: Double
        var seconds: Double
    }

    /// Each entry's clip duration in seconds (see ``FleetShard/duration(of:)``), in order.
    func seconds(_ entries: [FleetManifest.Entry]) -> [Double] {
        let url = out.appendingPathComponent(Self.fileName)
        var table = (FileManager.default.contents(atPath: url.path)).flatMap { try? JSONDecoder().decode([String: Entry].self, from: $0) } ?? [:]
        var probed = false
        let result = entries.map { entry -> Double in
            guard let stamp = try? FleetRecord.FileStamp.of(entry.clip) else { return 0 }
            if let known = table[entry.clip], known.size == stamp.size, known.modified == stamp.modified { return known.seconds }
            let seconds = FleetShard.duration(of: entry.clip)
            table[entry.clip] = Entry(size: stamp.size, modified: stamp.modified, seconds: seconds)
            probed = true
            return seconds
        }
        if probed {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // A cache: a worker that cannot write it still has its table.
            if let data = try? encoder.encode(table) { try? AtomicFile.write(data, to: url) }
        }
        return result
    }
}
