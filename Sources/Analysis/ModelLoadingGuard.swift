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
    /// - Throws: ``UsageError`` (exit 64) for a bad `STEERLENS_MODEL_LOAD_TIMEOUT` (see ``limit(environment:)``),
    ///   and what `body` throws.
    public static func run<T>(path: String, _ body: () throws -> T) throws -> T {
        let limit = try limit(environment: ProcessInfo.processInfo.environment)
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

        let watchdog = DispatchSource.makeTimerSource(queue: .global())
        watchdog.schedule(deadline: .now() + limit)
        watchdog.setEventHandler { GuardState.failAndExit() }
        watchdog.resume()
        defer { watchdog.cancel() }
        return try body()
    }
}

extension ModelLoadingGuard {
    /// The watchdog's limit in seconds: `STEERLENS_MODEL_LOAD_TIMEOUT`, else 60.
    /// - Throws: ``UsageError`` when it is set to anything but a finite number of seconds above 0: a 0 or
    ///   negative limit fired before the load began and blamed the model file.
    public static func limit(environment: [String: String]) throws -> Double {
        guard let text = environment["STEERLENS_MODEL_LOAD_TIMEOUT"] else { return 60 }
        guard let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds > 0 else {
            throw UsageError(message: "STEERLENS_MODEL_LOAD_TIMEOUT='\(text)' is not a number of seconds above 0",
                             hint: "unset it for the default of 60 s, or give e.g. STEERLENS_MODEL_LOAD_TIMEOUT=120")
        }
        return seconds
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
