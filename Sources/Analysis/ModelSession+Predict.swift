import Foundation
import SteerLensSupport
import VideoIO

extension ModelSession {
    /// Values per frame of the prediction output (1 for a steering regressor).
    public var predictionUnits: Int { loaded.model.outputShapes[outputIndex].reduce(1, *) }

    /// Runs the model forward over every frame `reader` delivers, `batchSize` frames per pass, and hands
    /// each frame (its index and time; the pixels are dropped once preprocessed) with its prediction
    /// values to `body`, in frame order (`predict`). Frames are decoded and preprocessed a batch ahead on
    /// a background thread (``BatchPrefetcher``), so memory holds model inputs, not full-size frames.
    /// - Parameter input: the clip as the user named it, for errors.
    /// - Throws: the preprocessing's error when it does not fit the frame size; ``FrameSource/nothingDeliveredError(path:)``
    ///   when no frame was delivered.
    public func predict(_ reader: any FrameSource, input: String, batchSize: Int, _ body: (Frame, ArraySlice<Float>) throws -> Void) throws {
        _ = try modelInput.preprocess.geometry(for: PixelSize(width: reader.info.displayWidth, height: reader.info.displayHeight))
        let units = predictionUnits
        let batches = BatchPrefetcher(reader: reader, modelInputs: [predictionInput], batchSize: batchSize) { _ in false }
        defer { batches.stop() }
        while let (frames, inputs) = try batches.next() {
            let values = try predict(predictionBatch: inputs[0]).scalars
            for (row, frame) in frames.enumerated() { try body(frame, values[(row * units)..<((row + 1) * units)]) }
            batches.recycle(inputs)
        }
        batches.stop()  // the decoding thread is done with the reader before its counts are read
        guard reader.deliveredFrameCount > 0 else {
            throw reader.nothingDeliveredError(path: input)
        }
    }
}
