import Foundation

/// Warns once, early in a long run, when its output is not going to fit: after the first `sampleFrames`
/// frames it extrapolates the bytes they took to the frames still to come and compares that with the
/// space left on the output's file system.
///
/// Only a warning: later frames may compress better or worse than the first ones. A disk that does fill
/// up still ends the run with exit 74 and nothing written (``OutputDirectory``); the forecast only tells
/// the user at the start instead of after hours. Writers on several threads may call ``record(bytes:)``.
public final class DiskSpaceForecast: @unchecked Sendable {
    /// Where the output goes (the free space of its file system counts).
    public let directory: URL
    /// Frames the run will write in all.
    public let expectedFrames: Int
    /// Frames measured before the forecast is made.
    public let sampleFrames: Int
    /// Free bytes for an unprivileged writer on the file system of a path; nil when it cannot be read.
    private let freeBytes: (URL) -> Int?
    private let warn: (String) -> Void
    private let lock = NSLock()
    private var (frames, bytes, decided) = (0, 0, false)

    /// - Parameters:
    ///   - what: names the output in the warning, e.g. "the images".
    ///   - hint: what the user can do, for the warning's hint.
    public init(directory: URL, expectedFrames: Int, sampleFrames: Int = 30, what: String, hint: String,
                freeBytes: @escaping (URL) -> Int? = DiskSpaceForecast.availableBytes, warn: @escaping (String) -> Void) {
        (self.directory, self.expectedFrames, self.sampleFrames, self.freeBytes) = (directory, expectedFrames, sampleFrames, freeBytes)
        self.warn = { line in warn("steerlens: warning: \(what) \(line) (hint: \(hint))") }
        // A run whose sample would be all of it fails fast enough on a full disk without a forecast.
        decided = expectedFrames <= sampleFrames
    }

    /// Records one frame's output; the `sampleFrames`-th call makes the forecast (and perhaps warns).
    public func record(bytes frameBytes: Int) {
        let sample: (frames: Int, bytes: Int)? = lock.withLock {
            guard !decided else { return nil }
            frames += 1
            bytes += frameBytes
            guard frames >= sampleFrames else { return nil }
            decided = true
            return (frames, bytes)
        }
        guard let sample, let free = freeBytes(directory) else { return }
        let perFrame = Double(sample.bytes) / Double(sample.frames)
        let remaining = expectedFrames - sample.frames
        let needed = perFrame * Double(remaining)
        guard needed > Double(free) else { return }
        warn("need about \(Self.describe(needed)) more (\(Self.describe(perFrame)) a frame over the first \(sample.frames), "
             + "\(remaining) frames to go) and \(Self.describe(Double(free))) are free on \(directory.path): the run will stop, "
             + "with nothing written, when the disk is full")
    }

    /// `statvfs`'s space available to unprivileged users on the file system holding `url` (or its nearest
    /// existing ancestor, as the output may not exist yet); nil when none can be read.
    public static func availableBytes(_ url: URL) -> Int? {
        var path = url.standardizedFileURL.path
        while true {
            var info = statvfs()
            if statvfs(path, &info) == 0 { return Int(info.f_bavail) * Int(info.f_frsize) }
            guard errno == ENOENT, path.hasPrefix("/"), path != "/" else { return nil }
            path = PathText.parent(of: path)
        }
    }

    /// Bytes in decimal units for people: `412 GB`, `1.1 MB`, `870 kB`.
    static func describe(_ bytes: Double) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB"]
        var (value, unit) = (bytes, 0)
        while value >= 1000 && unit < units.count - 1 { (value, unit) = (value / 1000, unit + 1) }
        return unit == 0 ? "\(Int(value)) bytes" : String(format: value < 10 ? "%.1f %@" : "%.0f %@", value, units[unit])
    }
}
