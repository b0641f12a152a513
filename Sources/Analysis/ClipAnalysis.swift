import Foundation
import NeuralNet
import Reporting
import Saliency
import SteerLensSupport
import Transforms
import VideoIO

/// One clip through the explanation methods into one output directory: overlays, raw maps,
/// `frames.csv`, `run.json`, `saliency-grid.npy` (every gradient map on a coarse frame grid, for
/// `compare`/`check`) and `index.html`, written atomically — everything goes to a staging directory
/// that replaces the destination only when the run completes.
public struct ClipAnalysis {
    /// Where and what to write.
    public struct OutputSettings {
        public var destination: URL
        /// Replace a non-empty destination.
        public var overwrite: Bool
        /// `--save-maps npy`: raw maps and gradients as `.npy`.
        public var saveMaps: Bool
        public var images: OverlaySequence.Settings
        /// Overlays for every N-th analysed frame; 0 writes none.
        public var pngEvery: Int
        /// The maintain display scale's name, for run.json.
        public var maintainScale: String

        public init(destination: URL, overwrite: Bool = false, saveMaps: Bool = false, images: OverlaySequence.Settings = .init(), pngEvery: Int = 1,
                    maintainScale: String = "percentile") {
            (self.destination, self.overwrite, self.saveMaps, self.images, self.pngEvery, self.maintainScale) = (destination, overwrite, saveMaps, images, pngEvery, maintainScale)
        }
    }

    /// Where the steering labels come from.
    public struct LabelSettings {
        /// A labels file, already read.
        public var track: LabelTrack?
        /// Its path, for run.json.
        public var path: String?
        /// `--label-field`: the recorded field of a dataset input used as labels when no file is given.
        public var field: String?

        public init(track: LabelTrack? = nil, path: String? = nil, field: String? = nil) {
            (self.track, self.path, self.field) = (track, path, field)
        }
    }

    /// How frames are read and batched.
    public struct ReadSettings {
        public var selection: ReadOptions
        /// Frames per forward pass.
        public var batchSize: Int
        /// No progress output.
        public var quiet: Bool

        public init(selection: ReadOptions = ReadOptions(), batchSize: Int = 32, quiet: Bool = true) {
            (self.selection, self.batchSize, self.quiet) = (selection, batchSize, quiet)
        }
    }

    public let input: String
    /// The model, its preprocessing, prediction output and explainers (built with `explains: true`).
    public let session: ModelSession
    public let output: OutputSettings
    public let labels: LabelSettings
    public let reading: ReadSettings
    /// The SteerLens version recorded in run.json.
    public let version: String
    /// `--faithfulness-every`: score every N-th analysed frame's maps by deletion/insertion (0 = off).
    public var faithfulnessEvery = 0
    /// `--transform`: applied to every decoded frame before the preprocessing (nil: the frames as decoded).
    public var transform: (any FrameTransform)?
    /// Measure CPU time per pipeline stage (``Outcome/stageTimes``, one more line in the summary).
    public var measuresStages = false

    private var suite: ExplanationSuite { session.explainers }
    private var modelInput: ModelInput { session.modelInput }

    public init(input: String, session: ModelSession, output: OutputSettings, labels: LabelSettings = .init(), reading: ReadSettings = .init(), version: String) {
        (self.input, self.session, self.output, self.labels, self.reading, self.version) = (input, session, output, labels, reading, version)
    }

    /// What a finished run tells the user: a one-line summary (for standard error) and the report page.
    public struct Outcome {
        public let summary: String
        public let index: URL
        /// CPU time per stage, when ``measuresStages`` was set.
        public var stageTimes: StageTimes?
    }

    /// Full-size frames in flight between the decoder and the image writers (32 MiB: 11 frames of
    /// 720p, 1 of 4K); with images for every frame these would otherwise be three whole batches. The
    /// size keeps a 720p run with every image under 250 MB peak RSS (README, "Round six").
    public static let pixelBudgetBytes = 32 << 20

