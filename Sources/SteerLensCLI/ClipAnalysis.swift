import Foundation
import ModelImport
import Saliency
import SteerLensSupport
import VideoIO

/// One clip through the saliency engine into one output directory, written atomically: everything
/// goes to a staging directory that replaces the destination only when the run completes.
struct ClipAnalysis {
    let input: String
    let destination: URL
    let engine: SaliencyEngine
    let modelInput: ModelInput
    let card: ModelCard
    /// Path of the model sidecar that supplied preprocessing defaults, if any.
    let sidecar: String?
    let predictionOutput: Int
    let predictionUnit: Int
    let saveMaps: Bool
    let batchSize: Int
    let overwrite: Bool
    let selection: ReadOptions

    func run() throws {
        let started = Date()
        let reader = try FrameReader(path: input, options: selection)
        let frameSize = PixelSize(width: reader.info.displayWidth, height: reader.info.displayHeight)
        let geometry = try modelInput.preprocess.geometry(for: frameSize)
        let staging = try OutputDirectory.stage(destination, overwrite: overwrite)
        do {
            let frames = try analyse(reader, into: staging)
            guard frames > 0 else {
                throw VideoError.noDecodableFrames(path: input, decodeErrors: reader.decodeErrorCount + reader.readErrorCount)
            }
            let elapsed = Date().timeIntervalSince(started)
            try RunRecord(input: reader.info, frames: frames, decodeErrors: reader.decodeErrorCount, readErrors: reader.readErrorCount,
                          geometry: geometry, preprocess: modelInput.preprocess, card: card, sidecar: sidecar, engine: engine,
                          predictionOutput: predictionOutput, predictionUnit: predictionUnit, elapsedSeconds: elapsed)
                .write(to: staging.appendingPathComponent("run.json"))
            try OutputDirectory.commit(staging, to: destination)
            var summary = String(format: "analysed %d frames of %@ in %.1f s (%.1f frames/s, maps: %@) → %@", frames, input, elapsed,
                                 Double(frames) / max(elapsed, 1e-9), engine.kinds.map(\.name).joined(separator: ","), destination.path)
            if reader.decodeErrorCount + reader.readErrorCount > 0 {
                summary += "; \(reader.decodeErrorCount) decode errors and \(reader.readErrorCount) read errors were skipped"
            }
            printError(summary)
        } catch {
            OutputDirectory.discard(staging)
            throw error
        }
    }

    /// Streams the clip in batches; writes frames.csv and, if asked, maps and gradients. Returns the frame count.
    private func analyse(_ reader: FrameReader, into directory: URL) throws -> Int {
        var rows = ["frame,time_s,prediction"]
        let (height, width, channels) = (modelInput.shape[0], modelInput.shape[1], modelInput.shape[2])
        let mapShape = engine.keepChannels ? [height, width, channels] : [height, width]
        let mapCount = mapShape.reduce(1, *), gradientCount = height * width * channels
        while true {
            let frames = try reader.nextBatch(batchSize)
            if frames.isEmpty { break }
            let result = try engine.run(try modelInput.batch(frames))
            let predictions = result.outputs[predictionOutput]
            let units = predictions.itemCount
            for (item, frame) in frames.enumerated() {
                let prediction = predictions.scalars[item * units + predictionUnit]
                rows.append("\(frame.index),\(String(format: "%.6f", frame.time)),\(String(format: "%.9g", prediction))")
                guard saveMaps else { continue }
                let name = String(format: "%06d.npy", frame.index)
                for kind in engine.kinds {
                    let values = Array(result.maps[kind]!.scalars[(item * mapCount)..<((item + 1) * mapCount)])
                    try NPYArray(shape: mapShape, values: values).write(to: directory.appendingPathComponent("maps/\(kind.name)/\(name)"))
                }
                let gradient = Array(result.gradient.scalars[(item * gradientCount)..<((item + 1) * gradientCount)])
                try NPYArray(shape: [height, width, channels], values: gradient).write(to: directory.appendingPathComponent("gradients/\(name)"))
            }
        }
        try AtomicFile.write(Data((rows.joined(separator: "\n") + "\n").utf8), to: directory.appendingPathComponent("frames.csv"))
        return rows.count - 1
    }
}
