internal import CFFmpeg

/// Display rotation: reading a stream's display matrix and turning RGB24 pixels upright.
enum Rotation {
    /// The display matrix rotation in degrees counter-clockwise (`ffprobe`'s `rotation`), rounded to
    /// whole degrees; 0 when the stream has no display matrix.
    static func displayRotation(of stream: UnsafeMutablePointer<AVStream>) -> Int {
        var size: Int = 0
        guard let data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size), size >= 9 * 4 else { return 0 }
        let degrees = data.withMemoryRebound(to: Int32.self, capacity: 9) { av_display_rotation_get($0) }
        guard degrees.isFinite else { return 0 }
        return Int(degrees.rounded())
    }

    /// Clockwise quarter turns that make a frame with this display rotation upright (what `ffmpeg`'s
    /// autorotate applies: 90 → transpose clockwise, 180 → flip both, 270 → transpose counter-clockwise).
    static func quarterTurns(forDisplayRotation rotation: Int) -> Int {
        // Display rotation is counter-clockwise; the picture must turn the opposite way.
        let clockwise = ((-rotation % 360) + 360) % 360
        return Int((Double(clockwise) / 90).rounded()) % 4
    }

    /// `pixels` (RGB24, width×height) turned clockwise by `clockwiseQuarterTurns` × 90°.
    static func rotate(_ pixels: [UInt8], width: Int, height: Int, clockwiseQuarterTurns: Int) -> [UInt8] {
        let turns = ((clockwiseQuarterTurns % 4) + 4) % 4
        guard turns != 0 else { return pixels }
        var output = [UInt8](repeating: 0, count: pixels.count)
        let outputWidth = turns == 2 ? width : height
        pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                for y in 0..<height {
                    for x in 0..<width {
                        let (outputX, outputY): (Int, Int)
                        switch turns {
                        case 1: (outputX, outputY) = (height - 1 - y, x)
                        case 2: (outputX, outputY) = (width - 1 - x, height - 1 - y)
                        default: (outputX, outputY) = (y, width - 1 - x)
                        }
                        let from = (y * width + x) * 3, to = (outputY * outputWidth + outputX) * 3
                        destination[to] = source[from]
                        destination[to + 1] = source[from + 1]
                        destination[to + 2] = source[from + 2]
                    }
                }
            }
        }
        return output
    }
}
