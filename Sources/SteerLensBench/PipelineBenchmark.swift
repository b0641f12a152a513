import Analysis
import Foundation
import ModelImport
import NeuralNet
import SteerLensSupport
import VideoIO

/// How much of the engine's speed the whole pipeline keeps: `steerlens analyze --png-every 0` end to
/// end on a 320×160 H.264 clip (the Udacity simulator's frame size; decode, preprocessing, three maps,
/// run files) beside the demo model's forward + backward pass alone at the same batch size (32), both
/// measured in this run. The end-to-end figure is the best of three runs of the whole command (process
/// start and model loading included). The engine is measured the same way: the clip's frame count in
/// passes back to back (56 passes of 32), before and after every one of those runs, so both figures see
/// the same spells of a shared machine's load, and the engine figure is the best such run. Their ratio is
/// the share of the engine's speed a user sees (issue 16 asks for at least 85 %). The best single pass of
/// all those runs is printed too, with the ratio to it: on a shared machine a 25 ms pass can fall in a
/// quiet spell that no two-second run gets (on the 2-core host of 2026-12-03 the best pass was 10–25 %
/// faster than the best back-to-back run), so it measures the machine's noise as much as the pipeline.
/// Wall-clock figures swing with the neighbours' load, so the same comparison is also printed in CPU
/// time per frame (the engine's process CPU time over its best run; `analyze`'s user + system time over
/// its frames, start-up included), which load changes much less.
///
/// Every run also pays a fixed cost that does not depend on the clip's length: process start (dynamic
/// loading of FFmpeg's, Foundation's and OpenBLAS's libraries), model loading, the first batch's cold
/// buffers and the result files. It is printed beside the figures: `steerlens --version` alone, and
/// `analyze` of the clip's first 32 frames (one batch), interleaved, best of five each after a warm-up
/// (``Timing``), less the time to start and wait for `/bin/true` the same way.
///
/// The ceiling this machine puts on that share is printed last, from the same run. Besides the pass,
/// `analyze` cannot leave out decoding the clip to RGB24, preprocessing each frame into the model's
/// input (``FloorWork``: CPU time per frame in this process, one decoder thread, the least CPU time),
/// starting the process and loading the model. Even with every core busy all the time and nothing else
/// costing anything (no maps, run files or report), it needs `frames · (pass + floor) / cores + start +
/// load` seconds, so it keeps at most `T` over that of the engine, `T` the engine's time for the frames.
///
/// `analyze` scores faithfulness every 60th frame by default (38 forward passes per map, plus 38 for a
/// random ranking and 2 for the frame and the baseline), so the pipeline is measured both with that
/// default and with `--faithfulness-every 0`.
enum PipelineBenchmark {
    static let batch = 32, seconds = 60, runs = 3

