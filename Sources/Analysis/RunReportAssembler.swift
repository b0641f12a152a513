import Foundation
import ModelImport
import Reporting
import Saliency
import VideoIO

/// Assembles `run.json` (a ``RunReport``) for one analysed clip: the clip's facts, the model card,
/// the settings that reproduce the maps and the per-frame entries.
struct RunReportAssembler {
    let input: String
    let session: ModelSession
    let output: ClipAnalysis.OutputSettings
    let batchSize: Int
    let version: String
    let methodSettings: MethodSettings

    func report(_ entries: [RunReport.FrameEntry], reader: any FrameSource, labels: InputLabels, geometry: PreprocessGeometry,
                maps: [MethodMap], elapsed: Double) -> RunReport {
        let engine = session.explainer, card = session.loaded.card, preprocess = session.modelInput.preprocess
        let info = reader.info, facts = reader.datasetFacts
        let clip = RunReport.Clip(path: input, container: info.container, codec: info.codec, width: info.displayWidth, height: info.displayHeight,
                                  framesPerSecond: info.framesPerSecond, duration: info.duration, declaredFrames: info.declaredFrameCount,
                                  decodeErrors: reader.decodeErrorCount, readErrors: reader.readErrorCount,
                                  timing: facts.timing, skippedRecords: facts.skipped, warnings: facts.warnings)
        let model = RunReport.Model(
            file: card.file, format: card.format, kerasVersion: card.kerasVersion, backend: card.backend, parameters: card.totalParameters,
            inputShape: card.inputs.first?.shape ?? [], output: card.outputs[session.outputIndex].name, unit: session.predictionUnit,
            layers: card.layers.map { RunReport.Layer(name: $0.name, className: $0.className, outputShape: $0.outputShape, parameters: $0.parameterCount) },
            lambdas: card.lambdaResolutions.map(\.description), sidecar: session.sidecarPath)
        let objective: String
        var explanation = RunReport.Explanation(maps: engine.kinds.map { .init(name: $0.name, modifier: $0.modifier.rawValue) },
                                                output: nil, unit: nil, layer: nil, filter: nil,
                                                backpropModifier: engine.backpropModifier?.argumentName, keepChannels: engine.keepChannels)
        switch engine.objective {
        case .output(let index, let unit):
            objective = "output \(card.outputs[index].name), unit \(unit)"
            (explanation.output, explanation.unit) = (card.outputs[index].name, unit)
        case .filter(let layer, let filter):
            objective = "mean activation of filter \(filter) of layer \(layer)"
            (explanation.layer, explanation.filter) = (layer, filter)
        }
        let images = output.images
        var settings = RunReport.Settings(
            objective: objective, maps: engine.kinds.map { "\($0.name) (\($0.modifier.rawValue))" },
            backpropModifier: engine.backpropModifier?.argumentName, keepChannels: engine.keepChannels,
            preprocessing: RunReport.Preprocessing(
                crop: [preprocess.crop.top, preprocess.crop.bottom, preprocess.crop.left, preprocess.crop.right].map(\.description),
                cropRectangle: [geometry.cropX, geometry.cropY, geometry.cropSize.width, geometry.cropSize.height],
                resize: geometry.outputSize.description, interpolation: preprocess.interpolation.rawValue, color: preprocess.colorSpace.rawValue,
                scale: preprocess.scale == 1 ? nil : Double(preprocess.scale), offset: preprocess.offset == 0 ? nil : Double(preprocess.offset)),
            colormap: images.overlay.colormap.rawValue, alpha: images.overlay.alpha, maintainScale: output.maintainScale, pngEvery: output.pngEvery,
            pngWidth: images.width, batchSize: batchSize, labels: labels.source, explanation: explanation, labelField: labels.field)
        let suite = session.explainers
        if suite.methods != [.default] {
            settings.methods = suite.methods.map { method in
                let diagnostics = method == .integratedGradients ? ["\(method.rawValue)_completeness_error"] : nil
                return RunReport.Method(name: method.rawValue, maps: maps.filter { $0.method == method }.map(\.name),
                                        parameters: methodSettings.parameters(of: method), diagnostics: diagnostics)
            }
        }
        return RunReport(steerlensVersion: version, elapsedSeconds: elapsed, clip: clip, model: model, settings: settings,
                         frames: entries, mapNames: maps.map(\.name))
    }
}
