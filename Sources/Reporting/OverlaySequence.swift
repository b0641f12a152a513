import Foundation
import Saliency
import SteerLensSupport
import VideoIO

/// Writes the image outputs of a run for one frame at a time: the original frame
/// (`frames/<frame:06d>.png`), one overlay per map kind (`<kind>/<frame:06d>.png`), optionally a
/// side-by-side panel (`panel/<frame:06d>.png`: frame | kind₁ | kind₂ …) and a panel video
/// (`panel.mp4`, H.264). Images are drawn at full frame resolution and scaled to `width` if given.
public final class OverlaySequence {
    public struct Settings: Sendable {
        public var overlay: Overlay
        /// Display scale per map kind (kinds not listed use `.exact`).
        public var displayScales: [SaliencyMapKind: DisplayScale]
        /// Output width in pixels (height keeps the aspect ratio, rounded to even); `nil` = frame size.
        public var width: Int?
        public var panel: Bool
        public var video: Bool
        /// zlib level of the PNGs (0–9): lower is faster, higher is smaller.
        public var pngCompression: Int

        public init(overlay: Overlay = Overlay(), displayScales: [SaliencyMapKind: DisplayScale] = [:], width: Int? = nil,
                    panel: Bool = false, video: Bool = false, pngCompression: Int = 1) {
            (self.overlay, self.displayScales, self.width, self.panel, self.video, self.pngCompression) = (overlay, displayScales, width, panel, video, pngCompression)
        }
    }

    public let directory: URL
    public let settings: Settings
    public let projection: MapProjection
    public let kinds: [SaliencyMapKind]
    /// Size of every written image.
    public let imageSize: PixelSize
    private let encoder: ImageEncoder
    private let scaling: Preprocess?
    private var videoWriter: VideoWriter?
    /// Charged with `overlays`, `encoding` and `writing` CPU time, if given.
    private let clock: StageClock?
    /// The frame-size buffer every overlay is drawn into when no image is kept or scaled (one per sequence, reused).
    private var overlayPixels: [UInt8] = []

    public init(directory: URL, settings: Settings, projection: MapProjection, kinds: [SaliencyMapKind], framesPerSecond: Double,
                clock: StageClock? = nil) throws {
        self.directory = directory
        self.clock = clock
        self.settings = settings
        self.projection = projection
        self.kinds = kinds
        let frame = projection.geometry.frameSize
        if let width = settings.width, width != frame.width {
            let height = max(2, Int((Double(frame.height) * Double(width) / Double(frame.width) / 2).rounded()) * 2)
            imageSize = PixelSize(width: width, height: height)
            scaling = Preprocess(size: imageSize, interpolation: .area)
        } else {
            imageSize = frame
            scaling = nil
        }
        encoder = try ImageEncoder(format: .png, compressionLevel: settings.pngCompression)
        if settings.video {
            // yuv420p needs even dimensions: the panel drops a trailing odd column/row.
            let panel = PixelSize(width: imageSize.width * (kinds.count + 1) / 2 * 2, height: imageSize.height / 2 * 2)
            let rate = framesPerSecond > 0 ? Rational(Int((framesPerSecond * 1000).rounded()), 1000) : Rational(30, 1)
            videoWriter = try VideoWriter(url: directory.appendingPathComponent("panel.mp4"), size: panel, encoding: .h264(frameRate: rate, crf: 23))
        }
    }

    /// Draws and writes every image of one frame. `maps` holds one model-resolution map per kind.
    /// Returns the bytes of the PNGs written (the panel video's aside).
    @discardableResult
    public func write(frame: Frame, maps: [SaliencyMapKind: [Float]]) throws -> Int {
        let name = String(format: "%06d.png", frame.index)
        let keepsImages = settings.panel || settings.video
        var images: [Frame] = []
        var bytes = 0
        // Without a panel each image is encoded as soon as it is drawn, so one worker holds one image at a time.
        func emit(_ image: Frame, folder: String) throws {
            bytes += try save(image, to: directory.appendingPathComponent("\(folder)/\(name)"))
            if keepsImages { images.append(image) }
        }
        try emit(clock.measure(.overlays) { scaled(frame) }, folder: "frames")
        for kind in kinds {
            let scale = settings.displayScales[kind] ?? .exact
            if keepsImages || scaling != nil {
                try emit(clock.measure(.overlays) { scaled(settings.overlay.draw(scale.apply(maps[kind]!), on: frame, projection: projection)) }, folder: kind.name)
            } else {
                clock.measure(.overlays) { settings.overlay.draw(scale.apply(maps[kind]!), on: frame, projection: projection, into: &overlayPixels) }
                bytes += try save(Frame(index: frame.index, time: frame.time, width: frame.width, height: frame.height, pixels: overlayPixels),
                                  to: directory.appendingPathComponent("\(kind.name)/\(name)"))
            }
        }
        guard keepsImages else { return bytes }
        let panel = clock.measure(.overlays) { Self.sideBySide(images) }
        if settings.panel { bytes += try save(panel, to: directory.appendingPathComponent("panel/\(name)")) }
        if let videoWriter {
            try clock.measure(.encoding) { try videoWriter.write(Self.cropped(panel, to: videoWriter.size)) }
        }
        return bytes
    }

    /// Encodes one image and writes it atomically; returns its bytes.
    private func save(_ image: Frame, to url: URL) throws -> Int {
        let data = try clock.measure(.encoding) { try encoder.encode(image.pixels, width: image.width, height: image.height) }
        try clock.measure(.writing) { try AtomicFile.write(data, to: url) }
        return data.count
    }

    /// Finishes the panel video, if any.
    public func finish() throws {
        try videoWriter?.finish()
    }

    private func scaled(_ frame: Frame) -> Frame {
        guard let scaling else { return frame }
        // The scaling has no crop, so it cannot fail for a frame of the projection's size.
        let pixels = try! scaling.apply(to: frame)
        return Frame(index: frame.index, time: frame.time, width: imageSize.width, height: imageSize.height, pixels: pixels)
    }

    static func sideBySide(_ images: [Frame]) -> Frame {
        let width = images.reduce(0) { $0 + $1.width }, height = images[0].height
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        var offset = 0
        for image in images {
            for row in 0..<height {
                let source = row * image.width * 3, destination = (row * width + offset) * 3
                pixels.replaceSubrange(destination..<(destination + image.width * 3), with: image.pixels[source..<(source + image.width * 3)])
            }
            offset += image.width
        }
        return Frame(index: images[0].index, time: images[0].time, width: width, height: height, pixels: pixels)
    }

    static func cropped(_ image: Frame, to size: PixelSize) -> Frame {
        guard image.width != size.width || image.height != size.height else { return image }
        var pixels = [UInt8]()
        pixels.reserveCapacity(size.width * size.height * 3)
        for row in 0..<size.height { pixels += image.pixels[(row * image.width * 3)..<((row * image.width + size.width) * 3)] }
        return Frame(index: image.index, time: image.time, width: size.width, height: size.height, pixels: pixels)
    }
}
