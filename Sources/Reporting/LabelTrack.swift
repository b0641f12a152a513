import Foundation
import SteerLensSupport
import VideoIO

/// Ground-truth steering for a clip, read from a CSV file:
/// - `frame,steering` (the Datasets/ `labels.csv` format `frame,time_s,steering` works too): by frame index;
/// - `time_s,steering`: by presentation time, matched to the nearest frame within half a frame;
/// - a Udacity `driving_log.csv` (no header; centre image, left, right, steering, throttle, brake, speed):
///   row k labels frame k of the image list made from its centre images.
public struct LabelTrack: Sendable, Equatable {
    public enum Key: String, Sendable { case frame, time, row }
    public let key: Key
    /// (frame or row index, or time in seconds) → steering, sorted by key.
    public let entries: [(key: Double, steering: Double)]

    public static func == (lhs: LabelTrack, rhs: LabelTrack) -> Bool {
        lhs.key == rhs.key && lhs.entries.map(\.key) == rhs.entries.map(\.key) && lhs.entries.map(\.steering) == rhs.entries.map(\.steering)
    }

    public init(key: Key, entries: [(key: Double, steering: Double)]) {
        self.key = key
        self.entries = entries.sorted { $0.key < $1.key }
    }

    /// Labels recorded in a dataset (a tub's `user/angle`, a driving log's `steering`), by frame number.
    public init(recorded values: [(frame: Int, value: Double)]) {
        self.init(key: .frame, entries: values.map { (Double($0.frame), $0.value) })
    }

    /// The labels a dataset records in `field` (default: the dataset's own label field).
    /// - Throws: ``LabelError/unknownField(path:field:available:)`` when no image records `field`;
    ///   returns `nil` when no field was asked for and the dataset records none.
    public static func recorded(in dataset: RecordedDataset, field requested: String?) throws -> (track: LabelTrack, field: String)? {
        guard let field = requested ?? dataset.labelField else { return nil }
        let values = dataset.values(of: field)
        guard !values.isEmpty else { throw LabelError.unknownField(path: dataset.path, field: field, available: dataset.fields) }
        return (LabelTrack(recorded: values), field)
    }

    /// Parses a labels file.
    /// - Throws: ``LabelError`` for a missing file or content that matches none of the formats.
    public static func load(_ url: URL) throws -> LabelTrack {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw LabelError.missing(path: url.path) }
        return try parse(String(decoding: data, as: UTF8.self), path: url.path)
    }

    static func parse(_ text: String, path: String) throws -> LabelTrack {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let first = lines.first else { throw LabelError.invalid(path: path, detail: "the file is empty") }
        let header = first.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if let steeringColumn = header.firstIndex(of: "steering") {
            let (key, keyColumn): (Key, Int)
            if let column = header.firstIndex(of: "frame") {
                (key, keyColumn) = (.frame, column)
            } else if let column = header.firstIndex(where: { $0 == "time_s" || $0 == "time" }) {
                (key, keyColumn) = (.time, column)
            } else {
                throw LabelError.invalid(path: path, detail: "a header with 'steering' needs a 'frame' or 'time_s' column")
            }
            return LabelTrack(key: key, entries: try lines.dropFirst().enumerated().map { offset, line in
                let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                guard fields.count > max(keyColumn, steeringColumn), let keyValue = Double(fields[keyColumn]), let steering = Double(fields[steeringColumn]) else {
                    throw LabelError.invalid(path: path, detail: "line \(offset + 2) is not a number pair: \(line.prefix(80))")
                }
                return (keyValue, steering)
            })
        }
        // Udacity driving_log.csv: no header, 7 columns, steering in column 3.
        return LabelTrack(key: .row, entries: try lines.enumerated().map { row, line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 4, let steering = Double(fields[3]) else {
                throw LabelError.invalid(path: path, detail: "line \(row + 1) is neither 'frame,steering', 'time_s,steering' with a header, nor a driving_log.csv row")
            }
            return (Double(row), steering)
        })
    }

    /// The label of a frame, if the track has one for it.
    public func steering(frame: Int, time: Double, framesPerSecond: Double) -> Double? {
        switch key {
        case .frame, .row:
            return nearest(to: Double(frame), within: 0.01)
        case .time:
            return nearest(to: time, within: 0.5 / max(framesPerSecond, 1))
        }
    }

    private func nearest(to value: Double, within tolerance: Double) -> Double? {
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].key < value { low = middle + 1 } else { high = middle }
        }
        let candidates = [low - 1, low].filter { entries.indices.contains($0) }
        guard let best = candidates.min(by: { abs(entries[$0].key - value) < abs(entries[$1].key - value) }),
              abs(entries[best].key - value) <= tolerance else { return nil }
        return entries[best].steering
    }
}

/// A labels file that cannot be used.
public enum LabelError: SteerLensError, Equatable {
    case missing(path: String)
    case invalid(path: String, detail: String)
    /// `--label-field` names a field the dataset does not record (or the input records none).
    case unknownField(path: String, field: String, available: [String])

    public var kind: FailureKind {
        switch self {
        case .missing: .missingInput
        case .invalid: .badInput
        case .unknownField: .usage
        }
    }

    public var message: String {
        switch self {
        case .missing(let path): "labels file '\(path)' does not exist or cannot be read"
        case .invalid(let path, let detail): "labels file '\(path)' is not valid: \(detail)"
        case .unknownField(let path, let field, let available):
            "--label-field '\(field)': no record of '\(path)' has it" + (available.isEmpty ? " (it records no numeric fields)" : "; recorded fields: " + available.joined(separator: ", "))
        }
    }

    public var hint: String {
        switch self {
        case .unknownField: "--label-field takes a numeric field a DonkeyCar tub or driving_log.csv records, e.g. user/angle or user/throttle; pass --labels FILE for other inputs"
        default: "use a CSV with a header 'frame,steering' or 'time_s,steering', or a Udacity driving_log.csv"
        }
    }
}
