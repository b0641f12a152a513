import Analysis
import ArgumentParser
import Saliency
import VideoIO

extension Interpolation: ExpressibleByArgument {}
extension ColorSpace: ExpressibleByArgument {}

/// Which frames of the input to use (shared by every command that reads clips).
struct FrameSelectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("First frame time in seconds.", valueName: "seconds"))
    var start: Double = 0

    @Option(help: ArgumentHelp("Seconds to read from --start (default: to the end).", valueName: "seconds"))
    var duration: Double?

    @Option(help: ArgumentHelp("Use every N-th frame.", valueName: "N"))
    var every: Int = 1

    @Option(help: ArgumentHelp("Stop after N frames.", valueName: "N"))
    var maxFrames: Int?

    func validate() throws {
        guard start >= 0 else { throw ValidationError("--start must not be negative") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        guard every >= 1 else { throw ValidationError("--every must be at least 1") }
        if let maxFrames, maxFrames < 1 { throw ValidationError("--max-frames must be at least 1") }
    }

    var readOptions: ReadOptions { ReadOptions(start: start, duration: duration, every: every, maxFrames: maxFrames) }
}

/// How frames become model input: crop, resize, colour (shared by every command that feeds a model).
struct PreprocessOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Remove from each edge: TOP,BOTTOM,LEFT,RIGHT in pixels or percent of the frame (e.g. 60,25,0,0 or 37.5%,15.625%,0,0).", valueName: "t,b,l,r"))
    var crop: String?

    @Option(help: ArgumentHelp("Resize the crop to WIDTHxHEIGHT (e.g. 200x66).", valueName: "WxH"))
    var resize: String?

    @Option(help: ArgumentHelp("Resampling: area (OpenCV INTER_AREA, default), bilinear (INTER_LINEAR) or nearest.", valueName: "method"))
    var interpolation: Interpolation?

    @Option(help: ArgumentHelp("Colour the model expects: rgb (default), bgr or yuv (OpenCV COLOR_RGB2YUV).", valueName: "space"))
    var color: ColorSpace?

    func validate() throws {
        _ = try parsedCrop()
        _ = try parsedSize()
    }

    func parsedCrop() throws -> CropInsets {
        guard let crop else { return .none }
        let lengths = crop.split(separator: ",", omittingEmptySubsequences: false).map { CropLength(String($0)) }
        guard lengths.count == 4, let top = lengths[0], let bottom = lengths[1], let left = lengths[2], let right = lengths[3] else {
            throw ValidationError("--crop takes four values TOP,BOTTOM,LEFT,RIGHT, each pixels (60) or a percentage (37.5%), e.g. 60,25,0,0; got '\(crop)'")
        }
        return CropInsets(lengths: top, bottom, left, right)
    }

    func parsedSize() throws -> PixelSize? {
        guard let resize else { return nil }
        guard let size = PixelSize(parsing: resize) else {
            throw ValidationError("--resize takes WIDTHxHEIGHT with positive integers, e.g. 200x66; got '\(resize)'")
        }
        return size
    }

    /// The preprocessing: each flag given on the command line, else the model's sidecar value, else the default.
    func preprocess(defaults sidecar: ModelSidecar? = nil) throws -> Preprocess {
        Preprocess(crop: try crop.map { _ in try parsedCrop() } ?? sidecar?.cropInsets() ?? .none,
                   size: try parsedSize() ?? sidecar?.size(),
                   interpolation: interpolation ?? sidecar?.interpolation ?? .area,
                   colorSpace: color ?? sidecar?.color ?? .rgb)
    }
}

extension ImageFormat: ExpressibleByArgument {}
