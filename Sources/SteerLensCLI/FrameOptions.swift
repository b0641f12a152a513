import Analysis
import ArgumentParser
import Foundation
import Reporting
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

    @Option(help: ArgumentHelp("Frame rate of image sequences, image folders, driving logs and DonkeyCar tubs (default: a tub's recorded timestamps, else 20 for tubs and 30 for the others).", valueName: "rate"))
    var fps: Double?

    @Option(help: ArgumentHelp("Stop after N frames.", valueName: "N"))
    var maxFrames: Int?

    func validate() throws {
        guard start >= 0 else { throw ValidationError("--start must not be negative") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        guard every >= 1 else { throw ValidationError("--every must be at least 1") }
        if let maxFrames, maxFrames < 1 { throw ValidationError("--max-frames must be at least 1") }
        if let fps, !(fps > 0 && fps <= 1000) { throw ValidationError("--fps must be above 0 and at most 1000") }
    }

    var readOptions: ReadOptions { ReadOptions(start: start, duration: duration, every: every, maxFrames: maxFrames, framesPerSecond: fps) }
}

/// `--labels`: steering labels from a file, else (with `--label-field`) the ones a dataset input records.
struct LabelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Steering labels: CSV with 'frame,steering' or 'time_s,steering', or a Udacity driving_log.csv (default: the labels a tub or driving log input records).", valueName: "file"))
    var labels: String?

    @OptionGroup var dataset: DatasetLabelOptions

    /// The `--labels` file, read; nil without one.
    func track() throws -> LabelTrack? { try labels.map { try LabelTrack.load(URL(fileURLWithPath: $0)) } }
}

/// Which recorded field labels the frames of a dataset input (DonkeyCar tub, driving_log.csv).
struct DatasetLabelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Field of a DonkeyCar tub or driving_log.csv used as labels when --labels is not given (default user/angle, or steering; e.g. user/throttle).", valueName: "field"))
    var labelField: String?
}

/// How frames become model input: crop, resize, colour (shared by every command that feeds a model).
struct PreprocessOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Remove from each edge: TOP,BOTTOM,LEFT,RIGHT in pixels or percent of the frame (e.g. 60,25,0,0 or 37.5%,15.625%,0,0).", valueName: "t,b,l,r"))
    var crop: String?

    @Option(help: ArgumentHelp("Resize the crop to WIDTHxHEIGHT (e.g. 200x66).", valueName: "WxH"))
    var resize: String?

    @Option(help: ArgumentHelp("Resampling: area (OpenCV INTER_AREA, default), bilinear (INTER_LINEAR) or nearest.", valueName: "method"))
    var interpolation: Interpolation?

    @Option(help: ArgumentHelp("Colour the model expects: rgb (default), bgr, yuv (OpenCV COLOR_RGB2YUV) or gray (COLOR_RGB2GRAY, one channel).", valueName: "space"))
    var color: ColorSpace?

    @Option(help: ArgumentHelp("Multiply model-input values (0–255) by this, a number or a fraction (DonkeyCar: 1/255).", valueName: "factor"))
    var scale: String?

    @Option(help: ArgumentHelp("Add this to model-input values after --scale.", valueName: "value"))
    var offset: String?

    func validate() throws {
        _ = try overrides()
    }

    /// The flags given, each overriding the model sidecar's field.
    func overrides() throws -> PreprocessOverrides {
        try validating {
            try PreprocessOverrides(parsingCrop: crop, size: resize, interpolation: interpolation, colorSpace: color, scale: scale, offset: offset)
        }
    }
}

extension ImageFormat: ExpressibleByArgument {}
