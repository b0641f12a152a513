import Foundation
import SteerLensSupport
import VideoIO

/// Writes the demo clip: `drive.mp4`, `labels.csv`, `scene.csv` and lane masks.
///
/// The H.264 settings make the encoder causal and single-threaded (no lookahead, no macroblock tree,
/// no B-frames, no scene-cut detection, fixed GOP, one thread), so the same binary and libx264
/// reproduce the file, and an encode of the first N frames equals the first N frames of the full clip.
public enum DemoClip {
    /// The demo clip's seed (the training sets use other seeds).
    public static let defaultSeed: UInt64 = 7

    /// Fixed libx264 settings shared by the demo clip and the training sets.
    public static func encoding(crf: Int = 27) -> VideoEncoding {
        VideoEncoding(encoder: "libx264", pixelFormat: "yuv420p", frameRate: Rational(30, 1), options: [
            "preset": "medium",
            "crf": "\(crf)",
            "threads": "1",
            "x264-params": "threads=1:lookahead-threads=1:rc-lookahead=0:mbtree=0:bframes=0:scenecut=0:keyint=60:min-keyint=60",
        ])
    }

    public struct Options: Sendable {
        public var seed: UInt64 = DemoClip.defaultSeed
        public var seconds: Double = 45
        public var size = PixelSize(width: 640, height: 360)
        public var masksEvery = 30
        public var crf = 27
        /// Render only the first `frameLimit` frames (tests regenerate a prefix of the clip).
        public var frameLimit: Int?
        public init() {}
    }

    /// Number of frames of a clip `seconds` long at 30 fps.
    public static func frameCount(seconds: Double) -> Int { Int((seconds * 30).rounded()) }

    /// Renders and writes the clip into `directory` (`drive.mp4`, `labels.csv`, `scene.csv`,
    /// `masks/NNNNNN.png`); returns the number of frames written.
    @discardableResult
    public static func write(options: Options, to directory: URL, progress: ((Int, Int) -> Void)? = nil) throws -> Int {
        let plan = RoadPlan(seed: options.seed, seconds: options.seconds)
        let renderer = SceneRenderer(plan: plan, size: options.size)
        let count = min(frameCount(seconds: options.seconds), options.frameLimit ?? .max)
        let writer = try VideoWriter(url: directory.appendingPathComponent("drive.mp4"), size: options.size, encoding: encoding(crf: options.crf))
        let masks = directory.appendingPathComponent("masks")
        try FileManager.default.createDirectory(at: masks, withIntermediateDirectories: true)
        let png = try ImageEncoder(format: .png, compressionLevel: 9)
        var labels = "frame,time_s,steering\n"
        var scene = "frame,situation,curvature_ahead,lateral_offset_m,relative_heading_rad,distance_m\n"
        for index in 0..<count {
            let rendered = renderer.render(index: index)
            try writer.write(rendered.frame)
            labels += labelLine(rendered.state)
            scene += sceneLine(rendered.state)
            if options.masksEvery > 0, index % options.masksEvery == 0 {
                try png.write(maskPixels(rendered.laneMask), width: options.size.width, height: options.size.height,
                              to: masks.appendingPathComponent(String(format: "%06d.png", index)))
            }
            progress?(index + 1, count)
        }
        try writer.finish()
        try AtomicFile.write(Data(labels.utf8), to: directory.appendingPathComponent("labels.csv"))
        try AtomicFile.write(Data(scene.utf8), to: directory.appendingPathComponent("scene.csv"))
        return count
    }

    /// One `labels.csv` row: `frame,time_s,steering` (steering with 6 decimals).
    public static func labelLine(_ state: DriveState) -> String {
        String(format: "%d,%.6f,%.6f\n", state.index, state.time, state.steering)
    }

    /// One `scene.csv` row: the geometry behind the label.
    public static func sceneLine(_ state: DriveState) -> String {
        String(format: "%d,%@,%.6f,%.4f,%.5f,%.2f\n", state.index, state.situation.rawValue, state.curvatureAhead,
               state.lateralOffset, state.relativeHeading, state.distance)
    }

    /// A 0/1 mask as RGB24 pixels with 0 or 255 in every channel (the PNG the masks are stored as).
    public static func maskPixels(_ mask: [UInt8]) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: mask.count * 3)
        for index in mask.indices where mask[index] != 0 {
            pixels[index * 3] = 255; pixels[index * 3 + 1] = 255; pixels[index * 3 + 2] = 255
        }
        return pixels
    }
}
