import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Keeps a damaged model file from crashing or hanging the process. libhdf5 has no checksums: some
/// corrupted (not truncated) files make it read garbage heap addresses, and it can then fault
/// (SIGSEGV/SIGBUS) or spin for ever inside `H5HG_read`. While a model loads, a fault or a load that
/// takes longer than the limit (`STEERLENS_MODEL_LOAD_TIMEOUT` seconds, default 60) ends the process with
/// the usual one-line error and exit code 65 instead of a backtrace or a hang.
public enum ModelLoadingGuard {
    public static func run<T>(path: String, _ body: () throws -> T) rethrows -> T {
        let message = "steerlens: model file '\(path)' is damaged: libhdf5 could not read it (hint: re-export it from Keras or copy it again)\n"
        let text = strdup(message)!
        defer { free(text) }
        GuardState.set(text)
        defer { GuardState.set(nil) }

        #if canImport(Glibc)
        var previousSegv = sigaction(), previousBus = sigaction(), action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in GuardState.failAndExit() }
        sigemptyset(&action.sa_mask)
        sigaction(SIGSEGV, &action, &previousSegv)
        sigaction(SIGBUS, &action, &previousBus)
        defer {
            sigaction(SIGSEGV, &previousSegv, nil)
            sigaction(SIGBUS, &previousBus, nil)
        }
        #endif

        let limit = Double(ProcessInfo.processInfo.environment["STEERLENS_MODEL_LOAD_TIMEOUT"] ?? "") ?? 60
        let watchdog = DispatchSource.makeTimerSource(queue: .global())
        watchdog.schedule(deadline: .now() + limit)
        watchdog.setEventHandler { GuardState.failAndExit() }
        watchdog.resume()
        defer { watchdog.cancel() }
        return try body()
    }
}

/// The message the signal handler and the watchdog print; only async-signal-safe calls use it.
private enum GuardState {
    nonisolated(unsafe) static var message: UnsafeMutablePointer<CChar>?
    static let lock = NSLock()

    static func set(_ text: UnsafeMutablePointer<CChar>?) {
        lock.withLock { message = text }
    }

    /// Writes the message and exits 65 (EX_DATAERR) without running any other code.
    static func failAndExit() {
        if let message { _ = write(STDERR_FILENO, message, strlen(message)) }
        _exit(65)
    }
}
