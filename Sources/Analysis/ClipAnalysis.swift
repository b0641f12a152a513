import Foundation
import NeuralNet
import ModelImport
import Reporting
import Saliency
import SteerLensSupport
import Transforms
import VideoIO

/// One clip through the saliency engine into one output directory: overlays, raw maps, `frames.csv`,
/// `run.json`, `saliency-grid.npy` (every map on a coarse frame grid, for `compare`/`check`) and
/// `index.html`, written atomically — everything goes to a staging directory that
/// replaces the destination only when the run completes.
public struct ClipAnalysis {
    public let input: String
    public let destination: URL
    /// The model, its preprocessing, prediction output and engine (built with `explains: true`).
    public let session: ModelSession
    public let saveMaps: Bool
    public let labels: LabelTrack?
    public let labelsPath: String?
    /// `--label-field`: the recorded field of a dataset input used as labels when no file is given.
    public let labelField: String?
    public let images: OverlaySequence.Settings
    public let pngEvery: Int
    public let maintainScale: String
    public let batchSize: Int
    public let overwrite: Bool
    public let quiet: Bool
    public let selection: ReadOptions
    /// The SteerLens version recorded in run.json.
    public let version: String
    /// `--transform`: applied to every decoded frame before the preprocessing (nil: the frames as decoded).
    public var transform: (any FrameTransform)?

    private var engine: SaliencyEngine { session.explainer }
    private var modelInput: ModelInput { session.modelInput }
    private var card: ModelCard { session.loaded.card }
    private var predictionOutput: Int { session.outputIndex }
    private var predictionUnit: Int { session.predictionUnit }

    public init(input: String, destination: URL, session: ModelSession, saveMaps: Bool, labels: LabelTrack?, labelsPath: String?,
                labelField: String?, images: OverlaySequence.Settings, pngEvery: Int, maintainScale: String, batchSize: Int, overwrite: Bool, quiet: Bool,
                selection: ReadOptions, version: String) {
        (self.input, self.destination, self.session, self.saveMaps, self.labels, self.labelsPath) = (input, destination, session, saveMaps, labels, labelsPath)
        self.labelField = labelField
        (self.images, self.pngEvery, self.maintainScale, self.batchSize) = (images, pngEvery, maintainScale, batchSize)
        (self.overwrite, self.quiet, self.selection, self.version) = (overwrite, quiet, selection, version)
    }

    /// What a finished run tells the user: a one-line summary (for standard error) and the report page.
    public struct Outcome {
        public let summary: String
        public let index: URL
    }

    /// Full-size frames in flight between the decoder and the image writers (48 MiB: 17 frames of
    /// 720p, 2 of 4K); with images for every frame these would otherwise be three whole batches.
    public static let pixelBudgetBytes = 48 << 20
    private let pixelBudget = ByteBudget(capacity: ClipAnalysis.pixelBudgetBytes)

