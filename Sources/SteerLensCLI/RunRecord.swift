import Foundation
import ModelImport
import Saliency
import SteerLensSupport
import VideoIO

/// `run.json`: what was analysed, with which model and settings — the machine-readable record of a run.
struct RunRecord: Encodable {
    struct Model: Encodable {
        let file: String
        let format: String
        let kerasVersion: String?
        let parameters: Int
        let inputShape: [Int]
        let output: String
        let unit: Int
    }
    struct Preprocessing: Encodable {
        let crop: [String]
        let cropRectangle: [Int]
        let resize: String
        let interpolation: String
        let color: String
    }

    let steerlensVersion = SteerLens.version
    let input: VideoStreamInfo
    let frames: Int
    let decodeErrors: Int
    let readErrors: Int
    let model: Model
    /// The model's `.steerlens.json` that supplied preprocessing defaults, if any.
    let sidecar: String?
    let objective: String
    let maps: [String]
    let backpropModifier: String?
    let keepChannels: Bool
    let preprocessing: Preprocessing
    let elapsedSeconds: Double

    init(input: VideoStreamInfo, frames: Int, decodeErrors: Int, readErrors: Int, geometry: PreprocessGeometry, preprocess: Preprocess,
         card: ModelCard, sidecar: String?, engine: SaliencyEngine, predictionOutput: Int, predictionUnit: Int, elapsedSeconds: Double) {
        self.sidecar = sidecar
        self.input = input
        self.frames = frames
        self.decodeErrors = decodeErrors
        self.readErrors = readErrors
        model = Model(file: card.file, format: card.format, kerasVersion: card.kerasVersion, parameters: card.totalParameters,
                      inputShape: card.inputs.first?.shape ?? [], output: card.outputs[predictionOutput].name, unit: predictionUnit)
        switch engine.objective {
        case .output(let index, let unit): objective = "output \(card.outputs[index].name) unit \(unit)"
        case .filter(let layer, let filter): objective = "mean activation of filter \(filter) of layer \(layer)"
        }
        maps = engine.kinds.map { "\($0.name) (\($0.modifier.rawValue))" }
        backpropModifier = engine.backpropModifier.map { "\($0)" }
        keepChannels = engine.keepChannels
        preprocessing = Preprocessing(
            crop: [preprocess.crop.top, preprocess.crop.bottom, preprocess.crop.left, preprocess.crop.right].map(\.description),
            cropRectangle: [geometry.cropX, geometry.cropY, geometry.cropSize.width, geometry.cropSize.height],
            resize: geometry.outputSize.description, interpolation: preprocess.interpolation.rawValue, color: preprocess.colorSpace.rawValue)
        self.elapsedSeconds = elapsedSeconds
    }

    func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self), to: url)
    }
}
