import ArgumentParser
import Foundation
import SteerLensSupport
import VideoIO

/// `steerlens frames`: writes the model-input images, so users can check their preprocessing.
struct ExportFrames: ParsableCommand {
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

    func run() throws {
        try reportingFailures("frames") {
            let preprocess = try preprocessing.preprocess()
            let reader = try transformOptions.wrap(try FrameSources.open(input, options: selection.readOptions))
            let geometry = try preprocess.geometry(for: PixelSize(width: reader.info.displayWidth, height: reader.info.displayHeight))
            let destination = URL(fileURLWithPath: out)
            let written = try OutputDirectory.produce(destination, overwrite: overwrite) { staging -> Int in
                let encoder = try ImageEncoder(format: format)
                var frame = Frame(index: 0, time: 0, width: 0, height: 0, pixels: [])
                var written = 0
                while try reader.read(into: &frame) {
                    var pixels = try preprocess.apply(to: frame)
                    // Grey model inputs are stored as grey RGB images.
                    if preprocess.colorSpace.channels == 1 { pixels = pixels.flatMap { [$0, $0, $0] } }
                    let name = String(format: "%06d.%@", frame.index, format == .png ? "png" : "jpg")
                    try encoder.write(pixels, width: geometry.outputSize.width, height: geometry.outputSize.height,
                                      to: staging.appendingPathComponent(name))
                    written += 1
                }
                guard written > 0 else {
                    throw VideoError.noDecodableFrames(path: input, decodeErrors: reader.decodeErrorCount + reader.readErrorCount)
                }
                return written
            }
            var summary = "wrote \(written) frames (\(geometry.outputSize)) to \(out)"
            if reader.decodeErrorCount + reader.readErrorCount > 0 {
                summary += "; \(reader.decodeErrorCount) decode errors and \(reader.readErrorCount) read errors were skipped"
            }
            printError(summary)
        }
    }
}
