import VideoIO

/// Draws a map computed at model-input resolution back onto the original frame: the inverse of the
/// preprocessing geometry (crop + resize).
///
/// Each frame pixel centre is mapped into model-input coordinates and the map is sampled bilinearly
/// there (edge values repeated up to the crop border). Frame pixels outside the crop get 0: the model
/// never saw them. Sampling is horizontal first: `upper = top[c₀]·(1 − fx) + top[c₁]·fx`, the same for
/// the bottom row, then `upper·(1 − fy) + lower·fy` — each map row is interpolated across once and
/// shared by every frame row that samples it.
public struct MapProjection: Sendable {
    public let geometry: PreprocessGeometry
    /// One tap per column of the crop and per row of the crop (frame coordinates minus the crop origin).
    private let columns: [AxisTap]
    private let rows: [AxisTap]

    /// Where one frame coordinate samples the map along one axis: between `first` and `second`.
    private struct AxisTap: Sendable {
        let first: Int
        let second: Int
        let fraction: Float
    }

    public init(geometry: PreprocessGeometry) {
        self.geometry = geometry
        columns = (0..<geometry.cropSize.width).map {
            Self.axisTap(offset: $0, scale: geometry.scaleX, inputLength: geometry.outputSize.width)
        }
        rows = (0..<geometry.cropSize.height).map {
            Self.axisTap(offset: $0, scale: geometry.scaleY, inputLength: geometry.outputSize.height)
        }
    }

    /// `map` (`outputSize.height × outputSize.width`, row-major) as a frame-size map
    /// (`frameSize.height × frameSize.width`).
    public func toFrame(_ map: [Float]) -> [Float] {
        let frame = geometry.frameSize
        var output = [Float](repeating: 0, count: frame.width * frame.height)
        output.withUnsafeMutableBufferPointer { destination in
            forEachCropRow(of: map) { y, values in
                let start = destination.baseAddress! + y * frame.width + geometry.cropX
                start.update(from: values.baseAddress!, count: values.count)
            }
        }
        return output
    }

    /// Calls `body` for each frame row `y` of the crop, top to bottom, with the map's values on that row
    /// (`cropSize.width` values, for frame columns `cropX…`); the buffer is reused between rows.
    public func forEachCropRow(of map: [Float], _ body: (_ y: Int, _ values: UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        let input = geometry.outputSize, width = geometry.cropSize.width
        precondition(map.count == input.width * input.height, "map has \(map.count) values, the model input is \(input)")
        // Map rows interpolated across the crop's columns, computed when a frame row first needs them.
        var across = [Float](repeating: 0, count: input.height * width)
        var done = [Bool](repeating: false, count: input.height)
        var row = [Float](repeating: 0, count: width)
        try map.withUnsafeBufferPointer { source in
            try across.withUnsafeMutableBufferPointer { across in
                try row.withUnsafeMutableBufferPointer { row in
                    func interpolated(_ mapRow: Int) -> UnsafeMutablePointer<Float> {
                        let target = across.baseAddress! + mapRow * width
                        if !done[mapRow] {
                            let line = source.baseAddress! + mapRow * input.width
                            for (x, column) in columns.enumerated() {
                                target[x] = line[column.first] * (1 - column.fraction) + line[column.second] * column.fraction
                            }
                            done[mapRow] = true
                        }
                        return target
                    }
                    for (offset, tap) in rows.enumerated() {
                        let upper = interpolated(tap.first), lower = interpolated(tap.second), fraction = tap.fraction
                        for x in 0..<width { row[x] = upper[x] * (1 - fraction) + lower[x] * fraction }
                        try body(geometry.cropY + offset, UnsafeBufferPointer(row))
                    }
                }
            }
        }
    }

    /// Where the crop coordinate `offset` samples the map along one axis.
    private static func axisTap(offset: Int, scale: Double, inputLength: Int) -> AxisTap {
        let position = (Double(offset) + 0.5) / scale - 0.5
        let clamped = min(max(position, 0), Double(inputLength - 1))
        let first = Int(clamped.rounded(.down))
        return AxisTap(first: first, second: min(first + 1, inputLength - 1), fraction: Float(clamped - Double(first)))
    }
}
