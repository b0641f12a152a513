import Foundation
import VideoIO

/// Recorded datasets made by the tests: DonkeyCar tubs in both formats, with real JPEG images written
/// by the project's ``ImageEncoder`` and records laid out as DonkeyCar writes them
/// (`donkeycar/parts/tub_v2.py` and `datastore_v2.py` for v2, `datastore.py` for v1).
public enum TestDatasets {
    /// One record to write.
    public struct Record: Sendable {
        public var index: Int
        public var angle: Double
        public var throttle: Double
        /// `_timestamp_ms` (v2) or `milliseconds` (v1); nil writes none.
        public var milliseconds: Int?
        /// The picture; `nil` writes no image file (a record whose image is missing).
        public var image: Frame?

        public init(index: Int, angle: Double, throttle: Double, milliseconds: Int?, image: Frame?) {
            (self.index, self.angle, self.throttle, self.milliseconds, self.image) = (index, angle, throttle, milliseconds, image)
        }
    }

    /// A flat grey picture whose level identifies it after JPEG compression (`10 + 20·k`, k < 12).
    public static func grey(_ k: Int, width: Int = 48, height: Int = 32) -> Frame {
        Frame(index: k, time: 0, width: width, height: height, pixels: [UInt8](repeating: UInt8(10 + 20 * k), count: width * height * 3))
    }

    /// The grey level `k` of a frame made by ``grey(_:width:height:)`` (from its centre pixel).
    public static func greyIndex(of frame: Frame) -> Int {
        Int((Double(frame.pixel(x: frame.width / 2, y: frame.height / 2).g) - 10) / 20 + 0.5)
    }

    /// `records` as steering angles recorded by a human driver: a deterministic, varied sequence.
    public static func records(count: Int, firstIndex: Int = 0, startMilliseconds: Int? = 1_700_000_000_000, width: Int = 48, height: Int = 32,
                               picture: (Int) -> Frame? = { grey($0) }) -> [Record] {
        var time = startMilliseconds
        return (0..<count).map { k in
            defer { time = time.map { $0 + 45 + (k % 3) * 10 } }
            return Record(index: firstIndex + k, angle: (sin(Double(k) * 0.9) * 0.8 * 1000).rounded() / 1000,
                          throttle: 0.2 + Double(k) / 100, milliseconds: time, image: picture(k))
        }
    }

    /// A v2 tub: `manifest.json` (five JSON lines), `catalog_<k>.catalog` files of `catalogLength`
    /// JSON lines, `images/<index>_cam_image_array_.jpg`. `extraLines` are appended verbatim to the
    /// catalog of that number (broken records); `deleted` goes into `deleted_indexes`.
    public static func writeTubV2(_ records: [Record], to folder: URL, catalogLength: Int = 3, deleted: [Int] = [],
                                  extraLines: [Int: [String]] = [:]) throws {
        let images = folder.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        let encoder = try ImageEncoder(format: .jpeg)
        var catalogs: [String] = []
        for (number, start) in stride(from: 0, to: max(records.count, 1), by: catalogLength).enumerated() {
            let name = "catalog_\(number).catalog"
            catalogs.append(name)
            var lines: [String] = []
            for record in records[start..<min(start + catalogLength, records.count)] {
                let image = "\(record.index)_cam_image_array_.jpg"
                if let frame = record.image { try encoder.write(frame, to: images.appendingPathComponent(image)) }
                var fields: [String: Any] = ["_index": record.index, "_session_id": "21-06-01_0", "cam/image_array": image,
                                             "user/angle": record.angle, "user/throttle": record.throttle, "user/mode": "user"]
                if let milliseconds = record.milliseconds { fields["_timestamp_ms"] = milliseconds }
                lines.append(String(decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self))
            }
            lines += extraLines[number] ?? []
            try Data(lines.map { $0 + "\r\n" }.joined().utf8).write(to: folder.appendingPathComponent(name))
            try Data((#"{"created_at": 1622505600.0, "line_lengths": [], "path": "\#(name)_manifest", "start_index": \#(start)}"# + "\r\n").utf8)
                .write(to: folder.appendingPathComponent("catalog_\(number).catalog_manifest"))
        }
        let catalogMetadata: [String: Any] = ["paths": catalogs, "current_index": records.count, "max_len": catalogLength, "deleted_indexes": deleted]
        let manifest = [
            #"["cam/image_array", "user/angle", "user/throttle", "user/mode"]"#,
            #"["image_array", "float", "float", "str"]"#,
            "{}",
            #"{"created_at": 1622505600.0, "sessions": {"all_full_ids": ["21-06-01_0"], "last_id": 0, "last_full_id": "21-06-01_0"}}"#,
            String(decoding: try JSONSerialization.data(withJSONObject: catalogMetadata, options: [.sortedKeys]), as: UTF8.self),
        ]
        try Data(manifest.map { $0 + "\r\n" }.joined().utf8).write(to: folder.appendingPathComponent("manifest.json"))
    }

    /// A v1 tub: `meta.json` and `record_<n>.json` naming `<n>_cam-image_array_.jpg` in the tub folder.
    public static func writeTubV1(_ records: [Record], to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = try ImageEncoder(format: .jpeg)
        try Data(#"{"inputs": ["cam/image_array", "user/angle", "user/throttle", "user/mode"], "types": ["image_array", "float", "float", "str"]}"#.utf8)
            .write(to: folder.appendingPathComponent("meta.json"))
        for record in records {
            let image = "\(record.index)_cam-image_array_.jpg"
            if let frame = record.image { try encoder.write(frame, to: folder.appendingPathComponent(image)) }
            var fields: [String: Any] = ["cam/image_array": image, "user/angle": record.angle, "user/throttle": record.throttle, "user/mode": "user"]
            if let milliseconds = record.milliseconds { fields["milliseconds"] = milliseconds }
            try JSONSerialization.data(withJSONObject: fields).write(to: folder.appendingPathComponent("record_\(record.index).json"))
        }
    }
}