    /// Runs the clip through the model into the destination; nothing is printed.
    public func run() throws -> Outcome {
        let started = Date()
        let clock = measuresStages ? StageClock() : nil
        // The decoding thread and FFmpeg's decoder threads only fill what the network leaves idle.
        var selection = reading.selection
        selection.decoderNiceIncrement = ThreadPriority.backgroundIncrement
        let reader = try FrameSources.open(input, options: selection, transform: transform)
        let frameSize = PixelSize(width: reader.info.displayWidth, height: reader.info.displayHeight)
        let geometry = try modelInput.preprocess.geometry(for: frameSize)
        let labels = try InputLabels.resolve(file: labels.track, filePath: labels.path, field: labels.field, reader: reader)
        let maps = suite.maps, overlayKinds = maps.map(Self.overlayKind)
        let expectedFrames = expectedFrameCount(reader)
        let progress = Progress(total: expectedFrames, quiet: reading.quiet)
        let pixelBudget = ByteBudget(capacity: Self.pixelBudgetBytes)
        let (report, frames) = try OutputDirectory.produce(output.destination, overwrite: output.overwrite) { staging -> (RunReport, Int) in
            let images = output.images, pngEvery = output.pngEvery
            let forecast = pngEvery > 0 ? expectedFrames.map { frames in
                DiskSpaceForecast(directory: output.destination, expectedFrames: frames / pngEvery + (frames % pngEvery == 0 ? 0 : 1), what: "the images",
                                  hint: "--png-every N draws every N-th frame's images, --png-width W smaller ones", warn: progress.print)
            } : nil
            var overlaySettings = images
            overlaySettings.displayScales = Dictionary(uniqueKeysWithValues: zip(maps, overlayKinds).compactMap { map, kind in
                images.displayScales[map.kind].map { (kind, $0) }
            })
            // Images are the most expensive stage: two workers share them unless a panel video needs one ordered writer.
            let imageWriter = pngEvery > 0 ? try ImageWriterStage(workers: images.video ? 1 : 2, pixelBudget: pixelBudget, forecast: forecast) {
                try OverlaySequence(directory: staging, settings: overlaySettings, projection: MapProjection(geometry: geometry),
                                    kinds: overlayKinds, framesPerSecond: reader.info.framesPerSecond / Double(pngEvery), clock: clock)
            } : nil
            let grid = SaliencyGrid(geometry: geometry)
            let gridMaps = maps.filter { $0.method == .gradient }
            let grids = gridMaps.isEmpty ? nil : try NPYStreamWriter(url: staging.appendingPathComponent("saliency-grid.npy"),
                                                                     rowShape: [gridMaps.count, grid.size.height, grid.size.width])
            let scorer = try FaithfulnessScorer(every: faithfulnessEvery, session: session, frameSize: frameSize)
            let entries = try analyse(reader, labels: labels.track, overlays: imageWriter, grid: grid, grids: grids.map { ($0, gridMaps) },
                                      scorer: scorer, clock: clock, progress: progress, pixelBudget: pixelBudget, into: staging)
            reader.printWarnings()
            guard !entries.isEmpty else {
                throw reader.nothingDeliveredError(path: input)
            }
            try grids?.finish()
            let assembler = RunReportAssembler(input: input, session: session, output: output, batchSize: reading.batchSize, version: version,
                                               methodSettings: session.methodSettings)
            var report = assembler.report(entries, reader: reader, labels: labels, geometry: geometry, maps: maps, elapsed: Date().timeIntervalSince(started))
            report.summary.faithfulness = scorer.summary(mapNames: maps.map(\.name))
            report.settings.faithfulnessEvery = faithfulnessEvery
            report.settings.transforms = transform.map { ($0 as? TransformChain)?.transforms.map(\.specification) ?? [$0.specification] }
            let table = FramesTable(maps: maps.map(\.name), diagnostics: Self.diagnosticNames(entries), faithfulness: faithfulnessEvery > 0)
            let (finished, kinds) = (report, imageWriter == nil ? [] : maps.map(\.name))
            let video = images.video && imageWriter != nil ? "panel.mp4" : nil
            // The three files are independent; built side by side, the run's serial tail is about halved.
            let files = try concurrently([
                { @Sendable in clock.measure(.writing) { ("frames.csv", Data(table.text(entries).utf8)) } },
                { @Sendable in try clock.measure(.writing) { ("run.json", try finished.json()) } },
                { @Sendable in try clock.measure(.writing) { ("index.html", Data(try ReportPage.render(finished, kinds: kinds, video: video).utf8)) } },
            ])
            for (name, bytes) in files { try AtomicFile.write(bytes, to: staging.appendingPathComponent(name)) }
            return (report, entries.count)
        }
        var summary = String(format: "analysed %d frames of %@ in %.1f s (%.1f frames/s, maps: %@)", frames, input, report.elapsedSeconds,
                             Double(frames) / max(report.elapsedSeconds, 1e-9), maps.map(\.name).joined(separator: ","))
        if let note = reader.skippedErrorsNote { summary += "; " + note }
        let stageTimes = clock?.snapshot()
        if let stageTimes { summary += "\n" + stageTimes.summary(frames: frames) }
        return Outcome(summary: summary, index: output.destination.appendingPathComponent("index.html"), stageTimes: stageTimes)
    }

    /// The overlay folder of a map: a kind named after the map (`increase`, `gradcam/increase`).
    static func overlayKind(_ map: MethodMap) -> SaliencyMapKind {
        SaliencyMapKind(name: map.name, modifier: map.kind.modifier)
    }

