import Dispatch
import Foundation
import SteerLensSupport

/// Turns SIGINT (Ctrl-C) and SIGTERM (`kill`, a scheduler's pre-emption) into a flag that long runs
/// check between batches, so they can discard their staging output and exit 130 instead of dying
/// half-way with partial files. A second signal before the run has stopped (one waiting on an input
/// that never comes, a pipe or a stalled network disk) ends the process at once, exit 130, with one
/// line; its staging output stays, and the next run into the same output removes it.
public final class Interruption: @unchecked Sendable {
    public static let shared = Interruption()
    private let lock = NSLock()
    private var requested = false
    private var sources: [DispatchSourceSignal] = []

    /// Starts listening for SIGINT and SIGTERM (idempotent).
    public func install() {
        lock.withLock {
            guard sources.isEmpty else { return }
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let signalSource = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                signalSource.setEventHandler { [weak self] in
                    guard let self else { return }
                    let again = lock.withLock { () -> Bool in
                        defer { requested = true }
                        return requested
                    }
                    if again { Self.exitNow() }
                }
                signalSource.resume()
                sources.append(signalSource)
            }
        }
    }

    public var isRequested: Bool { lock.withLock { requested } }

    private static func exitNow() -> Never {
        let line = "steerlens: interrupted again before the run could stop; exiting now (hint: the next run into the same output removes what this one left)\n"
        // Never wait on a standard error nobody reads (a full pipe is one way a run stalls).
        _ = fcntl(STDERR_FILENO, F_SETFL, fcntl(STDERR_FILENO, F_GETFL) | O_NONBLOCK)
        line.utf8CString.withUnsafeBufferPointer { _ = write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
        _exit(Interrupted.exitCode)
    }

    /// Throws ``Interrupted`` once SIGINT has arrived.
    public func check(progress: String) throws {
        if isRequested { throw Interrupted(progress: progress) }
    }
}

/// The user interrupted the run; exit code 130 like a shell's SIGINT.
public struct Interrupted: Error {
    public let progress: String
    public init(progress: String) { self.progress = progress }
    /// 128 + SIGINT, as a shell reports a Ctrl-C; SIGTERM ends the same way.
    public static let exitCode: Int32 = 130
}
