import Foundation
import SteerLensSupport
import VideoIO

extension ModelSession {
    /// Values per frame of the prediction output (1 for a steering regressor).
    public var predictionUnits: Int { loaded.model.outputShapes[outputIndex].reduce(1, *) }

    /// Runs the model forward over every frame `reader` delivers, `batchSize` frames per pass, and hands
    /// each frame with its prediction values to `body`, in frame order (`predict`).
    /// - Parameter input: the clip as the user named it, for errors.
    /// - Throws: the preprocessing's error when it does not fit the frame size; `VideoError.noDecodableFrames`
    ///   when no frame could be decoded.
    public func predict(_ reader: any FrameSource, input: String, batchSize: Int, _ body: (Frame, ArraySlice<Float>) throws -> Void) throws {
        _ = try modelInput.preprocess.geometry(for: PixelSize(width: reader.info.displayWidth, height: reader.info.displayHeight))
        let units = predictionUnits
        while true {
            let frames = try reader.nextBatch(batchSize)
            if frames.isEmpty { break }
            let values = try predict(try modelInput.batch(frames)).scalars
            for (row, frame) in frames.enumerated() { try body(frame, values[(row * units)..<((row + 1) * units)]) }
        }
        guard reader.deliveredFrameCount > 0 else {
            throw VideoError.noDecodableFrames(path: input, decodeErrors: reader.decodeErrorCount + reader.readErrorCount)
        }
    }
}
