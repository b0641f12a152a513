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
    /// `uint8((1 − α)·p + α·c)` for every frame value `p` (high byte) and colormap value `c` (low byte),
    /// computed once in Double exactly as the formula says, so drawing is three table reads per pixel.
    private let blend: [UInt8]

    public init(colormap: Colormap = .jet, alpha: Double = 0.3) {
        precondition((0...1).contains(alpha), "alpha must lie in [0, 1]")
        self.colormap = colormap
        self.alpha = alpha
        let keep = 1 - alpha
        blend = (0..<65_536).map { UInt8(keep * Double($0 >> 8) + alpha * Double($0 & 0xFF)) }  // truncation, like np.uint8
    }

    /// `frame` with `map` (model-input resolution, values in [0, 1]) drawn over the crop.
    public func draw(_ map: [Float], on frame: Frame, projection: MapProjection) -> Frame {
        var output = frame
        output.pixels = []
        draw(map, on: frame, projection: projection, into: &output.pixels)
        return output
    }

    /// Draws like ``draw(_:on:projection:)`` into `pixels` (packed RGB24, replaced by a copy of the
    /// frame's first), reusing its storage when it has the frame's size: a writer that keeps one buffer
    /// draws every overlay without allocating a frame.
    public func draw(_ map: [Float], on frame: Frame, projection: MapProjection, into pixels: inout [UInt8]) {
        precondition(frame.width == projection.geometry.frameSize.width && frame.height == projection.geometry.frameSize.height,
                     "frame \(frame.width)x\(frame.height) does not match the projection's \(projection.geometry.frameSize)")
        let cropX = projection.geometry.cropX
        if pixels.count == frame.pixels.count {
            pixels.withUnsafeMutableBufferPointer { target in
                frame.pixels.withUnsafeBufferPointer { target.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
            }
        } else {
            pixels = frame.pixels
        }
        colormap.table.withUnsafeBufferPointer { table in
            blend.withUnsafeBufferPointer { blend in
                pixels.withUnsafeMutableBufferPointer { pixels in
                    projection.forEachCropRow(of: map) { y, values in
                        let row = pixels.baseAddress! + (y * frame.width + cropX) * 3
                        for x in 0..<values.count {
                            let entry = Colormap.index(of: values[x]) * 3, pixel = row + x * 3
                            pixel[0] = blend[Int(pixel[0]) << 8 | Int(table[entry])]
                            pixel[1] = blend[Int(pixel[1]) << 8 | Int(table[entry + 1])]
                            pixel[2] = blend[Int(pixel[2]) << 8 | Int(table[entry + 2])]
                        }
                    }
                }
            }
        }
    }
}
