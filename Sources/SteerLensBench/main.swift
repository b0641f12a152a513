import Foundation
import SteerLensSupport
import VideoIO

/// `steerlens-bench`: prints throughput and memory figures side by side with the peer tools, measured
/// in the same run. Never part of the test suite.
///
///     steerlens-bench decode [--seconds 20]     decode + preprocess vs `ffmpeg -vf scale=200:66`
///     steerlens-bench memory                    peak RSS for a 5 s and a 60 s 720p clip
///     steerlens-bench clip --seconds S --out F  write the synthetic 720p road clip the benchmarks use
let arguments = Array(CommandLine.arguments.dropFirst())
let command = arguments.first ?? "all"
let workDirectory = URL(fileURLWithPath: ProcessInfo.processInfo.environment["STEERLENS_BENCH_DIR"] ?? ".build/bench-clips")

func option(_ name: String, default value: Double) -> Double {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let parsed = Double(arguments[index + 1]) else { return value }
    return parsed
}

do {
    switch command {
    case "decode":
        try DecodeBenchmark.run(seconds: option("--seconds", default: 20), directory: workDirectory)
    case "memory":
        try MemoryBenchmark.run(directory: workDirectory)
    case "clip":
        guard let index = arguments.firstIndex(of: "--out"), index + 1 < arguments.count else { print("clip needs --out FILE"); exit(64) }
        try BenchClips.write(seconds: Int(option("--seconds", default: 5)), to: URL(fileURLWithPath: arguments[index + 1]))
    case "decode-child":
        // Internal: decode one clip and print this process's peak RSS (used by `memory`).
        try MemoryBenchmark.child(path: arguments[1])
    case "all":
        try DecodeBenchmark.run(seconds: option("--seconds", default: 20), directory: workDirectory)
        try MemoryBenchmark.run(directory: workDirectory)
    default:
        print("usage: steerlens-bench [decode [--seconds S] | memory | all]")
        exit(64)
    }
} catch {
    FileHandle.standardError.write(Data("steerlens-bench: \(error)\n".utf8))
    exit(1)
}
