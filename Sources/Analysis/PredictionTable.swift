import Foundation
import Reporting
import SteerLensSupport
import Transforms
import VideoIO

/// `steerlens predict`'s CSV: `frame,time_s,prediction` (or `prediction_0…` for a vector output), plus
/// `label` when labels are known (a labels file, or the ones a DonkeyCar tub or driving log records).
public struct PredictionTable {
    public var input: String
    public var session: ModelSession
    public var selection: ReadOptions
    /// Frames per forward pass.
    public var batchSize: Int
    /// Applied to every decoded frame before the preprocessing (`--transform`); nil: the frames as decoded.
    public var transform: (any FrameTransform)?
    /// A labels file; without one, a dataset input's recorded `labelField` (nil: its default field).
    public var labelsPath: String?
    public var labelField: String?

    public init(input: String, session: ModelSession, selection: ReadOptions, batchSize: Int, transform: (any FrameTransform)? = nil,
                labelsPath: String? = nil, labelField: String? = nil) {
        (self.input, self.session, self.selection, self.batchSize) = (input, session, selection, batchSize)
        (self.transform, self.labelsPath, self.labelField) = (transform, labelsPath, labelField)
    }

    /// Runs the model over every selected frame and hands the header, then one row per frame in frame
    /// order, to `line`; a dataset's skipped records are printed as warnings.
    /// - Returns: the note on decode and read errors skipped (``FrameSource/skippedErrorsNote``), if any.
    @discardableResult
    public func write(line: (String) throws -> Void) throws -> String? {
        let reader = try FrameSources.open(input, options: selection, transform: transform)
        defer { reader.printWarnings() }
        let file = try labelsPath.map { try LabelTrack.load(URL(fileURLWithPath: $0)) }
        let labels = try InputLabels.resolve(file: file, filePath: labelsPath, field: labelField, reader: reader).track
        let units = session.predictionUnits
        let framesPerSecond = reader.info.framesPerSecond  // read before the decoding thread takes the reader
        try line((units == 1 ? "frame,time_s,prediction" : "frame,time_s," + (0..<units).map { "prediction_\($0)" }.joined(separator: ","))
            + (labels == nil ? "" : ",label"))
        try session.predict(reader, input: input, batchSize: batchSize) { frame, values in
            try Interruption.shared.check(progress: "at frame \(frame.index) of \(input)")
            var row = "\(frame.index),\(String(format: "%.6f", frame.time)),\(values.map { String(format: "%.9g", $0) }.joined(separator: ","))"
            if let labels {
                row += "," + (labels.steering(frame: frame.index, time: frame.time, framesPerSecond: framesPerSecond).map { String(format: "%.9g", $0) } ?? "")
            }
            try line(row)
        }
        return reader.skippedErrorsNote
    }

    /// Writes the table to `file` atomically: the file appears, complete, only when every frame was read.
    @discardableResult
    public func write(to file: URL) throws -> String? {
        var rows: [String] = []
        let note = try write { rows.append($0) }
        try AtomicFile.write(Data((rows.joined(separator: "\n") + "\n").utf8), to: file)
        return note
    }
}
