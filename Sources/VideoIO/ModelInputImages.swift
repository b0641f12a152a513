import Foundation

/// The frames as the model sees them (`steerlens frames`): each frame preprocessed and written as
/// `<frame:06d>.png` or `.jpg` into a folder. Grey model inputs are stored as grey RGB images; YUV and
/// BGR bytes are stored as if they were RGB.
public enum ModelInputImages {
    /// Writes every frame `reader` delivers into `folder`; returns the number written.
    /// - Throws: the preprocessing's error when it does not fit the frame size; ``FrameSource/nothingDeliveredError(path:)``
    ///   when no frame was delivered; the encoder's errors.
    public static func write(_ reader: any FrameSource, input: String, preprocess: Preprocess, format: ImageFormat, to folder: URL) throws -> Int {
        let size = try preprocess.geometry(for: PixelSize(width: reader.info.displayWidth, height: reader.info.displayHeight)).outputSize
        let encoder = try ImageEncoder(format: format)
        var frame = Frame(index: 0, time: 0, width: 0, height: 0, pixels: [])
        var written = 0
        while try reader.read(into: &frame) {
            var pixels = try preprocess.apply(to: frame)
            if preprocess.colorSpace.channels == 1 { pixels = pixels.flatMap { [$0, $0, $0] } }
            let name = String(format: "%06d.%@", frame.index, format == .png ? "png" : "jpg")
            try encoder.write(pixels, width: size.width, height: size.height, to: folder.appendingPathComponent(name))
            written += 1
        }
        guard written > 0 else { throw reader.nothingDeliveredError(path: input) }
        return written
    }
}
