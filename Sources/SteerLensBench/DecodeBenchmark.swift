import Foundation
import VideoIO

/// Decode + preprocess throughput on a 1280×720 H.264 clip to a 200×66 RGB Float tensor, against
/// `ffmpeg -i clip -vf scale=200:66,format=rgb24 -f null -` on the same clip in the same run.
enum DecodeBenchmark {
    static func run(seconds: Double, directory: URL) throws {
        let clip = try BenchClips.clip(seconds: Int(seconds), in: directory)
        print("decode + preprocess, \(clip.lastPathComponent) (\(Int(seconds * 30)) frames of 1280x720 H.264)")
        let ffmpegSeconds = try timeFFmpeg(clip)
        let preprocess = Preprocess(crop: CropInsets(), size: PixelSize(width: 200, height: 66), interpolation: .area)
        var best = Double.infinity, frames = 0
        for _ in 0..<3 {
            let start = Date()
            frames = try decode(clip, preprocess: preprocess)
            best = min(best, Date().timeIntervalSince(start))
        }
        let ffmpegBest = ffmpegSeconds
        let ours = Double(frames) / best, theirs = Double(frames) / ffmpegBest
        print(String(format: "  steerlens FrameReader+Preprocess (area, 200x66, Float): %7.1f frames/s  (%.2f s)", ours, best))
        print(String(format: "  ffmpeg -vf scale=200:66,format=rgb24 -f null -:         %7.1f frames/s  (%.2f s)", theirs, ffmpegBest))
        print(String(format: "  ratio steerlens/ffmpeg: %.2f", ours / theirs))
    }

    static func decode(_ clip: URL, preprocess: Preprocess) throws -> Int {
        let reader = try FrameReader(path: clip.path)
        var frame = Frame(index: 0, time: 0, width: 0, height: 0, pixels: [])
        var input = [Float](repeating: 0, count: 200 * 66 * 3)
        var count = 0
        let skipPreprocess = ProcessInfo.processInfo.environment["BENCH_SKIP_PREPROCESS"] != nil
        while try reader.read(into: &frame) {
            if skipPreprocess { count += 1; continue }
            try input.withUnsafeMutableBufferPointer { try preprocess.apply(to: frame, into: $0) }
            count += 1
        }
        return count
    }

    /// Best of three wall times of the ffmpeg CLI doing the equivalent work.
    static func timeFFmpeg(_ clip: URL) throws -> Double {
        var best = Double.infinity
        for _ in 0..<3 {
            // Spawned and awaited directly: Foundation's `waitUntilExit` can add 50 ms of polling to the peer.
            let start = Date()
            try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"),
                                 ["ffmpeg", "-v", "error", "-nostdin", "-i", clip.path, "-vf", "scale=200:66,format=rgb24", "-f", "null", "-"])
            best = min(best, Date().timeIntervalSince(start))
        }
        return best
    }
}
