import Foundation
import VideoIO

/// PNG encoding of 720p images, CPU ms per image and size, for each `PNGDeflate` beside libdeflate's
/// level 1 (SteerLens' encoder before issue 16's second round): the frame and overlay PNGs of a real
/// `steerlens analyze` run on the synthetic bench clip, and frames of the shared real 720p clip when
/// `../shared/data` is present. Single thread; one encoder per setting, reused across images.
enum PNGBenchmark {
    static func run(directory: URL) throws {
        guard let steerlens = AnalyzeBenchmark.steerlens else { return }
        let clip = try BenchClips.clip(seconds: 10, in: directory)
        _ = try AnalyzeBenchmark.measure(steerlens, clip: clip, model: AnalyzeBenchmark.model, pngEvery: 1, directory: directory, extra: ["--every", "30"])
        let output = directory.appendingPathComponent("analyze-out")
        var sets: [(name: String, images: [Frame])] = []
        for folder in ["frames", "increase", "maintain"] {
            let files = try FileManager.default.contentsOfDirectory(at: output.appendingPathComponent(folder), includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "png" }.sorted { $0.path < $1.path }
            sets.append(("synthetic clip, \(folder)", try files.map { try firstFrame(of: $0.path) }))
        }
        let real = AnalyzeBenchmark.repository.appendingPathComponent("../shared/data/clips/udacity-test_video.mp4").standardizedFileURL
        if FileManager.default.fileExists(atPath: real.path) {
            let reader = try FrameReader(path: real.path, options: ReadOptions(every: 4, maxFrames: 8))
            var frames: [Frame] = []
            while let frame = try reader.next() { frames.append(frame) }
            sets.append(("real camera frames (udacity-test_video)", frames))
        }
        print("PNG encoding, 1280x720 RGB, one thread (CPU ms per image, compressed size / raw size)")
        let settings: [(name: String, deflate: PNGDeflate)] = [("run-length (default, level 1)", .runLength), ("libdeflate level 1 (before)", .libdeflate(level: 1)),
                                                               ("libdeflate level 6", .libdeflate(level: 6))]
        for set in sets where !set.images.isEmpty {
            print("  \(set.name), \(set.images.count) images:")
            let raw = set.images.reduce(0) { $0 + $1.pixels.count }
            var bytes = [Int](repeating: 0, count: settings.count)
            let encoders = try settings.map { try ImageEncoder(format: .png, pngDeflate: $0.deflate) }
            let seconds = try Timing.bestSeconds(rounds: 3, encoders.indices.map { index in {
                bytes[index] = try set.images.reduce(0) { $0 + (try encoders[index].encode($1.pixels, width: $1.width, height: $1.height).count) }
            } })
            for (index, setting) in settings.enumerated() {
                print(String(format: "    %@ %6.2f ms  size %.3f", setting.name.padding(toLength: 30, withPad: " ", startingAt: 0), 1e3 * seconds[index] / Double(set.images.count), Double(bytes[index]) / Double(raw)))
            }
            print(String(format: "    run-length is %.2fx as fast as libdeflate level 1", seconds[1] / seconds[0]))
        }
    }

    private static func firstFrame(of path: String) throws -> Frame {
        guard let frame = try FrameReader(path: path).next() else { throw BenchError("no image in \(path)") }
        return frame
    }
}
