import ArgumentParser
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

    @Option(help: ArgumentHelp("Resampling: area (OpenCV INTER_AREA), bilinear (INTER_LINEAR) or nearest.", valueName: "method"))
    var interpolation: Interpolation = .area

    @Option(help: ArgumentHelp("Colour the model expects: rgb, bgr or yuv (OpenCV COLOR_RGB2YUV).", valueName: "space"))
    var color: ColorSpace = .rgb

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
        let parts = resize.lowercased().split(separator: "x").map { Int($0) }
        guard parts.count == 2, let width = parts[0], let height = parts[1], width > 0, height > 0 else {
            throw ValidationError("--resize takes WIDTHxHEIGHT with positive integers, e.g. 200x66; got '\(resize)'")
        }
        return PixelSize(width: width, height: height)
    }

    func preprocess() throws -> Preprocess {
        Preprocess(crop: try parsedCrop(), size: try parsedSize(), interpolation: interpolation, colorSpace: color)
    }
}

extension ImageFormat: ExpressibleByArgument {}
