import Analysis
import ArgumentParser
import Foundation

/// `steerlens inspect`: what a model file holds and how SteerLens will run it.
struct Inspect: ReportingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a Keras or ONNX model's layers, shapes, parameters, inputs/outputs and how its Lambda layers were resolved."
    )

    @Argument(help: "Keras model file (.h5, .keras) or ONNX model (.onnx).")
    var model: String

    @OptionGroup var loading: ModelLoadingOptions

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func execute() throws {
        let card = try loading.file().load(model, inspecting: true).card
        try StandardOutput.line(json ? try ModelCardReport(card).json() : ModelCardReport(card).text())
    }
}
