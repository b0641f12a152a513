import Saliency
import VideoIO

/// Draws a saliency map over the original frame, the keras-vis way:
/// `out = uint8((1 − α)·frame + α·colormap(S))` with truncation (keras-vis notebook: α = 0.3 with jet,
/// `np.uint8(cm.jet(S)[..., :3] * 255)` as the heat map). The map is upsampled bilinearly through the
/// inverse preprocessing geometry; frame pixels outside the model's crop keep their colours.
public struct Overlay: Sendable {
    public let colormap: Colormap
    /// Weight of the heat map (0…1).
    public let alpha: Double

    public init(colormap: Colormap = .jet, alpha: Double = 0.3) {
        precondition((0...1).contains(alpha), "alpha must lie in [0, 1]")
        self.colormap = colormap
        self.alpha = alpha
    }

    /// `frame` with `map` (model-input resolution, values in [0, 1]) drawn over the crop.
    public func draw(_ map: [Float], on frame: Frame, projection: MapProjection) -> Frame {
        precondition(frame.width == projection.geometry.frameSize.width && frame.height == projection.geometry.frameSize.height,
                     "frame \(frame.width)x\(frame.height) does not match the projection's \(projection.geometry.frameSize)")
        let frameMap = projection.toFrame(map)
        let geometry = projection.geometry
        var output = frame
        let table = colormap.table
        let keep = 1 - alpha, tint = alpha
        output.pixels.withUnsafeMutableBufferPointer { pixels in
            for y in geometry.cropY..<(geometry.cropY + geometry.cropSize.height) {
                for x in geometry.cropX..<(geometry.cropX + geometry.cropSize.width) {
                    let pixel = y * frame.width + x
                    let entry = Colormap.index(of: frameMap[pixel]) * 3
                    for channel in 0..<3 {
                        let blended = keep * Double(pixels[pixel * 3 + channel]) + tint * Double(table[entry + channel])
                        pixels[pixel * 3 + channel] = UInt8(blended)  // truncation, like np.uint8
                    }
                }
            }
        }
        return output
    }
}
