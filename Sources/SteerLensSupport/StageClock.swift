import Foundation

/// Where a pipeline's CPU time goes: thread CPU time (`CLOCK_THREAD_CPUTIME_ID`, nanoseconds) summed per
/// stage over every thread that ran it, beside the whole process's CPU time and the wall time.
///
/// A stage thread wraps each piece of work in ``measure(_:_:)``; work a stage hands to helper threads
/// (NeuralNet's lanes) is added by the caller through ``add(_:nanoseconds:)``. Whatever the process spent
/// outside every measured block (FFmpeg's own decoder threads, start-up, queues, the report) is
/// ``StageTimes/unattributedSeconds``. Thread-safe; a measurement costs two `clock_gettime` calls.
public final class StageClock: @unchecked Sendable {
    /// The stages of `analyze`, in pipeline order.
    public enum Stage: String, CaseIterable, Sendable {
        /// Demuxing, decoding on the reading thread and the conversion to RGB24.
        case decode
        /// Crop, resize and normalisation into the model's input batch.
        case preprocess
        /// The explanation methods' forward and backward passes (including their lanes' threads).
        case network
        /// Per-frame maps out of the batch: statistics, saliency change, the coarse grid, frames.csv rows.
        case maps
        /// Deletion/insertion scoring (`--faithfulness-every`), forward passes included.
        case faithfulness
        /// Display scaling, projection onto the frame and blending (plus `--png-width` scaling, panels).
        case overlays
        /// PNG filtering and deflate.
        case encoding
        /// Writing files (images, NPY maps).
        case writing
    }

    private let lock = NSLock()
    private var nanoseconds = [Stage: UInt64]()
    private let startedWall = DispatchTime.now().uptimeNanoseconds
    private let startedProcess = StageClock.now(CLOCK_PROCESS_CPUTIME_ID)

    public init() {}

    /// Runs `body` on this thread and charges its thread CPU time to `stage`.
    @discardableResult
    public func measure<T>(_ stage: Stage, _ body: () throws -> T) rethrows -> T {
        let start = Self.threadNow()
        defer { add(stage, nanoseconds: Self.threadNow() &- start) }
        return try body()
    }

    /// Charges CPU time spent elsewhere (e.g. on helper threads) to `stage`.
    public func add(_ stage: Stage, nanoseconds value: UInt64) {
        lock.withLock { nanoseconds[stage, default: 0] += value }
    }

    /// The times so far.
    public func snapshot() -> StageTimes {
        let perStage = lock.withLock { nanoseconds }
        return StageTimes(seconds: Dictionary(uniqueKeysWithValues: Stage.allCases.map { ($0, Double(perStage[$0] ?? 0) / 1e9) }),
                          processSeconds: Double(Self.now(CLOCK_PROCESS_CPUTIME_ID) &- startedProcess) / 1e9,
                          wallSeconds: Double(DispatchTime.now().uptimeNanoseconds - startedWall) / 1e9)
    }

    /// This thread's CPU time in nanoseconds.
    public static func threadNow() -> UInt64 { now(CLOCK_THREAD_CPUTIME_ID) }

    private static func now(_ clock: clockid_t) -> UInt64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}

/// CPU seconds per stage of one run (see ``StageClock``).
public struct StageTimes: Sendable, Equatable {
    public var seconds: [StageClock.Stage: Double]
    /// The process's CPU time over the same interval.
    public var processSeconds: Double
    public var wallSeconds: Double

    /// Process CPU time no stage accounts for (FFmpeg decoder threads, setup, the report).
    public var unattributedSeconds: Double { max(processSeconds - seconds.values.reduce(0, +), 0) }

    /// One line: CPU seconds per stage and its share of the process's CPU time, then the cores kept busy.
    public func summary(frames: Int) -> String {
        let total = max(processSeconds, 1e-9)
        var parts = StageClock.Stage.allCases.map { stage -> String in
            let value = seconds[stage] ?? 0
            return String(format: "%@ %.2f s (%.0f%%)", stage.rawValue, value, 100 * value / total)
        }
        parts.append(String(format: "unattributed %.2f s (%.0f%%)", unattributedSeconds, 100 * unattributedSeconds / total))
        return String(format: "CPU time per stage over %d frames: ", frames) + parts.joined(separator: ", ")
            + String(format: "; process %.2f s CPU in %.2f s wall (%.2f cores busy, %.3f CPU ms per frame)",
                     processSeconds, wallSeconds, processSeconds / max(wallSeconds, 1e-9), 1e3 * processSeconds / Double(max(frames, 1)))
    }
}

extension Optional where Wrapped == StageClock {
    /// `body`, its thread CPU time charged to `stage` when there is a clock (stages measure only on request).
    @discardableResult
    public func measure<T>(_ stage: StageClock.Stage, _ body: () throws -> T) rethrows -> T {
        guard let clock = self else { return try body() }
        return try clock.measure(stage, body)
    }
}
