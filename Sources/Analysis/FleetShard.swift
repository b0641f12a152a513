import Foundation
import SteerLensSupport
import VideoIO

/// Which part of a fleet one worker processes: shard `index` of `count`, counted from 0.
///
/// Chosen by `--shard K/N`; without it, by the scheduler's environment: a Slurm job array's
/// `SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN` of `SLURM_ARRAY_TASK_COUNT` (a contiguous `--array=A-B`),
/// or a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX` of `--shards N` (the Job's `completions`).
/// Under Slurm, `--shards N` makes `SLURM_ARRAY_TASK_ID` itself the shard (arrays numbered 0…N−1), so a
/// single task can be re-submitted alone (`--array=3`). With neither, one worker takes the whole fleet.
public struct FleetShard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) { (self.index, self.count) = (index, count) }

    /// The whole fleet in one process.
    public static let whole = FleetShard(index: 0, count: 1)

    /// `K/N` as the CLI prints it.
    public var description: String { "\(index)/\(count)" }

    /// The most workers a fleet may have: a Kubernetes Indexed Job's limit of completions (Slurm's
    /// default array is 1,001). The assignment keeps a load per shard.
    public static let largestCount = 100_000

    /// Parses `K/N` with 0 ≤ K < N ≤ ``largestCount``.
    public static func parse(_ text: String) throws -> FleetShard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), (1...largestCount).contains(count), (0..<count).contains(index) else {
            throw FleetShardError(problem: "--shard '\(text)' is not K/N with 0 ≤ K < N ≤ \(largestCount)", hint: "e.g. --shard 0/4 … --shard 3/4 for four workers")
        }
        return FleetShard(index: index, count: count)
    }

    /// The shard from `--shard`, else from the scheduler's environment, else the whole fleet.
    /// - Throws: ``FleetShardError`` (exit 64) for a malformed value or an index without a count.
    public static func resolve(shard: String?, shards: Int?, environment: [String: String]) throws -> FleetShard {
        if let shard { return try parse(shard) }
        if let shards, !(1...largestCount).contains(shards) {
            throw FleetShardError(problem: "--shards must be between 1 and \(largestCount)", hint: "give the number of workers")
        }
        func integer(_ name: String) throws -> Int? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            // Scheduler indices and counts are small and not negative, so `task − minimum` cannot overflow.
            guard let number = Int(value), (0...Int(Int32.max)).contains(number) else {
                throw FleetShardError(problem: "\(name)='\(value)' is not a whole number from 0 to \(Int32.max)", hint: "unset it or pass --shard K/N")
            }
            return number
        }
        if let task = try integer("SLURM_ARRAY_TASK_ID") {
            if let step = try integer("SLURM_ARRAY_TASK_STEP"), step != 1 {
                throw FleetShardError(problem: "the Slurm array has step \(step)", hint: "submit a contiguous array (--array=0-N) or pass --shard K/N")
            }
            // With --shards the task id is the shard itself, so one task can be re-submitted alone (--array=3).
            if let shards { return try checked(index: task, count: shards, source: "SLURM_ARRAY_TASK_ID \(task)") }
            let minimum = try integer("SLURM_ARRAY_TASK_MIN") ?? 0
            guard let count = try integer("SLURM_ARRAY_TASK_COUNT") else {
                throw FleetShardError(problem: "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not", hint: "pass --shards N (the array's size)")
            }
            return try checked(index: task - minimum, count: count, source: "SLURM_ARRAY_TASK_ID \(task) − SLURM_ARRAY_TASK_MIN \(minimum)")
        }
        if let index = try integer("JOB_COMPLETION_INDEX") {
            guard let shards else {
                throw FleetShardError(problem: "JOB_COMPLETION_INDEX is set but --shards is not", hint: "pass --shards N equal to the Job's completions")
            }
            return try checked(index: index, count: shards, source: "JOB_COMPLETION_INDEX \(index)")
        }
        if let shards, shards != 1 {
            throw FleetShardError(problem: "--shards \(shards) without a shard index", hint: "pass --shard K/N, or run under a Slurm array or an Indexed Job")
        }
        return .whole
    }

    private static func checked(index: Int, count: Int, source: String) throws -> FleetShard {
        guard (1...largestCount).contains(count), (0..<count).contains(index) else {
            throw FleetShardError(problem: "\(source) = \(index) is outside 0..<\(count) (at most \(largestCount) workers)", hint: "check the array range or --shards")
        }
        return FleetShard(index: index, count: count)
    }

    /// Longest-processing-time-first assignment: clips sorted by duration (longest first, then by id),
    /// each given to the shard with the least total duration so far (then the fewest clips, then the
    /// lowest index). Deterministic — every worker computes the same table from the same manifest —
    /// and within 4/3 of the best possible makespan (Graham 1969).
    /// - Returns: the shard index of each clip, in the order given.
    public static func assign(durations: [(id: String, seconds: Double)], shards: Int) -> [Int] {
        let order = durations.indices.sorted {
            durations[$0].seconds != durations[$1].seconds ? durations[$0].seconds > durations[$1].seconds : durations[$0].id < durations[$1].id
        }
        var load = [Double](repeating: 0, count: shards), clips = [Int](repeating: 0, count: shards)
        var result = [Int](repeating: 0, count: durations.count)
        for clip in order {
            let shard = (0..<shards).min { (load[$0], clips[$0], $0) < (load[$1], clips[$1], $1) }!
            result[clip] = shard
            load[shard] += max(durations[clip].seconds, 0)
            clips[shard] += 1
        }
        return result
    }

    /// A clip's duration in seconds from its container header (no decoding): the declared duration,
    /// else declared frames ÷ frame rate, else 0 (an unreadable clip fails later, in its own worker).
    public static func duration(of clip: String) -> Double {
        guard let source = try? FrameSources.open(clip) else { return 0 }
        let info = source.info
        if let duration = info.duration, duration.isFinite, duration > 0 { return duration }
        if let frames = info.declaredFrameCount, info.framesPerSecond > 0 { return Double(frames) / info.framesPerSecond }
        return 0
    }

    /// This shard's clips of `manifest`, in manifest order; `durations(entries)` gives each clip's seconds.
    public func entries(of manifest: FleetManifest, durations: ([FleetManifest.Entry]) -> [Double]) -> [FleetManifest.Entry] {
        guard count > 1 else { return manifest.entries }
        let table = Self.assign(durations: zip(manifest.entries, durations(manifest.entries)).map { ($0.id, $1) }, shards: count)
        return zip(manifest.entries, table).filter { $0.1 == index }.map(\.0)
    }
}

/// A shard that cannot be worked out: usage error (exit 64).
public struct FleetShardError: SteerLensError {
    public let problem: String
    public let hint: String
    public var kind: FailureKind { .usage }
    public var message: String { problem }
}
