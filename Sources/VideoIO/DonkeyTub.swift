import Foundation
import SteerLensSupport

/// A DonkeyCar tub — the folder `donkey drive` records — as a dataset of its camera images, in both
/// formats DonkeyCar has written:
///
/// - **v2** (DonkeyCar ≥ 4, `donkeycar/parts/tub_v2.py`): `manifest.json` is five JSON lines (inputs,
///   types, metadata, manifest metadata, catalog metadata `{"paths", "current_index", "max_len",
///   "deleted_indexes"}`); the records are JSON lines in the listed `catalog_<k>.catalog` files, each
///   with `_index`, `_timestamp_ms`, `cam/image_array` (a file name under `images/`), `user/angle`,
///   `user/throttle`, …. Records whose index is in `deleted_indexes` are left out, as DonkeyCar's
///   own reader does.
/// - **v1** (DonkeyCar ≤ 3): `meta.json` (`{"inputs", "types"}`) and one `record_<n>.json` per
///   record, ordered by `n`, naming `<n>_cam-image_array_.jpg` in the tub folder; DonkeyCar 3 adds
///   `milliseconds`.
///
/// Frame numbers are the record indexes; times come from the recorded milliseconds relative to the
/// first record (`--fps` overrides them; without timestamps the rate is `--fps` or 20, DonkeyCar's
/// default `DRIVE_LOOP_HZ`). Every numeric field of a record is kept (``DatasetImage/values``);
/// `user/angle` labels by default. A record that cannot be used (broken JSON, no image field) is left
/// out with one warning line.
public enum DonkeyTub {
    /// The frame rate of a tub whose records carry no timestamps (DonkeyCar's `DRIVE_LOOP_HZ`).
    public static let defaultFramesPerSecond = 20.0
    /// The field that labels frames unless `--label-field` picks another.
    public static let angleField = "user/angle"
    /// The image field of a stock DonkeyCar car.
    public static let imageField = "cam/image_array"

    /// Whether `directory` holds a tub (`manifest.json` or `meta.json`).
    public static func isTub(_ directory: String) -> Bool {
        ["manifest.json", "meta.json"].contains { FileManager.default.fileExists(atPath: PathText.appending($0, to: directory)) }
    }

    /// Reads the tub in `directory` (v2 when it has `manifest.json`, else v1).
    /// - Throws: ``VideoError/badDataset(path:reason:)`` for a manifest or meta file that cannot be read.
    public static func load(_ directory: String, framesPerSecond requested: Double?) throws -> RecordedDataset {
        let folder = URL(fileURLWithPath: directory)
        let isVersion2 = FileManager.default.fileExists(atPath: folder.appendingPathComponent("manifest.json").path)
        var (records, warnings) = isVersion2 ? try version2Records(folder, path: directory) : try version1Records(folder, path: directory)
        records.sort { $0.index < $1.index }
        let timestampField = isVersion2 ? "_timestamp_ms" : "milliseconds"
        let timestamps = records.compactMap(\.milliseconds)
        var images: [DatasetImage], rate: Double, timing: String
        if requested == nil, timestamps.count == records.count, zip(timestamps, timestamps.dropFirst()).allSatisfy({ $0 <= $1 }),
           let recorded = RecordedDataset.recordedTiming(timestamps, field: timestampField) {
            images = zip(records, recorded.times).map { DatasetImage(index: $0.index, time: $1, path: $0.image, values: $0.values) }
            (rate, timing) = (recorded.rate, recorded.timing)
        } else {
            var reason = "DonkeyCar tub without \(timestampField)"
            if !timestamps.isEmpty && timestamps.count == records.count { reason = "DonkeyCar tub whose \(timestampField) do not increase" }
            (rate, timing) = RecordedDataset.nominalTiming(requested, defaultRate: defaultFramesPerSecond, reason: reason)
            images = records.enumerated().map { DatasetImage(index: $1.index, time: Double($0) / rate, path: $1.image, values: $1.values) }
        }
        let labelField = images.contains { $0.values[angleField] != nil } ? angleField : nil
        return RecordedDataset(path: directory, kind: isVersion2 ? "donkeycar-tub-v2" : "donkeycar-tub-v1",
                               description: isVersion2 ? "DonkeyCar tub (v2: manifest.json + catalogs)" : "DonkeyCar tub (v1: meta.json + record_<n>.json)",
                               images: images, framesPerSecond: rate, timing: timing, labelField: labelField, warnings: warnings)
    }

    /// One usable record.
    struct Record {
        var index: Int
        var image: String
        var milliseconds: Double?
        var values: [String: Double]
    }

    // MARK: v2

