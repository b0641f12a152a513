import Foundation
import SteerLensSupport

/// Results on standard output (diagnostics go to standard error), buffered here and written to file
/// descriptor 1 with `write(2)`.
///
/// SIGPIPE is ignored (see ``SteerLens/main()``), so a reader that goes away early
/// (`steerlens predict … | head -1`) makes a write fail with EPIPE instead of killing the process
/// silently; the run then ends with one line and exit 74 like any other failed write.
enum StandardOutput {
    /// Bytes not yet written; only the command's own thread prints results.
    nonisolated(unsafe) private static var pending: [UInt8] = []
    private static let flushThreshold = 1 << 16

    /// Appends `text` and a newline; writes out once 64 KiB are pending.
    static func line(_ text: String) throws {
        pending.append(contentsOf: text.utf8)
        pending.append(0x0A)
        if pending.count >= flushThreshold { try flush() }
    }

    /// Writes everything pending; run at the end so a late EPIPE is reported too.
    static func flush() throws {
        defer { pending.removeAll(keepingCapacity: true) }
        if let failure = Descriptor.writeAll(pending, to: STDOUT_FILENO) {
            let reason = failure == EPIPE ? "the reader closed it before all results were written (broken pipe)" : String(cString: strerror(failure))
            throw OutputError(path: "standard output", kind: .ioError, reason: reason)
        }
    }
}
