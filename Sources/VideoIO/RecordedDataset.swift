import Foundation

/// One image of a recorded dataset and what was recorded with it.
public struct DatasetImage: Sendable, Equatable {
    /// The frame number SteerLens reports: a tub's record index (`_index`, or the `n` of
    /// `record_<n>.json`), a driving log's row, an image folder's position.
    public var index: Int
    /// Seconds from the first image: from the recorded milliseconds when the dataset has them, else
    /// position ÷ frame rate.
    public var time: Double
    /// Absolute or working-directory-relative path of the image file.
    public var path: String
    /// Numeric values recorded with the image, by field name (`user/angle`, `user/throttle`,
    /// `steering`, …).
    public var values: [String: Double]

    public init(index: Int, time: Double, path: String, values: [String: Double] = [:]) {
        (self.index, self.time, self.path, self.values) = (index, time, path, values)
    }
}

/// A recorded driving dataset read as a clip: its images in order, their times and recorded values,
/// and how its frame rate was found. Made by ``DonkeyTub``, ``DrivingLog`` and ``ImageFolder``;
/// read by ``ImageListReader``.
public struct RecordedDataset: Sendable {
    /// The input as given.
    public var path: String
    /// Short kind, reported as the container: `donkeycar-tub-v1`, `donkeycar-tub-v2`, `driving_log`,
    /// `image-folder`.
    public var kind: String
    /// A sentence naming the kind, reported as the container's long name.
    public var description: String
    /// The images in reading order.
    public var images: [DatasetImage]
    /// Frames per second: the recorded mean when times were recorded, else `--fps` or the default.
    public var framesPerSecond: Double
    /// How the times were found, e.g. `recorded _timestamp_ms`, `--fps 15`, `default 20 fps (DonkeyCar
    /// tub without timestamps)`; stated in the report.
    public var timing: String
    /// The field whose values become labels when no `--labels` file is given (`user/angle`,
    /// `steering`), if the dataset records one.
    public var labelField: String?
    /// One line per record that was left out while the dataset was read (broken JSON, no image, a
    /// deleted index is not a warning).
    public var warnings: [String]

    public init(path: String, kind: String, description: String, images: [DatasetImage], framesPerSecond: Double, timing: String,
                labelField: String?, warnings: [String]) {
        (self.path, self.kind, self.description, self.images) = (path, kind, description, images)
        (self.framesPerSecond, self.timing, self.labelField, self.warnings) = (framesPerSecond, timing, labelField, warnings)
    }

    /// Every numeric field recorded for at least one image, sorted.
    public var fields: [String] { Set(images.flatMap(\.values.keys)).sorted() }

    /// The recorded values of `field` by frame number (images without the field are left out).
    public func values(of field: String) -> [(frame: Int, value: Double)] {
        images.compactMap { image in image.values[field].map { (image.index, $0) } }
    }

    /// Times for images without recorded timestamps: position ÷ rate. The rate is `--fps` when given,
    /// else `defaultRate`, and ``timing`` says which.
    static func nominalTiming(_ requested: Double?, defaultRate: Double, reason: String) -> (rate: Double, timing: String) {
        if let requested { return (requested, "--fps \(Self.format(requested))") }
        return (defaultRate, "default \(Self.format(defaultRate)) fps (\(reason); --fps sets it)")
    }

    /// Times from recorded milliseconds, relative to the first; the rate is the mean over the span.
    /// `nil` when fewer than two images carry timestamps or the timestamps do not increase.
    static func recordedTiming(_ milliseconds: [Double], field: String) -> (times: [Double], rate: Double, timing: String)? {
        guard milliseconds.count >= 2, let first = milliseconds.first, let last = milliseconds.last, last > first else { return nil }
        let times = milliseconds.map { ($0 - first) / 1000 }
        let rate = Double(milliseconds.count - 1) / times.last!
        return (times, rate, "recorded \(field) (mean \(format(rate)) fps)")
    }

    static func format(_ rate: Double) -> String {
        rate == rate.rounded() ? String(Int(rate)) : String(format: "%.3g", rate)
    }
}

/// Natural ordering of file names: digit runs compare as numbers, so `frame_2` sorts before `frame_10`
/// (what a person and `ls -v` expect); ties fall back to plain byte order.
public enum NaturalOrder {
    /// `true` when `lhs` sorts before `rhs`.
    public static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        let left = chunks(lhs), right = chunks(rhs)
        for (a, b) in zip(left, right) where a != b {
            switch (a, b) {
            case (.number(let x, let xs), .number(let y, let ys)): return x != y ? x < y : xs < ys
            case (.number, .text): return true
            case (.text, .number): return false
            case (.text(let x), .text(let y)): return x < y
            }
        }
        return left.count != right.count ? left.count < right.count : lhs < rhs
    }

    private enum Chunk: Equatable {
        /// The value (digit runs longer than 18 digits compare by their first 18) and the text, so
        /// `007` and `7` stay distinct.
        case number(UInt64, String)
        case text(String)
    }

    private static func chunks(_ name: String) -> [Chunk] {
        var result: [Chunk] = [], current = "", inDigits = false
        func flush() {
            guard !current.isEmpty else { return }
            result.append(inDigits ? .number(UInt64(current.prefix(18)) ?? 0, current) : .text(current))
            current = ""
        }
        for character in name {
            let isDigit = character.isASCII && character.isNumber
            if isDigit != inDigits { flush(); inDigits = isDigit }
            current.append(character)
        }
        flush()
        return result
    }
}