    /// Frames the run will analyse: `--max-frames`, or what the clip's declared length leaves after
    /// `--start`, `--duration` and `--every`; nil when neither is known.
    private func expectedFrameCount(_ reader: any FrameSource) -> Int? {
        let selection = reading.selection, rate = reader.info.framesPerSecond
        let declared = reader.info.declaredFrameCount.map { count -> Int in
            guard rate > 0 else { return count / selection.every }
            // Clamped before the conversion: a start far past the end (`--start 1e18`) leaves −10¹⁹ frames.
            let selected = max(min(Double(count) - selection.start * rate, selection.duration.map { $0 * rate } ?? .infinity), 0)
            return Int(selected.rounded(.up)) / selection.every
        }
        guard let limit = selection.maxFrames else { return declared }
        return min(limit, declared ?? limit)
    }

    /// Every diagnostic any frame has, sorted.
    static func diagnosticNames(_ entries: [RunReport.FrameEntry]) -> [String] {
        Set(entries.flatMap { $0.diagnostics?.keys.map { $0 } ?? [] }).sorted()
    }

    /// Streams the clip in batches; writes images and raw maps as it goes; returns one entry per frame.
    /// Four stages overlap: decoding (a background thread, at lower priority) → the network (this thread)
    /// → each frame's statistics and files (one background thread, a batch behind) → images (background).
    private func analyse(_ reader: any FrameSource, labels: LabelTrack?, overlays imageWriter: ImageWriterStage?, grid: SaliencyGrid,
                         grids: (writer: NPYStreamWriter, maps: [MethodMap])?, scorer: FaithfulnessScorer, clock: StageClock?,
                         progress: Progress, pixelBudget: ByteBudget, into directory: URL) throws -> [RunReport.FrameEntry] {
        // This thread's CPU time per stage, plus what NeuralNet's lanes spent on other threads meanwhile.
        func timed<T>(_ stage: StageClock.Stage, _ body: () throws -> T) rethrows -> T {
            guard let clock else { return try body() }
            let helpers = Parallelism.helperCPU.nanoseconds
            defer { clock.add(stage, nanoseconds: Parallelism.helperCPU.nanoseconds &- helpers) }
            return try clock.measure(stage, body)
        }
        let maps = suite.maps
        defer { progress.clear() }
        let pngEvery = output.pngEvery, drawsImages = imageWriter != nil
        let batches = BatchPrefetcher(reader: reader, modelInputs: [modelInput], batchSize: reading.batchSize, pixelBudget: pixelBudget,
                                      clock: clock, keepsPixels: { drawsImages && $0 % max(pngEvery, 1) == 0 })
        let recorder = FrameRecorder(analysis: self, labels: labels, framesPerSecond: reader.info.framesPerSecond, overlays: imageWriter, grid: grid,
                                     grids: grids, clock: clock, progress: progress, directory: directory)
        let worker = SerialWorker(name: "steerlens-frames", niceIncrement: ThreadPriority.backgroundIncrement)
        var submitted = 0
        do {
            while let (frames, inputs) = try batches.next() {
                try Interruption.shared.check(progress: "after \(submitted) frames of \(input)")
                let result = try timed(.network) { try suite.run(inputs[0]) }
                // Scoring runs the model, so it happens here, between the network's passes.
                var scores: [Int: FrameFaithfulness] = [:]
                for item in frames.indices where scorer.scores(position: submitted + item) {
                    // Pixels ranked by importance (the display map of a gradient map ranks negative
                    // gradients too; its importance ties them at 0).
                    scores[item] = try timed(.faithfulness) {
                        try scorer.score(item: inputs[0].item(item),
                                         maps: maps.map { ($0.name, FrameMaps.importance(result, item: item, map: $0)) }, frame: frames[item].index)
                    }
                }
                let batch = UncheckedBox(FrameRecorder.Batch(frames: frames, result: result, faithfulness: scores))
                try worker.submit {
                    do { try recorder.record(batch.value) } catch {
                        // Kept frames the recorder will never hand on hold pixel bytes the decoder may wait
                        // for: stop it, so this thread's `next` ends and `finish` rethrows the failure.
                        batches.cancel()
                        throw error
                    }
                }
                submitted += frames.count
                batches.recycle(inputs)
            }
            batches.stop()
            try worker.finish()
            try imageWriter?.finish()
        } catch {
            batches.stop()
            worker.cancel()
            imageWriter?.cancel()
            throw error
        }
        return recorder.entries
    }

    public static func channelMaximum(_ map: [Float], channels: Int) -> [Float] {
        stride(from: 0, to: map.count, by: channels).map { map[$0..<($0 + channels)].max()! }
    }
}
