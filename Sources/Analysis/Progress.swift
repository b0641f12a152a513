import Foundation
import SteerLensSupport

/// Progress on standard error — `frames done/total, frames/s, ETA` — only when stderr is a terminal and
/// `--quiet` is not given; rewritten in place with `\r`, cleared when done.
public struct Progress {
    let enabled: Bool
    let total: Int?
    let started = Date()

    public init(total: Int?, quiet: Bool) {
        self.total = total
        enabled = !quiet && isatty(STDERR_FILENO) == 1
    }

    public func update(done: Int) {
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(started)
        let rate = Double(done) / max(elapsed, 1e-9)
        var line = "\(done)"
        if let total, total > 0 {
            line += "/\(total) frames"
            if rate > 0 { line += String(format: ", %.1f frames/s, ETA %.0f s", rate, Double(max(total - done, 0)) / rate) }
        } else {
            line += String(format: " frames, %.1f frames/s", rate)
        }
        StandardError.write("\r" + line + "   ")
    }

    public func clear() {
        guard enabled else { return }
        StandardError.write("\r\u{1B}[K")
    }

    /// Writes `line` on a line of its own, over the progress line if one is shown.
    public func print(_ line: String) {
        StandardError.line((enabled ? "\r\u{1B}[K" : "") + line)
    }
}
