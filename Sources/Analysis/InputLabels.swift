import Foundation
import Reporting
import SteerLensSupport
import VideoIO

/// The labels of one input: a `--labels` file when given, else the field a recorded dataset carries
/// (a tub's `user/angle`, a driving log's `steering`, or `--label-field`), else none.
public struct InputLabels {
    public let track: LabelTrack?
    /// What run.json records as `labels`: the file, or `<field> recorded in <input>`.
    public let source: String?
    /// The dataset field, when the labels were recorded in the input.
    public let field: String?

    /// - Throws: ``UsageError`` for `--labels` together with `--label-field`;
    ///   ``LabelError/unknownField(path:field:available:)`` for a field the input does not record.
    public static func resolve(file: LabelTrack?, filePath: String?, field: String?, reader: any FrameSource) throws -> InputLabels {
        if let file {
            if field != nil {
                throw UsageError(message: "--label-field picks a field recorded in the input; it cannot be combined with --labels",
                                 hint: "drop one of them: --labels FILE for labels from a file, --label-field FIELD for a field of a tub or driving_log.csv")
            }
            return InputLabels(track: file, source: filePath, field: nil)
        }
        guard let dataset = reader.dataset else {
            if let field { throw LabelError.unknownField(path: reader.info.path, field: field, available: []) }
            return InputLabels(track: nil, source: nil, field: nil)
        }
        guard let (track, chosen) = try LabelTrack.recorded(in: dataset, field: field) else { return InputLabels(track: nil, source: nil, field: nil) }
        return InputLabels(track: track, source: "\(chosen) recorded in \(dataset.path)", field: chosen)
    }
}

extension FrameSource {
    /// Prints the skipped-record warnings of a dataset input on stderr, one line each (the first 20,
    /// then a count of the rest; run.json keeps the first 100).
    public func printWarnings() {
        let warnings = self.warnings
        var lines = warnings.prefix(20).map { "steerlens: warning: \(info.path): \($0)" }
        if warnings.count > 20 { lines.append("steerlens: warning: \(info.path): … and \(warnings.count - 20) more skipped records") }
        for line in lines { StandardError.line(line) }
    }

    /// run.json's `timing`, `skippedRecords` and `warnings`: set for datasets, only `timing` for image
    /// sequences, nils for a video.
    public var datasetFacts: (timing: String?, skipped: Int?, warnings: [String]?) {
        guard dataset != nil else { return (timing, nil, nil) }
        return (timing, warnings.count, warnings)
    }
}
