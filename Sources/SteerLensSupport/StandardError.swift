import Foundation

/// Diagnostics (progress, warnings, the failure line) on standard error, written with `write(2)`.
///
/// Foundation's `FileHandle.standardError.write(_:)` traps when a write fails, and SteerLens ignores
/// SIGPIPE (a closed standard output is reported as exit 74), so a reader that leaves early with both
/// streams in one pipe (`steerlens analyze … 2>&1 | head -1`) turned the next progress line or the
/// failure line into a crash. A diagnostic nobody can read any more is dropped here; the run goes on,
/// and ends with the exit code of its own outcome.
public enum StandardError {
    /// Writes `text` as it is (add the newline yourself); gives up silently when the stream is closed.
    public static func write(_ text: String) {
        _ = Descriptor.writeAll(Array(text.utf8), to: STDERR_FILENO)
    }

    /// Writes `line` and a newline.
    public static func line(_ line: String) { write(line + "\n") }
}

/// Writing bytes to a file descriptor with `write(2)`, without Foundation's trapping `FileHandle`.
public enum Descriptor {
    /// Writes all of `bytes`, resuming after partial writes and EINTR.
    /// - Returns: the `errno` of the write that failed (EPIPE for a closed pipe), or nil when all was written.
    public static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            if written < 0 { return errno }
            if written == 0 { return EIO }
            offset += written
        }
        return nil
    }
}