    /// Runs the clip through the model into `destination`; nothing is printed.
    public func run() throws -> Outcome {
        let started = Date()
        let decoded = try FrameSources.open(input, options: selection)
        let reader = try transform.map { try TransformedFrameSource(decoded, transform: $0) } ?? decoded
        let frameSize = PixelSize(width: reader.info.displayWidth, height: reader.info.displayHeight)
        let geometry = try modelInput.preprocess.geometry(for: frameSize)
        let labels = try InputLabels.resolve(file: labels, filePath: labelsPath, field: labelField, reader: reader)
        let (report, frames) = try OutputDirectory.produce(destination, overwrite: overwrite) { staging -> (RunReport, Int) in
            // Images are the most expensive stage: two workers share them unless a panel video needs one ordered writer.
            let imageWriter = pngEvery > 0 ? try ImageWriterStage(workers: images.video ? 1 : 2, pixelBudget: pixelBudget) {
                try OverlaySequence(directory: staging, settings: images, projection: MapProjection(geometry: geometry),
                                    kinds: engine.kinds, framesPerSecond: reader.info.framesPerSecond / Double(pngEvery))
            } : nil
            let grid = SaliencyGrid(geometry: geometry)
            let grids = try NPYStreamWriter(url: staging.appendingPathComponent("saliency-grid.npy"),
                                            rowShape: [engine.kinds.count, grid.size.height, grid.size.width])
            let entries = try analyse(reader, labels: labels.track, overlays: imageWriter, grid: grid, grids: grids, into: staging)
            reader.printWarnings()
            guard !entries.isEmpty else {
                throw VideoError.noDecodableFrames(path: input, decodeErrors: reader.decodeErrorCount + reader.readErrorCount)
            }
            try grids.finish()
            let report = makeReport(entries, reader: reader, labels: labels, geometry: geometry, elapsed: Date().timeIntervalSince(started))
            try writeCSV(entries, to: staging.appendingPathComponent("frames.csv"))
            try report.write(to: staging.appendingPathComponent("run.json"))
            let page = try ReportPage.render(report, kinds: imageWriter == nil ? [] : engine.kinds.map(\.name), video: images.video && imageWriter != nil ? "panel.mp4" : nil)
            try AtomicFile.write(Data(page.utf8), to: staging.appendingPathComponent("index.html"))
            return (report, entries.count)
        }
        var summary = String(format: "analysed %d frames of %@ in %.1f s (%.1f frames/s, maps: %@)", frames, input, report.elapsedSeconds,
                             Double(frames) / max(report.elapsedSeconds, 1e-9), engine.kinds.map(\.name).joined(separator: ","))
        if reader.decodeErrorCount + reader.readErrorCount > 0 {
            summary += "; \(reader.decodeErrorCount) decode errors and \(reader.readErrorCount) read errors were skipped"
        }
        return Outcome(summary: summary, index: destination.appendingPathComponent("index.html"))
    }

    /// Streams the clip in batches; writes images and raw maps as it goes; returns one entry per frame.
    private func analyse(_ reader: any FrameSource, labels: LabelTrack?, overlays imageWriter: ImageWriterStage?, grid: SaliencyGrid, grids: NPYStreamWriter,
                         into directory: URL) throws -> [RunReport.FrameEntry] {
        let (height, width, channels) = (modelInput.shape[0], modelInput.shape[1], modelInput.shape[2])
        let mapShape = engine.keepChannels ? [height, width, channels] : [height, width]
        let mapCount = mapShape.reduce(1, *), gradientCount = height * width * channels
        let progress = Progress(total: selection.maxFrames ?? reader.info.declaredFrameCount.map { $0 / selection.every }, quiet: quiet)
        defer { progress.clear() }
        var entries: [RunReport.FrameEntry] = []
        var previousMap: [Float]?
        // Three stages overlap: decoding (background) → model (this thread) → images (background).
        let pngEvery = pngEvery, drawsImages = imageWriter != nil
        let batches = BatchPrefetcher(reader: reader, modelInputs: [modelInput], batchSize: batchSize, pixelBudget: pixelBudget,
                                      keepsPixels: { drawsImages && $0 % max(pngEvery, 1) == 0 })
        do {
            while let (frames, inputs) = try batches.next() {
                try Interruption.shared.check(progress: "after \(entries.count) frames of \(input)")
                let result = try engine.run(inputs[0])
                let predictions = result.outputs[predictionOutput]
                let units = predictions.itemCount
                for (item, frame) in frames.enumerated() {
                    var maps: [SaliencyMapKind: [Float]] = [:]
                    for kind in engine.kinds {
                        maps[kind] = Array(result.maps[kind]!.scalars[(item * mapCount)..<((item + 1) * mapCount)])
                    }
                    // Statistics on the channel maximum when channels are kept.
                    let flat = maps.mapValues { engine.keepChannels ? Self.channelMaximum($0, channels: channels) : $0 }
                    let first = flat[engine.kinds[0]]!
                    let entry = RunReport.FrameEntry(
                        frame: frame.index, time: frame.time, prediction: Double(predictions.scalars[item * units + predictionUnit]),
                        label: labels?.steering(frame: frame.index, time: frame.time, framesPerSecond: reader.info.framesPerSecond),
                        maps: Dictionary(flat.map { ($0.key.name, MapStatistics(map: $0.value, width: width, height: height)) },
                                         uniquingKeysWith: { first, _ in first }),
                        saliencyChange: previousMap.map { 1 - pearsonCorrelation($0, first) },
                        hasImages: imageWriter != nil && entries.count % max(pngEvery, 1) == 0)
                    previousMap = first
                    try grids.append(engine.kinds.flatMap { grid.sample(flat[$0]!) })
                    if entry.hasImages { try imageWriter?.submit(frame, maps: flat) }
                    if saveMaps {
                        let name = String(format: "%06d.npy", frame.index)
                        for kind in engine.kinds {
                            try NPYArray(shape: mapShape, values: maps[kind]!).write(to: directory.appendingPathComponent("maps/\(kind.name)/\(name)"))
                        }
                        let gradient = Array(result.gradient.scalars[(item * gradientCount)..<((item + 1) * gradientCount)])
                        try NPYArray(shape: [height, width, channels], values: gradient).write(to: directory.appendingPathComponent("gradients/\(name)"))
                    }
                    entries.append(entry)
                }
                progress.update(done: entries.count)
            }
            batches.stop()
            try imageWriter?.finish()
        } catch {
            batches.stop()
            imageWriter?.cancel()
            throw error
        }
        return entries
    }

