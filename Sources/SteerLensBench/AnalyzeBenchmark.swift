import Foundation

/// End-to-end `steerlens analyze` on generated 1280×720 30 fps H.264 clips with the demo model:
/// frames/s with full-resolution overlay PNG streams and with `--png-every 10`, peak RSS for a 10 s and
/// a 60 s clip (`/usr/bin/time`), and the Python end-to-end peers (OpenCV → tf-keras-vis or
/// tf.GradientTape → matplotlib jet overlay → Pillow PNG) on the same clip in the same run. Each
/// measured run also prints where the CPU time went per pipeline stage (`analyze --stage-times`).
/// `STEERLENS_BENCH_STEERLENS=/path/to/steerlens` measures another build (e.g. main's, for before figures).
enum AnalyzeBenchmark {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `steerlens` binary to measure: `STEERLENS_BENCH_STEERLENS`, else the one beside this binary.
    static var steerlens: URL? {
        let url = ProcessInfo.processInfo.environment["STEERLENS_BENCH_STEERLENS"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("steerlens")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            print("analyze: build steerlens first (swift build -c release --product steerlens)")
            return nil
        }
        return url
    }

    static let model = repository.appendingPathComponent("Datasets/models/pilotnet-demo.h5").path

    static func run(directory: URL, peerFrames: Int) throws {
        guard let steerlens else { return }
        try PipelineBenchmark.run(steerlens: steerlens, directory: directory)
        let long = try BenchClips.clip(seconds: 60, in: directory), short = try BenchClips.clip(seconds: 10, in: directory)
        print("end-to-end analyze, 1280x720 30 fps H.264, demo model (three maps, jet overlays, report; --faithfulness-every 0, the peers' work)")
        let full = try measure(steerlens, clip: long, model: model, pngEvery: 1, directory: directory)
        print(String(format: "  steerlens 60 s, four full-size PNG streams (frame + 3 overlays): %6.1f frames/s, peak RSS %5.1f MB, %5.1f CPU ms per frame",
                     full.rate, full.megabytes, 1e3 * full.cpuSeconds))
        print("    " + full.stages)
        let fullBrief = try measure(steerlens, clip: short, model: model, pngEvery: 1, directory: directory)
        print(String(format: "  steerlens 10 s, four full-size PNG streams (frame + 3 overlays): %6.1f frames/s, peak RSS %5.1f MB (60 s / 10 s RSS %.3f)",
                     fullBrief.rate, fullBrief.megabytes, full.megabytes / fullBrief.megabytes))
        let sparse = try measure(steerlens, clip: long, model: model, pngEvery: 10, directory: directory)
        print(String(format: "  steerlens 60 s, --png-every 10:                                 %6.1f frames/s, peak RSS %5.1f MB, %5.1f CPU ms per frame",
                     sparse.rate, sparse.megabytes, 1e3 * sparse.cpuSeconds))
        print("    " + sparse.stages)
        let brief = try measure(steerlens, clip: short, model: model, pngEvery: 10, directory: directory)
        print(String(format: "  steerlens 10 s, --png-every 10:                                 %6.1f frames/s, peak RSS %5.1f MB (60 s / 10 s RSS %.3f)",
                     brief.rate, brief.megabytes, sparse.megabytes / brief.megabytes))
        for tape in [false, true] where peerFrames > 0 {
            guard let rate = peer(clip: long, model: model, frames: peerFrames, tape: tape, directory: directory) else {
                print("  peer: unavailable (pip install tensorflow-cpu tf-keras tf-keras-vis opencv-python-headless pillow matplotlib)")
                return
            }
            print(String(format: "  %@ (first %d frames, three full-size PNG streams): %6.2f frames/s; steerlens full PNG streams is %.1fx",
                         tape ? "python tf.GradientTape peer" : "python tf-keras-vis peer   ", peerFrames, rate, full.rate / rate))
        }
    }

    /// Runs one analysis under `/usr/bin/time`; frames/s from the frame count over wall time, peak RSS,
    /// CPU seconds (user + system) per frame, and
    /// the run's CPU time per stage (its `--stage-times` line; a build without the flag says so).
    /// Faithfulness scoring is off unless `extra` sets `--faithfulness-every` (the Python peers and the
    /// figures of issue 16 have none). The previous measurement's output is deleted before the clock
    /// starts: with every PNG written that is up to 7 GB (60 s of 720p), and `--overwrite` would
    /// otherwise charge its deletion to this run.
    static func measure(_ steerlens: URL, clip: URL, model: String, pngEvery: Int, directory: URL,
                        extra: [String] = []) throws -> (rate: Double, megabytes: Double, stages: String, cpuSeconds: Double) {
        let stageFlag = (supportsStageTimes(steerlens) ? ["--stage-times"] : []) + (extra.contains("--faithfulness-every") ? [] : ["--faithfulness-every", "0"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        let out = directory.appendingPathComponent("analyze-out")
        try? FileManager.default.removeItem(at: out)
        process.arguments = ["-f", "%U %S %M", steerlens.path, "analyze", clip.path, "--model", model, "--out", out.path,
                             "--quiet", "--png-every", "\(pngEvery)"] + stageFlag + extra
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        // The end of standard error is `time`'s exit, after the analysis's. Foundation's `waitUntilExit`
        // polls its run loop and can return tens of milliseconds later, so the clock stops first.
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("steerlens analyze failed: \(output)") }
        let lines = output.split(separator: "\n")
        let usage = (lines.last ?? "").split(separator: " ").compactMap { Double($0) }
        let (cpuSeconds, kilobytes) = usage.count == 3 ? (usage[0] + usage[1], usage[2]) : (0, 0)
        let frames = lines.compactMap { line -> Int? in
            guard let range = line.range(of: "analysed ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }.first ?? 0
        let stages = lines.first { $0.hasPrefix("CPU time per stage") }.map(String.init) ?? "CPU time per stage: not reported by this build"
        return (Double(frames) / seconds, kilobytes / 1024, stages, cpuSeconds / Double(max(frames, 1)))
    }

    /// Whether `analyze` knows the hidden `--stage-times` flag (builds before issue 16 do not).
    static func supportsStageTimes(_ steerlens: URL) -> Bool {
        ChildProcess.output(steerlens, ["analyze", "--help-hidden"])?.text.contains("--stage-times") ?? false
    }

    static func peer(clip: URL, model: String, frames: Int, tape: Bool, directory: URL) -> Double? {
        let arguments = [clip.path, model, "--frames", "\(frames)", "--out", directory.appendingPathComponent("peer-out").path] + (tape ? ["--tape"] : [])
        return ChildProcess.peer("tf_analyze_peer.py", arguments).flatMap { ChildProcess.lastValue(in: $0.text) }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
