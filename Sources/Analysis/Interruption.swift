import Dispatch
import Foundation
import SteerLensSupport

/// Turns SIGINT (Ctrl-C) and SIGTERM (`kill`, a scheduler's pre-emption) into a flag that long runs
/// check between batches, so they can discard their staging output and exit 130 instead of dying
/// half-way with partial files.
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
                signalSource.setEventHandler { [weak self] in self?.lock.withLock { self?.requested = true } }
                signalSource.resume()
                sources.append(signalSource)
            }
        }
    }

    public var isRequested: Bool { lock.withLock { requested } }

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