    public static func channelMaximum(_ map: [Float], channels: Int) -> [Float] {
        stride(from: 0, to: map.count, by: channels).map { map[$0..<($0 + channels)].max()! }
    }

    private func writeCSV(_ entries: [RunReport.FrameEntry], to url: URL) throws {
        let names = engine.kinds.map(\.name)
        var header = ["frame", "time_s", "prediction", "label", "error"]
        for name in names { header += ["upper", "middle", "lower", "left", "right"].map { "\(name)_\($0)" } }
        header.append("saliency_change")
        var lines = [header.joined(separator: ",")]
        func number(_ value: Double?) -> String { value.map { String(format: "%.9g", $0) } ?? "" }
        for entry in entries {
            var fields = [String(entry.frame), String(format: "%.6f", entry.time), number(entry.prediction), number(entry.label), number(entry.error)]
            for name in names {
                let statistics = entry.maps[name]!
                fields += [statistics.upper, statistics.middle, statistics.lower, statistics.left, statistics.right].map { String(format: "%.6f", $0) }
            }
            fields.append(number(entry.saliencyChange))
            lines.append(fields.joined(separator: ","))
        }
        try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: url)
    }

    private func makeReport(_ entries: [RunReport.FrameEntry], reader: any FrameSource, labels: InputLabels, geometry: PreprocessGeometry, elapsed: Double) -> RunReport {
        let info = reader.info, preprocess = modelInput.preprocess, facts = reader.datasetFacts
        let clip = RunReport.Clip(path: input, container: info.container, codec: info.codec, width: info.displayWidth, height: info.displayHeight,
                                  framesPerSecond: info.framesPerSecond, duration: info.duration, declaredFrames: info.declaredFrameCount,
                                  decodeErrors: reader.decodeErrorCount, readErrors: reader.readErrorCount,
                                  timing: facts.timing, skippedRecords: facts.skipped, warnings: facts.warnings)
        let model = RunReport.Model(
            file: card.file, format: card.format, kerasVersion: card.kerasVersion, backend: card.backend, parameters: card.totalParameters,
            inputShape: card.inputs.first?.shape ?? [], output: card.outputs[predictionOutput].name, unit: predictionUnit,
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
        let settings = RunReport.Settings(
            objective: objective, maps: engine.kinds.map { "\($0.name) (\($0.modifier.rawValue))" },
            backpropModifier: engine.backpropModifier?.argumentName, keepChannels: engine.keepChannels,
            preprocessing: RunReport.Preprocessing(
                crop: [preprocess.crop.top, preprocess.crop.bottom, preprocess.crop.left, preprocess.crop.right].map(\.description),
                cropRectangle: [geometry.cropX, geometry.cropY, geometry.cropSize.width, geometry.cropSize.height],
                resize: geometry.outputSize.description, interpolation: preprocess.interpolation.rawValue, color: preprocess.colorSpace.rawValue,
                scale: preprocess.scale == 1 ? nil : Double(preprocess.scale), offset: preprocess.offset == 0 ? nil : Double(preprocess.offset)),
            colormap: images.overlay.colormap.rawValue, alpha: images.overlay.alpha, maintainScale: maintainScale, pngEvery: pngEvery,
            pngWidth: images.width, batchSize: batchSize, labels: labels.source, explanation: explanation, labelField: labels.field)
        return RunReport(steerlensVersion: version, elapsedSeconds: elapsed, clip: clip, model: model, settings: settings,
                         frames: entries, mapNames: engine.kinds.map(\.name))
    }
}
