import Analysis
import ArgumentParser
import Foundation
import SteerLensSupport
import Transforms
import VideoIO

/// `steerlens frames`: writes the model-input images, so users can check their preprocessing.
struct ExportFrames: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "frames",
        abstract: "Write the frames as the model will see them (after crop, resize and colour conversion).",
        discussion: "Images go to OUT/<frame:06d>.png. With --color yuv or bgr the stored bytes are the converted channels, shown as if RGB; gray is stored as grey RGB."
    )

    @Argument(help: "Video file, image, or image-sequence pattern.")
    var input: String

    @Option(help: ArgumentHelp("Output directory.", valueName: "dir"))
    var out: String

    @Option(help: "Image format: png or jpeg.")
    var format: ImageFormat = .png

    @Flag(help: "Replace the output directory if it exists and is not empty.")
    var overwrite = false

    @OptionGroup var selection: FrameSelectionOptions
    @OptionGroup var preprocessing: PreprocessOptions
    @OptionGroup var transformOptions: TransformOptions

    func execute() throws {
        let preprocess = try preprocessing.overrides().resolved(over: nil)
        let reader = try FrameSources.open(input, options: selection.readOptions, transform: try transformOptions.chain())
        let geometry = try preprocess.geometry(for: PixelSize(width: reader.info.displayWidth, height: reader.info.displayHeight))
        let written = try OutputDirectory.produce(URL(fileURLWithPath: out), overwrite: overwrite) { staging in
            try ModelInputImages.write(reader, input: input, preprocess: preprocess, format: format, to: staging)
        }
        printError("wrote \(written) frames (\(geometry.outputSize)) to \(out)" + (reader.skippedErrorsNote.map { "; " + $0 } ?? ""))
    }
}
