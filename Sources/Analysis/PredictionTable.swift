import Foundation
import Reporting
import VideoIO

/// `steerlens predict`'s CSV: `frame,time_s,prediction` (or `prediction_0…` for a vector output), plus
/// `label` when the input records labels (a DonkeyCar tub, a driving log).
public enum PredictionTable {
    /// Runs `session` over every frame of `reader` and hands the header, then one row per frame in
    /// frame order, to `line`.
    public static func write(_ reader: any FrameSource, input: String, session: ModelSession, labels: LabelTrack?, batchSize: Int,
                             line: (String) throws -> Void) throws {
        let units = session.predictionUnits
        try line((units == 1 ? "frame,time_s,prediction" : "frame,time_s," + (0..<units).map { "prediction_\($0)" }.joined(separator: ","))
            + (labels == nil ? "" : ",label"))
        try session.predict(reader, input: input, batchSize: batchSize) { frame, values in
            try Interruption.shared.check(progress: "at frame \(frame.index) of \(input)")
            var row = "\(frame.index),\(String(format: "%.6f", frame.time)),\(values.map { String(format: "%.9g", $0) }.joined(separator: ","))"
            if let labels {
                row += "," + (labels.steering(frame: frame.index, time: frame.time, framesPerSecond: reader.info.framesPerSecond).map { String(format: "%.9g", $0) } ?? "")
            }
            try line(row)
        }
    }
}