    static func run(steerlens: URL, directory: URL) throws {
        let clip = try BenchClips.clip(seconds: seconds, in: directory, size: BenchClips.simulator)
        print("pipeline vs engine, 320x160 30 fps H.264 (\(seconds) s), demo model, batch \(batch) (analyze --png-every 0, best of \(runs))")
        let engine = try Engine(), frames = seconds * BenchClips.framesPerSecond
        var results: [(label: String, rate: Double, megabytes: Double, stages: String, cpuSeconds: Double)] = []
        try engine.measureRun(frames: frames)
        for (label, extra) in [("analyze --png-every 0 --faithfulness-every 0", ["--faithfulness-every", "0"]),
                               ("analyze --png-every 0 --faithfulness-every 60 (default)", ["--faithfulness-every", "60"])] {
            var best: (rate: Double, megabytes: Double, stages: String, cpuSeconds: Double) = (0, 0, "", 0)
            for _ in 0..<runs {
                let run = try AnalyzeBenchmark.measure(steerlens, clip: clip, model: AnalyzeBenchmark.model, pngEvery: 0, directory: directory,
                                                       extra: ["--batch-size", "\(batch)"] + extra)
                if run.rate > best.rate { best = run }
                try engine.measureRun(frames: frames)
            }
            results.append((label, best.rate, best.megabytes, best.stages, best.cpuSeconds))
        }
        print(String(format: "  engine pass only (forward + backward, batch %d), %d frames back to back: %7.1f frames/s (best of %d runs); %.3f CPU ms per frame",
                     batch, engine.passesPerRun(frames: frames) * batch, engine.rate, engine.runs, 1e3 * engine.cpuSecondsPerFrame))
        print(String(format: "  engine's best single pass (of %d in those runs):                %7.1f frames/s; %.3f CPU ms per frame",
                     engine.passes, engine.bestPassRate, 1e3 * engine.bestPassCPUSecondsPerFrame))
        for result in results {
            print(String(format: "  %@: %7.1f frames/s = %5.1f%% of the engine (%5.1f%% of its best single pass), peak RSS %5.1f MB; %.3f CPU ms per frame = %5.1f%% of the engine's frames per CPU second",
                         result.label.padding(toLength: 56, withPad: " ", startingAt: 0), result.rate, 100 * result.rate / engine.rate,
                         100 * result.rate / engine.bestPassRate, result.megabytes,
                         1e3 * result.cpuSeconds, 100 * engine.cpuSecondsPerFrame / max(result.cpuSeconds, 1e-12)))
            print("    " + result.stages)
        }
        // Each one-batch run writes a folder of its own (the warm-up and five rounds), so no deletion is timed.
        let rounds = 5
        var runs = 0
        let folder = { (run: Int) in directory.appendingPathComponent("one-batch-out-\(run)") }
        for run in 1...(rounds + 1) { try? FileManager.default.removeItem(at: folder(run)) }
        let times = try Timing.bestSeconds(rounds: rounds, [
            { try ChildProcess.run(URL(fileURLWithPath: "/bin/true"), []) },
            { try ChildProcess.run(steerlens, ["--version"]) },
            {
                runs += 1
                try ChildProcess.run(steerlens, ["analyze", clip.path, "--model", AnalyzeBenchmark.model, "--out", folder(runs).path, "--quiet",
                                                 "--png-every", "0", "--faithfulness-every", "0", "--batch-size", "\(batch)", "--max-frames", "\(batch)"])
            },
        ])
        for run in 1...runs { try? FileManager.default.removeItem(at: folder(run)) }
        let (trivial, start, oneBatch) = (times[0], times[1], times[2])
        print(String(format: "  fixed cost of a run (beyond starting /bin/true, %.0f ms): process start %.0f ms (steerlens --version); analyze of one batch (%d frames) %.0f ms, of which the engine's pass %.0f ms",
                     1e3 * trivial, 1e3 * (start - trivial), batch, 1e3 * (oneBatch - trivial), 1e3 * Double(batch) / engine.rate))
        let floor = try FloorWork.measure(clip), load = try FloorWork.modelLoadSeconds()
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount), decoded = Double(floor.frames)
        let least = decoded * (engine.cpuSecondsPerFrame + floor.decode + floor.preprocess) / cores + (start - trivial) + load
        print(String(format: "  ceiling on this machine (%.0f cores): decoding to RGB24 %.3f + preprocessing %.3f CPU ms per frame (%.1f%% of the pass's %.3f), process start %.0f ms, model loading %.0f ms: with every core busy all the time and nothing else costing anything, analyze keeps at most %.1f%% of the engine over these %d frames",
                     cores, 1e3 * floor.decode, 1e3 * floor.preprocess, 100 * (floor.decode + floor.preprocess) / engine.cpuSecondsPerFrame,
                     1e3 * engine.cpuSecondsPerFrame, 1e3 * (start - trivial), 1e3 * load, 100 * decoded / engine.rate / least, floor.frames))
    }

    /// The least CPU time per frame (best of three readings of the clip) of what `analyze` must do besides
    /// the network: decode to RGB24 (process CPU time; one decoder thread, which costs the least: frame
    /// threads add their synchronisation) and preprocess into the demo model's input (its sidecar's crop
    /// and area resize; thread CPU time around each call).
    enum FloorWork {
        static func measure(_ clip: URL) throws -> (decode: Double, preprocess: Double, frames: Int) {
            guard let sidecar = try ModelSidecar.load(forModel: AnalyzeBenchmark.model) else { throw BenchError("no sidecar beside the demo model") }
            let preprocess = try sidecar.preprocess()
            var input = [Float](repeating: 0, count: 66 * 200 * 3)
            var best = (decode: Double.infinity, preprocess: Double.infinity, frames: 0)
            for _ in 0..<3 {
                let reader = try FrameReader(path: clip.path, options: ReadOptions(decoderThreads: 1))
                var frame = Frame(index: 0, time: 0, width: 0, height: 0, pixels: [])
                var frames = 0, preprocessing = 0.0
                let started = Engine.processCPU()
                while try reader.read(into: &frame) {
                    let before = TransformsBenchmark.threadCPUSeconds()
                    try input.withUnsafeMutableBufferPointer { try preprocess.apply(to: frame, into: $0) }
                    preprocessing += TransformsBenchmark.threadCPUSeconds() - before
                    frames += 1
                }
                let total = Engine.processCPU() - started
                guard frames > 0 else { throw BenchError("no frames in \(clip.path)") }
                best = (min(best.decode, (total - preprocessing) / Double(frames)), min(best.preprocess, preprocessing / Double(frames)), frames)
            }
            return best
        }

        /// The least wall time of three loads of the demo model (HDF5 read and graph build).
        static func modelLoadSeconds() throws -> Double {
            var best = Double.infinity
            for _ in 0..<3 {
                let start = ContinuousClock.now
                _ = try KerasModelLoader.load(from: URL(fileURLWithPath: AnalyzeBenchmark.model))
                best = min(best, EngineBenchmark.seconds(ContinuousClock.now - start))
            }
            return best
        }
    }

    /// The demo model's forward + backward(output 0, unit 0) at `batch` on preprocessed-range inputs
    /// (0…255, the model rescales them itself): the best of every ``measureRun(frames:)`` and, for
    /// comparison, the best single pass within them.
    final class Engine {
        let model: Model
        let input: Tensor
        private var bestRun = (seconds: Double.infinity, cpu: Double.infinity, frames: 1)
        private var bestPass = (seconds: Double.infinity, cpu: Double.infinity)
        private(set) var passes = 0, runs = 0

        init() throws {
            model = try KerasModelLoader.load(from: URL(fileURLWithPath: AnalyzeBenchmark.model)).model
            var generator = SeededRandom(seed: 11)
            input = Tensor(shape: [batch, 66, 200, 3], scalars: (0..<(batch * 66 * 200 * 3)).map { _ in Float.random(in: 0...255, using: &generator) })
            _ = try model.forward(input)
            _ = model.backward(output: 0, unit: 0)
        }

        /// Passes of `batch` that cover `frames` frames.
        func passesPerRun(frames: Int) -> Int { (frames + batch - 1) / batch }

        /// One run of passes back to back over `frames` frames (rounded up to whole batches), as
        /// `analyze` runs them: its wall and CPU time, and each pass's.
        func measureRun(frames: Int) throws {
            let count = passesPerRun(frames: frames)
            let runStart = ContinuousClock.now, runCPU = Self.processCPU()
            for _ in 0..<count {
                let start = ContinuousClock.now, cpu = Self.processCPU()
                _ = try model.forward(input)
                _ = model.backward(output: 0, unit: 0)
                bestPass.seconds = min(bestPass.seconds, EngineBenchmark.seconds(ContinuousClock.now - start))
                bestPass.cpu = min(bestPass.cpu, Self.processCPU() - cpu)
                passes += 1
            }
            let seconds = EngineBenchmark.seconds(ContinuousClock.now - runStart), cpu = Self.processCPU() - runCPU
            if seconds < bestRun.seconds * Double(count * batch) / Double(bestRun.frames) { bestRun = (seconds, cpu, count * batch) }
            runs += 1
        }

        /// Frames/s of the best run so far.
        var rate: Double { Double(bestRun.frames) / bestRun.seconds }
        /// Process CPU seconds per frame of the best run so far (both lanes' threads).
        var cpuSecondsPerFrame: Double { bestRun.cpu / Double(bestRun.frames) }
        /// Frames/s of the best single pass so far.
        var bestPassRate: Double { Double(batch) / bestPass.seconds }
        /// Process CPU seconds per frame of the cheapest single pass so far.
        var bestPassCPUSecondsPerFrame: Double { bestPass.cpu / Double(batch) }

        static func processCPU() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
        }
    }
}
