import Foundation
import Reporting
import Saliency
import SteerLensSupport
import VideoIO

/// The per-frame half of ``ClipAnalysis``: out of each explained batch, every frame's entry (prediction,
/// label, region shares, saliency change, faithfulness), its row of the coarse saliency grid, its raw
/// maps (`--save-maps`) and its overlays (handed to the image writers). Batches arrive in clip order on
/// one thread (a ``SerialWorker``), a batch behind the network; ``entries`` is read after that thread
/// has finished.
final class FrameRecorder: @unchecked Sendable {
    /// One explained batch: its frames, the suite's result and the faithfulness scores of its scored
    /// items (by item index; scoring runs the model, so the network's thread does it).
    struct Batch {
        let frames: [Frame]
        let result: ExplainedBatch
        let faithfulness: [Int: FrameFaithfulness]
    }

    private(set) var entries: [RunReport.FrameEntry] = []
    /// The first map of the previous frame, for the saliency change.
    private var previousMap: [Float]?
    private let session: ModelSession
    private let output: ClipAnalysis.OutputSettings
    private let labels: LabelTrack?
    private let framesPerSecond: Double
    private let imageWriter: ImageWriterStage?
    private let grid: SaliencyGrid
    private let grids: (writer: NPYStreamWriter, maps: [MethodMap])?
    private let clock: StageClock?
    private let progress: Progress
    private let directory: URL

    init(analysis: ClipAnalysis, labels: LabelTrack?, framesPerSecond: Double, overlays imageWriter: ImageWriterStage?, grid: SaliencyGrid,
         grids: (writer: NPYStreamWriter, maps: [MethodMap])?, clock: StageClock?, progress: Progress, directory: URL) {
        (session, output) = (analysis.session, analysis.output)
        (self.labels, self.framesPerSecond, self.imageWriter, self.grid, self.grids) = (labels, framesPerSecond, imageWriter, grid, grids)
        (self.clock, self.progress, self.directory) = (clock, progress, directory)
    }

    /// Records every frame of `batch`.
    func record(_ batch: Batch) throws {
        let shape = session.modelInput.shape
        let (height, width, channels) = (shape[0], shape[1], shape[2])
        let maps = session.explainers.maps
        let keepChannels = session.explainer.keepChannels
        func keepsChannels(_ map: MethodMap) -> Bool { keepChannels && map.method == .gradient }
        let result = batch.result, pngEvery = output.pngEvery
        let predictions = result.outputs[session.outputIndex]
        let units = predictions.itemCount
        for (item, frame) in batch.frames.enumerated() {
            let (frameMaps, flat, first) = clock.measure(.maps) {
                let frameMaps = FrameMaps(result, item: item, maps: maps, width: width, height: height)
                // Statistics on the channel maximum when channels are kept.
                let flat = Dictionary(uniqueKeysWithValues: frameMaps.display.map { map, values in
                    (map, keepsChannels(map) ? ClipAnalysis.channelMaximum(values, channels: channels) : values)
                })
                return (frameMaps, flat, flat[maps[0]]!)
            }
            var entry = clock.measure(.maps) { RunReport.FrameEntry(
                frame: frame.index, time: frame.time, prediction: Double(predictions.scalars[item * units + session.predictionUnit]),
                label: labels?.steering(frame: frame.index, time: frame.time, framesPerSecond: framesPerSecond),
                regionShares: frameMaps.regionShares,
                saliencyChange: previousMap.map { 1 - pearsonCorrelation($0, first) },
                hasImages: imageWriter != nil && entries.count % max(pngEvery, 1) == 0,
                diagnostics: frameMaps.diagnostics) }
            previousMap = first
            entry.faithfulness = batch.faithfulness[item]
            if let grids { try clock.measure(.maps) { try grids.writer.append(grids.maps.flatMap { grid.sample(flat[$0]!) }) } }
            if entry.hasImages {
                try imageWriter?.submit(frame, maps: Dictionary(uniqueKeysWithValues: flat.map { (ClipAnalysis.overlayKind($0.key), $0.value) }))
            }
            if output.saveMaps { try clock.measure(.writing) {
                let name = String(format: "%06d.npy", frame.index)
                for map in maps {
                    let values = frameMaps.display[map]!
                    let shape = keepsChannels(map) ? [height, width, channels] : [height, width]
                    try NPYArray(shape: shape, values: values).write(to: directory.appendingPathComponent("maps/\(map.name)/\(name)"))
                }
                if let gradient = result.gradient {
                    try NPYArray(shape: [height, width, channels], values: gradient.item(item))
                        .write(to: directory.appendingPathComponent("gradients/\(name)"))
                }
            } }
            entries.append(entry)
        }
        progress.update(done: entries.count)
    }
}

/// One frame's maps from every method: the display map (`[H, W]`, or `[H, W, C]` for gradient maps
/// with channels kept) per method map, the region shares of each map's importance (`[H, W]`, the
/// method's raw attribution magnitude, never the min-max display map) by map name, and the methods'
/// diagnostics (`<method>_<name>`).
struct FrameMaps {
    var display: [MethodMap: [Float]] = [:]
    var regionShares: [String: MapStatistics] = [:]
    var diagnostics: [String: Double]?

    init(_ batch: ExplainedBatch, item: Int, maps: [MethodMap], width: Int, height: Int) {
        for map in maps {
            display[map] = batch[map]!.display.item(item)
            guard regionShares[map.name] == nil else { continue }  // the first map of a name
            let importance = batch[map]!.importance, count = importance.itemCount
            regionShares[map.name] = importance.scalars[(item * count)..<((item + 1) * count)].withUnsafeBufferPointer {
                MapStatistics(map: $0, width: width, height: height)
            }
        }
        for explanation in batch.explanations {
            for (name, values) in explanation.diagnostics {
                diagnostics = diagnostics ?? [:]
                diagnostics!["\(explanation.method.rawValue)_\(name)"] = values[item]
            }
        }
    }

    /// Frame `item`'s raw importance under `map` (what faithfulness ranks pixels by).
    static func importance(_ batch: ExplainedBatch, item: Int, map: MethodMap) -> [Float] {
        batch[map]!.importance.item(item)
    }
}