    private static func version2Records(_ folder: URL, path: String) throws -> ([Record], [String]) {
        let manifest = try readText(folder.appendingPathComponent("manifest.json"), tub: path)
        let lines = manifest.split(whereSeparator: \.isNewline).map(String.init)
        guard lines.count >= 5, let inputs = json(lines[0]) as? [String], let types = json(lines[1]) as? [String],
              let catalogs = json(lines[4]) as? [String: Any], let paths = catalogs["paths"] as? [String] else {
            throw VideoError.badDataset(path: path, reason: "manifest.json is not a DonkeyCar v2 manifest (five JSON lines: inputs, types, metadata, manifest metadata, catalogs)")
        }
        let deleted = Set((catalogs["deleted_indexes"] as? [Any] ?? []).compactMap(integer))
        let imageKey = imageField(inputs: inputs, types: types)
        var records: [Record] = [], warnings: [String] = [], position = 0
        for name in paths {
            let url = folder.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                warnings.append("skipped catalog '\(name)': it is listed in manifest.json but missing or unreadable")
                continue
            }
            for (lineNumber, line) in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).enumerated() {
                defer { position += 1 }
                guard let object = json(String(line)) as? [String: Any] else {
                    if !deleted.contains(position) { warnings.append("skipped \(name) line \(lineNumber + 1): not a JSON record") }
                    continue
                }
                let index = integer(object["_index"] as Any) ?? position
                guard !deleted.contains(index) else { continue }
                guard let image = object[imageKey] as? String, !image.isEmpty else {
                    warnings.append("skipped record \(index): it has no '\(imageKey)' image")
                    continue
                }
                records.append(Record(index: index, image: folder.appendingPathComponent("images").appendingPathComponent(image).path,
                                      milliseconds: number(object["_timestamp_ms"] as Any), values: values(of: object)))
            }
        }
        return (records, warnings)
    }

    // MARK: v1

    private static func version1Records(_ folder: URL, path: String) throws -> ([Record], [String]) {
        let meta = json(try readText(folder.appendingPathComponent("meta.json"), tub: path)) as? [String: Any]
        guard let meta else { throw VideoError.badDataset(path: path, reason: "meta.json is not a JSON object with 'inputs' and 'types'") }
        let imageKey = imageField(inputs: meta["inputs"] as? [String] ?? [], types: meta["types"] as? [String] ?? [])
        let numbered = try ImageFolder.listing(path).compactMap { name -> (Int, String)? in
            guard name.hasPrefix("record_"), name.hasSuffix(".json"), let number = Int(name.dropFirst(7).dropLast(5)) else { return nil }
            return (number, name)
        }.sorted { $0.0 < $1.0 }
        var records: [Record] = [], warnings: [String] = []
        for (index, name) in numbered {
            let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path)
            guard let object = data.flatMap({ try? JSONSerialization.jsonObject(with: $0) }) as? [String: Any] else {
                warnings.append("skipped record \(index): \(name) is not a JSON record")
                continue
            }
            guard let image = object[imageKey] as? String, !image.isEmpty else {
                warnings.append("skipped record \(index): it has no '\(imageKey)' image")
                continue
            }
            let imagePath = image.hasPrefix("/") ? image : folder.appendingPathComponent(image).path
            records.append(Record(index: index, image: imagePath, milliseconds: number(object["milliseconds"] as Any), values: values(of: object)))
        }
        return (records, warnings)
    }

    // MARK: Helpers

    /// The first input of type `image_array` (or `image`), else DonkeyCar's `cam/image_array`.
    private static func imageField(inputs: [String], types: [String]) -> String {
        zip(inputs, types).first { $0.1 == "image_array" || $0.1 == "image" }?.0 ?? imageField
    }

    /// The record's numeric fields, without DonkeyCar's private `_…` fields and `milliseconds`.
    private static func values(of object: [String: Any]) -> [String: Double] {
        var values: [String: Double] = [:]
        for (key, value) in object where !key.hasPrefix("_") && key != "milliseconds" {
            if let value = number(value) { values[key] = value }
        }
        return values
    }

    /// A JSON number as a Double (strings, arrays and null are not).
    private static func number(_ value: Any) -> Double? {
        let double: Double?
        if let number = value as? NSNumber { double = number.doubleValue } else if let value = value as? Double { double = value } else if let value = value as? Int { double = Double(value) } else { double = nil }
        return double.flatMap { $0.isFinite ? $0 : nil }
    }

    private static func integer(_ value: Any) -> Int? {
        number(value).flatMap { $0 == $0.rounded() && abs($0) < 1e15 ? Int($0) : nil }
    }

    private static func json(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    private static func readText(_ url: URL, tub: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw VideoError.inputUnreadable(path: url.path, reason: "the tub's \(url.lastPathComponent) cannot be read")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
