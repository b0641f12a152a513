import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Lower scheduling priority for background work. On Linux the nice value belongs to each thread and a
/// new thread starts with its creator's, so work that should only fill idle cores (decoding ahead of a
/// compute-bound stage) runs a few nice levels down instead of pre-empting the compute threads.
public enum ThreadPriority {
    /// Nice levels below normal work at which a pipeline decodes ahead of its network passes: the decoder
    /// still gets about a tenth of a core it shares with a busy thread (weights 110 against 1024) and a
    /// whole core whenever one idles, e.g. while the network's lanes wait for each other.
    public static let backgroundIncrement: Int32 = 10

    /// Raises the calling thread's nice value by `increment` (capped at 19). Without privileges it cannot
    /// be lowered again, so only threads that do nothing else call this.
    public static func lowerCurrentThread(by increment: Int32) {
        #if os(Linux)
        guard increment > 0 else { return }
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        errno = 0
        let current = getpriority(which, 0)
        guard current != -1 || errno == 0 else { return }
        _ = setpriority(which, 0, min(current + increment, 19))
        #endif
    }

    /// Runs `body` on a new thread `increment` nice levels below the caller and waits for it, so threads
    /// that `body` starts (FFmpeg's decoder threads, created when a codec opens) keep that lower priority
    /// while the caller keeps its own. `increment` 0 runs `body` here.
    public static func run<T>(loweredBy increment: Int32, _ body: () throws -> T) throws -> T {
        guard increment > 0 else { return try body() }
        return try withoutActuallyEscaping(body) { body in
            let handoff = Handoff(body), done = DispatchSemaphore(value: 0)
            let thread = Thread {
                lowerCurrentThread(by: increment)
                handoff.run()
                done.signal()
            }
            thread.name = "steerlens-lowered"
            thread.start()
            done.wait()
            return try handoff.result!.get()
        }
    }

    /// The work handed to the lowered thread and its result (written before the semaphore's signal, read
    /// after its wait, so one thread at a time).
    private final class Handoff<T>: @unchecked Sendable {
        private var body: (() throws -> T)?
        var result: Result<T, Error>?
        init(_ body: @escaping () throws -> T) { self.body = body }

        /// Runs the work and lets go of it: `withoutActuallyEscaping` traps if the closure is still
        /// referenced when the caller returns, and the finished thread may release its own block later.
        func run() {
            result = Result { try body!() }
            body = nil
        }
    }
}
