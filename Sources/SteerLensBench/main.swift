import Foundation
import SteerLensSupport
import VideoIO

/// `steerlens-bench`: prints throughput and memory figures side by side with the peer tools, measured
/// in the same run. Never part of the test suite.
///
///     steerlens-bench decode [--seconds 20]     decode + preprocess vs `ffmpeg -vf scale=200:66`
///     steerlens-bench memory                    peak RSS for a 5 s and a 60 s 720p clip
///     steerlens-bench engine [--repetitions R] [--batch B] [--lanes L --blas-threads T]
///                                               PilotNet forward + backward vs the same sgemm calls alone
///     steerlens-bench onnx [--repetitions R]     PilotNet-ONNX vs PilotNet-Keras frames/s (same network, same weights)
///     steerlens-bench saliency [--repetitions R] three keras-vis maps for PilotNet vs tf-keras-vis and GradientTape
///     steerlens-bench methods [--repetitions R] [--batch B]  frames/s per explanation method beside the gradient method's
///     steerlens-bench analyze [--peer-frames N]  the pipeline line, then end-to-end 720p analyze (PNG streams, --png-every 10, RSS,
///                                               CPU time per stage) vs the Python peers
///     steerlens-bench pipeline                   analyze --png-every 0 on a 320x160 clip vs the engine's pass alone (batch 32)
///     steerlens-bench stress [--peer-frames N] [--every K]  DeepTest suite (70 settings) on the demo clip vs OpenCV + TensorFlow
///     steerlens-bench png                        CPU ms per 720p PNG (frames, overlays, real camera frames) per deflate setting
///     steerlens-bench transforms [--frames N] [--suite S]  CPU ms per setting of DeepTest's suite or S (transform + preprocessing), where stress spends its time
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
    case "engine":
        let batch = Int(option("--batch", default: 0))
        let lanes = Int(option("--lanes", default: 0)), threads = Int(option("--blas-threads", default: 0))
        try EngineBenchmark.run(
            repetitions: Int(option("--repetitions", default: 10)), batches: batch > 0 ? [batch] : [1, 32],
            configurations: lanes > 0 || threads > 0
                ? [.init(lanes: max(lanes, 1), blasThreads: max(threads, 1))] : EngineBenchmark.Configuration.all)
    case "saliency":
        try SaliencyBenchmark.run(repetitions: Int(option("--repetitions", default: 10)))
    case "onnx":
        try ONNXBenchmark.run(repetitions: Int(option("--repetitions", default: 10)))
    case "methods":
        try MethodsBenchmark.run(repetitions: Int(option("--repetitions", default: 20)), batch: Int(option("--batch", default: 32)))
    case "analyze":
        try AnalyzeBenchmark.run(directory: workDirectory, peerFrames: Int(option("--peer-frames", default: 300)))
    case "pipeline":
        guard let steerlens = AnalyzeBenchmark.steerlens else { exit(66) }
        try PipelineBenchmark.run(steerlens: steerlens, directory: workDirectory)
    case "stress":
        try StressBenchmark.run(directory: workDirectory, peerFrames: Int(option("--peer-frames", default: 64)), every: Int(option("--every", default: 1)))
    case "png":
        try PNGBenchmark.run(directory: workDirectory)
    case "transforms":
        let suite = arguments.firstIndex(of: "--suite").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } ?? "deeptest"
        try TransformsBenchmark.run(frames: Int(option("--frames", default: 8)), suite: suite)
    case "clip":
        guard let index = arguments.firstIndex(of: "--out"), index + 1 < arguments.count else { print("clip needs --out FILE"); exit(64) }
        try BenchClips.write(seconds: Int(option("--seconds", default: 5)), to: URL(fileURLWithPath: arguments[index + 1]))
    case "decode-child":
        // Internal: decode one clip and print this process's peak RSS (used by `memory`).
        try MemoryBenchmark.child(path: arguments[1])
    case "all":
        try DecodeBenchmark.run(seconds: option("--seconds", default: 20), directory: workDirectory)
        try MemoryBenchmark.run(directory: workDirectory)
        try EngineBenchmark.run(repetitions: Int(option("--repetitions", default: 10)))
        try ONNXBenchmark.run(repetitions: Int(option("--repetitions", default: 10)))
        try SaliencyBenchmark.run(repetitions: Int(option("--repetitions", default: 10)))
        try MethodsBenchmark.run(repetitions: Int(option("--repetitions", default: 20)))
        try AnalyzeBenchmark.run(directory: workDirectory, peerFrames: Int(option("--peer-frames", default: 300)))
        try PNGBenchmark.run(directory: workDirectory)
        try StressBenchmark.run(directory: workDirectory, peerFrames: 64, every: 1)
    default:
        print("usage: steerlens-bench [decode [--seconds S] | memory | engine [--repetitions R] [--batch B] [--lanes L --blas-threads T] | saliency | methods [--repetitions R] [--batch B] | onnx [--repetitions R] | stress [--peer-frames N] [--every K] | transforms [--frames N] [--suite S] | png | pipeline | analyze | all]")
        exit(64)
    }
} catch {
    StandardError.line("steerlens-bench: \(error)")
    exit(1)
}
