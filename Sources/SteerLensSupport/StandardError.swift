import Foundation

/// Diagnostics (progress, warnings, the failure line) on standard error, written with `write(2)`.
///
/// Foundation's `FileHandle.standardError.write(_:)` traps when a write fails, and SteerLens ignores
/// SIGPIPE (``StandardOutput`` reports a closed standard output as exit 74), so a reader that leaves
/// early with both streams in one pipe (`steerlens analyze … 2>&1 | head -1`) turned the next
/// progress line or the failure line into a crash. A diagnostic nobody can read any more is dropped
/// here; the run goes on, and ends with the exit code of its own outcome.
public enum StandardError {
    /// Writes `text` as it is (add the newline yourself); gives up silently when the stream is closed.
    public static func write(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Foundation.write(STDERR_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }

    /// Writes `line` and a newline.
    public static func line(_ line: String) { write(line + "\n") }
}
