import Foundation

/// The first error a background stage met, kept for the thread that hands it work: the stage records,
/// the producer rethrows on its next hand-off or at the end. Later errors are dropped (they are
/// usually the first one's consequences).
public final class FirstFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var error: Error?

    public init() {}

    /// Keeps `error` unless one was recorded before.
    public func record(_ error: Error) {
        lock.withLock { if self.error == nil { self.error = error } }
    }

    /// Whether an error was recorded.
    public var occurred: Bool { lock.withLock { error != nil } }

    /// Throws the recorded error, if any.
    public func rethrow() throws {
        if let error = lock.withLock({ error }) { throw error }
    }
}
