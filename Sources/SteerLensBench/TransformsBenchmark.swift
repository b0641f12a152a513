import Analysis
import Foundation
import VideoIO

/// `steerlens-bench transforms [--suite S]`: CPU time per setting (DeepTest's, or suite `S`'s) of what `stress` does per transformed
/// frame before the forward pass (``StressRunner/modelInput(_:transform:preprocess:into:)``: the transform
/// of the rows the demo model's crop keeps and the preprocessing, crop and area resize to 200×66) — on the first `frames` demo frames, one thread,
/// each frame through every setting before the next frame (the order `stress` runs them in). Thread
/// CPU time, so the figures hold on a loaded machine; the sum says where a stress run's time goes.
enum TransformsBenchmark {
    static func run(frames count: Int, suite name: String) throws {
        let repository = AnalyzeBenchmark.repository
        let clip = repository.appendingPathComponent("Datasets/demo/drive.mp4").path
        let model = repository.appendingPathComponent("Datasets/models/pilotnet-demo.h5").path
        guard let sidecar = try ModelSidecar.load(forModel: model) else { throw BenchError("no sidecar beside \(model)") }
        let preprocess = try sidecar.preprocess()
        let reader = try FrameReader(path: clip)
        var frames: [Frame] = []
        while frames.count < count, let frame = try reader.next() { frames.append(frame) }
        let suite = try StressSuite.named(name)
        print("transforms: CPU ms per transformed frame (transform of the crop's rows + preprocessing), suite \(name), \(frames.count) demo frames 640x360")
        var total = 0.0, byGroup: [String: Double] = [:]
        var scalars = [Float](repeating: 0, count: 66 * 200 * 3)
        let plain = threadCPUSeconds()
        for frame in frames { try scalars.withUnsafeMutableBufferPointer { try preprocess.apply(to: frame, into: $0) } }
        let preprocessOnly = (threadCPUSeconds() - plain) / Double(frames.count) * 1000
        // Frame by frame, every setting of a frame in turn, as `stress` runs them (a frame stays in cache).
        var seconds = [Double](repeating: 0, count: suite.settings.count)
        for frame in frames {
            for (index, setting) in suite.settings.enumerated() {
                let start = threadCPUSeconds()
                try scalars.withUnsafeMutableBufferPointer { try StressRunner.modelInput(frame, transform: setting.transform, preprocess: preprocess, into: $0) }
                seconds[index] += threadCPUSeconds() - start
            }
        }
        for (setting, seconds) in zip(suite.settings, seconds) {
            let milliseconds = seconds / Double(frames.count) * 1000
            total += milliseconds
            byGroup[setting.group, default: 0] += milliseconds
            print(String(format: "  %-18@ %7.3f ms", setting.specification, milliseconds))
        }
        print(String(format: "  preprocessing alone (untransformed frame): %.3f ms", preprocessOnly))
        for (group, milliseconds) in byGroup.sorted(by: { $0.value > $1.value }) {
            print(String(format: "  %-12@ %8.2f ms for its settings (%4.1f %%)", group, milliseconds, 100 * milliseconds / total))
        }
        let settings = max(suite.settings.count, 1)
        print(String(format: "  all %d settings: %.1f ms CPU per source frame = %.2f ms per transformed frame (%.0f transformed frames per CPU second before the forward passes)",
                     settings, total, total / Double(settings), Double(settings) * 1000 / total))
    }

    /// CPU seconds of the calling thread.
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
