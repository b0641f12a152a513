import Foundation

/// `steerlens stress --suite deeptest` (DeepTest's 70 settings) on the 45 s demo clip with the demo
/// model, end to end through the release binary: transformed frames per second of the stress loop
/// (decode, transform, preprocess, forward) and of the whole command (plus the worst-case maps and
/// the report), beside the Python peer (`Benchmarks/peers/stress_peer.py`: OpenCV transforms +
/// TensorFlow `predict_on_batch`, DeepTest's approach) on the first `peerFrames` frames in the same run.
/// The peer runs once before and once after steerlens and the faster of its two runs is the one
/// compared, so a neighbour's load during one peer run cannot flatter steerlens.
enum StressBenchmark {
    static func run(directory: URL, peerFrames: Int, every: Int) throws {
        let steerlens = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("steerlens")
        guard FileManager.default.isExecutableFile(atPath: steerlens.path) else {
            print("stress: build steerlens first (swift build -c release --product steerlens)")
            return
        }
        let repository = AnalyzeBenchmark.repository
        let clip = repository.appendingPathComponent("Datasets/demo/drive.mp4").path
        let model = repository.appendingPathComponent("Datasets/models/pilotnet-demo.h5").path
        print("stress, DeepTest suite (70 settings), demo clip 640x360 45 s" + (every > 1 ? " every \(every)th frame" : "") + ", demo model")
        let peerBefore = peerFrames > 0 ? measurePeer(clip: clip, model: model, frames: peerFrames) : nil
        let process = Process()
        process.executableURL = steerlens
        process.arguments = ["stress", clip, "--model", model, "--labels", repository.appendingPathComponent("Datasets/demo/labels.csv").path,
                             "--suite", "deeptest", "--every", "\(every)", "--out", directory.appendingPathComponent("stress-out").path, "--overwrite"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuBefore = childrenCPUSeconds()
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpu = childrenCPUSeconds() - cpuBefore
        guard [0, 1].contains(process.terminationStatus) else { throw BenchError("steerlens stress failed: \(output)") }
        // "stressed <clip>: N frames × 70 settings = M transformed frames in T s (R transformed frames/s)"
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("stressed ") }),
              let equals = line.range(of: "= "), let count = Double(line[equals.upperBound...].prefix { $0.isNumber }),
              let open = line.range(of: "("), let loop = Double(line[open.upperBound...].prefix { $0.isNumber || $0 == "." }) else {
            throw BenchError("unexpected steerlens stress output: \(output)")
        }
        let endToEnd = count / seconds
        print(String(format: "  steerlens stress loop:  %8.1f transformed frames/s (%.0f transformed frames)", loop, count))
        print(String(format: "  steerlens end to end:   %8.1f transformed frames/s (%.1f s with worst-case maps and report); %.1f per CPU second (%.1f s user+sys)",
                     endToEnd, seconds, count / cpu, cpu))
        guard peerFrames > 0 else { return }
        guard let before = peerBefore, let after = measurePeer(clip: clip, model: model, frames: peerFrames) else {
            print("  peer: unavailable (pip install tensorflow-cpu tf-keras opencv-python-headless)")
            return
        }
        let peer = max(before.rate, after.rate), peerPerCPU = max(before.perCPUSecond, after.perCPUSecond)
        print(String(format: "  python OpenCV + TensorFlow peer (first %d frames x 70): %8.1f transformed frames/s (the faster of %.1f before and %.1f after steerlens); steerlens loop is %.1fx, end to end %.1fx",
                     peerFrames, peer, before.rate, after.rate, loop / peer, endToEnd / peer))
        print(String(format: "  per CPU second (user+sys, the machine's load aside): steerlens %.1f, peer %.1f (whole process, TensorFlow start-up included; the better of its two runs): %.1fx",
                     count / cpu, peerPerCPU, count / cpu / peerPerCPU))
    }

    /// One peer run: its transformed frames per second and per CPU second of its whole process.
    static func measurePeer(clip: String, model: String, frames: Int) -> (rate: Double, perCPUSecond: Double)? {
        let cpuBefore = childrenCPUSeconds()
        guard let rate = peer(clip: clip, model: model, frames: frames) else { return nil }
        return (rate, Double(frames * 70) / (childrenCPUSeconds() - cpuBefore))
    }

    /// CPU seconds (user + system) of every finished child process so far.
    static func childrenCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    static func peer(clip: String, model: String, frames: Int) -> Double? {
        guard let run = ChildProcess.peer("stress_peer.py", [clip, model, "--frames", "\(frames)"]), run.status == 0 else { return nil }
        return ChildProcess.lastValue(in: run.text)
    }
}
