import Foundation

/// A Udacity simulator recording's `driving_log.csv` (no header; columns: centre image, left image,
/// right image, steering, throttle, brake, speed) as a dataset of its centre-camera images: row k is
/// frame k at k ÷ 30 seconds (`--fps` changes the rate; the log records no portable timestamps), and
/// `steering`, `throttle`, `brake`, `speed` are its recorded fields (`steering` labels by default).
///
/// Image paths are taken as written (absolute, or relative to the CSV's folder); paths recorded on
/// another machine (Windows or macOS) fall back to `IMG/<file name>` beside the CSV.
public enum DrivingLog {
    /// The numeric columns after the three image paths.
    public static let fields = ["steering", "throttle", "brake", "speed"]

    /// - Throws: ``VideoError`` for a missing or unreadable file, or a CSV that is not a driving log.
    public static func load(_ path: String, framesPerSecond requested: Double? = nil) throws -> RecordedDataset {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileManager.default.fileExists(atPath: path) ? VideoError.inputUnreadable(path: path, reason: "cannot read it") : VideoError.inputMissing(path: path)
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let rows = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { !($0.first ?? "").isEmpty }
        guard !rows.isEmpty, rows.allSatisfy({ $0.count >= 4 && Double($0[3]) != nil }) else {
            throw VideoError.notAVideo(path: path, reason: "a .csv input must be a Udacity driving_log.csv (centre image, left, right, steering, …) without a header")
        }
        let (rate, timing) = RecordedDataset.nominalTiming(requested, defaultRate: 30, reason: "driving_log.csv records no timestamps")
        let images = rows.enumerated().map { row, columns in
            var values: [String: Double] = [:]
            for (offset, field) in fields.enumerated() where columns.count > 3 + offset {
                if let value = Double(columns[3 + offset]) { values[field] = value }
            }
            return DatasetImage(index: row, time: Double(row) / rate, path: resolve(columns[0], in: folder), values: values)
        }
        return RecordedDataset(path: path, kind: "driving_log", description: "Udacity driving_log.csv image list", images: images,
                               framesPerSecond: rate, timing: timing, labelField: "steering", warnings: [])
    }

    static func resolve(_ recorded: String, in folder: URL) -> String {
        let direct = recorded.hasPrefix("/") ? recorded : folder.appendingPathComponent(recorded).path
        if FileManager.default.fileExists(atPath: direct) { return direct }
        let name = recorded.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? recorded
        return folder.appendingPathComponent("IMG").appendingPathComponent(name).path
    }
}
