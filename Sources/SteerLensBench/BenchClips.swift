import Foundation
import VideoIO

/// Synthetic dashcam-like clips for benchmarks (720p, or the 320×160 of the Udacity simulator), written
/// once with the project's H.264 writer and cached under the bench directory. Deterministic: the same
/// size and length always give the same frames.
enum BenchClips {
    static let simulator = PixelSize(width: 320, height: 160)
    static let framesPerSecond = 30

    static func clip(seconds: Int, in directory: URL, size: PixelSize = PixelSize(width: 1280, height: 720)) throws -> URL {
        let url = directory.appendingPathComponent("road-\(size.width)x\(size.height)-\(seconds)s.mp4")
        if !FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try write(seconds: seconds, to: url, size: size)
        }
        return url
    }

    /// Writes `seconds` of the road scene at `size` as H.264, ``framesPerSecond`` frames a second.
    static func write(seconds: Int, to url: URL, size: PixelSize = PixelSize(width: 1280, height: 720)) throws {
        let writer = try VideoWriter(url: url, size: size, encoding: .h264(frameRate: Rational(framesPerSecond, 1), crf: 23))
        for index in 0..<(seconds * framesPerSecond) { try writer.write(frame(index: index, size: size)) }
        try writer.finish()
    }

    /// A moving road scene: sky, a textured verge, a road with lane markings whose curve changes over time.
    static func frame(index: Int, size: PixelSize) -> Frame {
        var pixels = [UInt8](repeating: 0, count: size.width * size.height * 3)
        let horizon = size.height * 2 / 5
        let curve = sin(Double(index) / 45) * 0.6
        for y in 0..<size.height {
            let depth = y > horizon ? Double(y - horizon) / Double(size.height - horizon) : 0
            let centre = Double(size.width) / 2 + curve * Double(size.width) * (1 - depth) * (1 - depth) * 0.5
            let halfRoad = 40 + depth * Double(size.width) * 0.45
            for x in 0..<size.width {
                let offset = (y * size.width + x) * 3
                var colour: (Int, Int, Int)
                if y <= horizon {
                    colour = (110 + y / 8, 150 + y / 10, 220)
                } else {
                    let distance = abs(Double(x) - centre)
                    let texture = ((x &* 73 ^ (y + index * 3) &* 151) & 31)
                    if distance < halfRoad {
                        colour = (90 + texture / 2, 90 + texture / 2, 95 + texture / 2)
                        let dash = (Int(1 / (depth + 0.05) * 20) + index) % 20 < 10
                        if abs(distance - halfRoad * 0.95) < 4 + depth * 6 || (distance < 2 + depth * 5 && dash) { colour = (235, 235, 225) }
                    } else {
                        colour = (60 + texture, 110 + texture, 50)
                    }
                }
                pixels[offset] = UInt8(clamping: colour.0)
                pixels[offset + 1] = UInt8(clamping: colour.1)
                pixels[offset + 2] = UInt8(clamping: colour.2)
            }
        }
        return Frame(index: index, time: Double(index) / 30, width: size.width, height: size.height, pixels: pixels)
    }
}
