import Foundation
import VideoIO

/// Peak resident memory of decoding + preprocessing a 5 s and a 60 s clip, each in a fresh process:
/// streaming means the two figures should be the same.
enum MemoryBenchmark {
    static func run(directory: URL) throws {
        print("peak RSS, decode + preprocess in a fresh process")
        var figures: [Int: Int] = [:]
        for seconds in [5, 60] {
            let clip = try BenchClips.clip(seconds: seconds, in: directory)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments = ["decode-child", clip.path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let kilobytes = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            figures[seconds] = kilobytes
            print(String(format: "  %2d s clip: %6.1f MB", seconds, Double(kilobytes) / 1024))
        }
        if let short = figures[5], let long = figures[60], short > 0 {
            print(String(format: "  60 s / 5 s: %.3f", Double(long) / Double(short)))
        }
    }

    static func child(path: String) throws {
        _ = try DecodeBenchmark.decode(URL(fileURLWithPath: path), preprocess: Preprocess(size: PixelSize(width: 200, height: 66)))
        print(peakResidentKilobytes())
    }

    /// VmHWM from /proc/self/status, in kB.
    static func peakResidentKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
        }
        return -1
    }
}
