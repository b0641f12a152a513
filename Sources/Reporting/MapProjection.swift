import VideoIO

/// Draws a map computed at model-input resolution back onto the original frame: the inverse of the
/// preprocessing geometry (crop + resize).
///
/// Each frame pixel centre is mapped into model-input coordinates and the map is sampled bilinearly
/// there (edge values repeated up to the crop border). Frame pixels outside the crop get 0: the model
/// never saw them.
public struct MapProjection: Sendable {
    public let geometry: PreprocessGeometry

    public init(geometry: PreprocessGeometry) {
        self.geometry = geometry
    }

    /// `map` (`outputSize.height × outputSize.width`, row-major) as a frame-size map
    /// (`frameSize.height × frameSize.width`).
    public func toFrame(_ map: [Float]) -> [Float] {
        let input = geometry.outputSize, frame = geometry.frameSize
        precondition(map.count == input.width * input.height, "map has \(map.count) values, the model input is \(input)")
        let columns = (0..<frame.width).map { axisTap(frame: $0, cropStart: geometry.cropX, cropLength: geometry.cropSize.width, scale: geometry.scaleX, inputLength: input.width) }
        let rows = (0..<frame.height).map { axisTap(frame: $0, cropStart: geometry.cropY, cropLength: geometry.cropSize.height, scale: geometry.scaleY, inputLength: input.height) }
        var output = [Float](repeating: 0, count: frame.width * frame.height)
        map.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                for (y, row) in rows.enumerated() {
                    guard let row else { continue }
                    let top = source.baseAddress! + row.first * input.width, bottom = source.baseAddress! + row.second * input.width
                    for (x, column) in columns.enumerated() {
                        guard let column else { continue }
                        let upper = top[column.first] * (1 - column.fraction) + top[column.second] * column.fraction
                        let lower = bottom[column.first] * (1 - column.fraction) + bottom[column.second] * column.fraction
                        destination[y * frame.width + x] = upper * (1 - row.fraction) + lower * row.fraction
                    }
                }
            }
        }
        return output
    }

    /// Where frame coordinate `frame` samples the map along one axis, or `nil` outside the crop.
    private func axisTap(frame: Int, cropStart: Int, cropLength: Int, scale: Double, inputLength: Int) -> (first: Int, second: Int, fraction: Float)? {
        guard frame >= cropStart, frame < cropStart + cropLength else { return nil }
        let position = (Double(frame - cropStart) + 0.5) / scale - 0.5
        let clamped = min(max(position, 0), Double(inputLength - 1))
        let first = Int(clamped.rounded(.down))
        let second = min(first + 1, inputLength - 1)
        return (first, second, Float(clamped - Double(first)))
    }
}
