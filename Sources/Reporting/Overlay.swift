internal import CVectorKernels
import Saliency
import SteerLensSupport
import VideoIO

/// Draws a saliency map over the original frame, the keras-vis way:
/// `out = uint8((1 − α)·frame + α·colormap(S))` with truncation (keras-vis notebook: α = 0.3 with jet,
/// `np.uint8(cm.jet(S)[..., :3] * 255)` as the heat map). The map is upsampled bilinearly through the
/// inverse preprocessing geometry; frame pixels outside the model's crop keep their colours.
public struct Overlay: Sendable {
    public let colormap: Colormap
    /// Weight of the heat map (0…1).
    public let alpha: Double
    /// `uint8((1 − α)·p + α·c)` for every frame value `p` (high byte) and colormap value `c` (low byte),
    /// computed once in Double exactly as the formula says, so drawing is three table reads per pixel.
    private let blend: [UInt8]
    /// The colormap's 256 entries packed as `r | g << 8 | b << 16`, for the AVX-512 row kernel's gather.
    private let colors: [Int32]

    public init(colormap: Colormap = .jet, alpha: Double = 0.3) {
        precondition((0...1).contains(alpha), "alpha must lie in [0, 1]")
        self.colormap = colormap
        self.alpha = alpha
        let keep = 1 - alpha
        blend = (0..<65_536).map { UInt8(keep * Double($0 >> 8) + alpha * Double($0 & 0xFF)) }  // truncation, like np.uint8
        let table = colormap.table
        colors = (0..<256).map { (entry: Int) -> Int32 in
            let red = Int32(table[3 * entry]), green = Int32(table[3 * entry + 1]), blue = Int32(table[3 * entry + 2])
            return red | green << 8 | blue << 16
        }
    }

    /// `frame` with `map` (model-input resolution, values in [0, 1]) drawn over the crop.
    public func draw(_ map: [Float], on frame: Frame, projection: MapProjection) -> Frame {
        var output = frame
        output.pixels = []
        draw(map, on: frame, projection: projection, into: &output.pixels)
        return output
    }

    /// Draws like ``draw(_:on:projection:)`` into `pixels` (packed RGB24), reusing its storage when it has
    /// the frame's size: a writer that keeps one buffer draws every overlay without allocating a frame.
    /// Pixels outside the crop are copied, the crop's are blended from the frame's in one pass; with
    /// `vectorized` by the AVX-512 row kernel (the same bytes).
    public func draw(_ map: [Float], on frame: Frame, projection: MapProjection, into pixels: inout [UInt8]) {
        draw(map, on: frame, projection: projection, into: &pixels, vectorized: VectorSupport.avx512)
    }

    func draw(_ map: [Float], on frame: Frame, projection: MapProjection, into pixels: inout [UInt8], vectorized: Bool) {
        precondition(frame.width == projection.geometry.frameSize.width && frame.height == projection.geometry.frameSize.height,
                     "frame \(frame.width)x\(frame.height) does not match the projection's \(projection.geometry.frameSize)")
        let geometry = projection.geometry, rowLength = frame.width * 3
        let cropStart = geometry.cropX * 3, cropEnd = (geometry.cropX + geometry.cropSize.width) * 3
        let cropRows = geometry.cropY..<(geometry.cropY + geometry.cropSize.height)
        if pixels.count != frame.pixels.count { pixels = [UInt8](repeating: 0, count: frame.pixels.count) }
        let keep = 1 - alpha
        frame.pixels.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { target in
                let source = source.baseAddress!, target = target.baseAddress!
                // Rows above and below the crop, then the columns beside it.
                target.update(from: source, count: cropRows.lowerBound * rowLength)
                target.advanced(by: cropRows.upperBound * rowLength).update(from: source.advanced(by: cropRows.upperBound * rowLength),
                                                                            count: (frame.height - cropRows.upperBound) * rowLength)
                for y in cropRows {
                    let row = y * rowLength
                    target.advanced(by: row).update(from: source.advanced(by: row), count: cropStart)
                    target.advanced(by: row + cropEnd).update(from: source.advanced(by: row + cropEnd), count: rowLength - cropEnd)
                }
                colors.withUnsafeBufferPointer { colors in
                    colormap.table.withUnsafeBufferPointer { table in
                        blend.withUnsafeBufferPointer { blend in
                            projection.forEachCropRow(of: map) { y, values in
                                let input = source + y * rowLength + cropStart, output = target + y * rowLength + cropStart
                                if vectorized {
                                    steerlens_overlay_row_avx512(values.baseAddress!, input, colors.baseAddress!, keep, alpha, output, values.count)
                                    return
                                }
                                for x in 0..<values.count {
                                    let entry = Colormap.index(of: values[x]) * 3
                                    for channel in 0..<3 {
                                        output[x * 3 + channel] = blend[Int(input[x * 3 + channel]) << 8 | Int(table[entry + channel])]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
