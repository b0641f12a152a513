import Foundation
import Reporting
import SteerLensSupport
import VideoIO

/// `predict --manifest`: one clip's `predictions.csv` (`frame,time_s,prediction[,label]`, the CSV
/// `predict` prints; a vector output has `prediction_0…`) in its own output directory.
public enum FleetPredictions {
    public static let fileName = "predictions.csv"

    /// Runs `session` over `input` and writes `destination/predictions.csv` (staged, then renamed).
    /// - Parameter labels: a labels file from the manifest; without it, a dataset's recorded labels.
    public static func write(_ input: String, labels labelsPath: String?, labelField: String?, session: ModelSession, selection: ReadOptions,
                             batchSize: Int, to destination: URL) throws {
        try OutputDirectory.produce(destination, overwrite: false) { staging in
            _ = try PredictionTable(input: input, session: session, selection: selection, batchSize: batchSize, labelsPath: labelsPath, labelField: labelField)
                .write(to: staging.appendingPathComponent(fileName))
        }
    }

    /// The rows of a `predictions.csv` (the first prediction column); `nil` when it is not one.
    public static func parse(_ text: String) -> [(frame: Int, time: Double, prediction: Double, label: Double?)]? {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false), header.first == "frame" else { return nil }
        let labelColumn = header.firstIndex(of: "label")
        lines.removeFirst()
        var rows: [(Int, Double, Double, Double?)] = []
        for line in lines {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == header.count, let frame = Int(fields[0]), let time = Double(fields[1]), let prediction = Double(fields[2]) else { return nil }
            rows.append((frame, time, prediction, labelColumn.flatMap { Double(fields[$0]) }))
        }
        return rows
    }
}
