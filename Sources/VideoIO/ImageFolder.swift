import Foundation
import SteerLensSupport

/// A folder of images read as a clip: every PNG, JPEG, BMP, TIFF or WebP file directly inside it, in
/// natural order (``NaturalOrder``: `frame_2` before `frame_10`), frame k at `k / fps` seconds (`--fps`,
/// default 30). Frame numbers are positions in that order.
public enum ImageFolder {
    /// File extensions taken as images (lower case).
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp"]
    /// The frame rate of image folders and sequences without `--fps`.
    public static let defaultFramesPerSecond = 30.0

    /// The images of `directory`, naturally sorted.
    /// - Throws: ``VideoError/inputUnreadable(path:reason:)`` when the folder cannot be listed,
    ///   ``VideoError/badDataset(path:reason:)`` when it holds no images.
    public static func load(_ directory: String, framesPerSecond requested: Double?) throws -> RecordedDataset {
        let names = try listing(directory).filter { imageExtensions.contains(PathText.pathExtension(of: $0).lowercased()) }
            .sorted(by: NaturalOrder.precedes)
        guard !names.isEmpty else {
            throw VideoError.badDataset(path: directory, reason: "it holds no images (.png, .jpg, …), no DonkeyCar tub (manifest.json or meta.json) and no driving_log.csv")
        }
        let (rate, timing) = RecordedDataset.nominalTiming(requested, defaultRate: defaultFramesPerSecond, reason: "image folder")
        let folder = URL(fileURLWithPath: directory)
        let images = names.enumerated().map { position, name in
            DatasetImage(index: position, time: Double(position) / rate, path: folder.appendingPathComponent(name).path)
        }
        return RecordedDataset(path: directory, kind: "image-folder", description: "folder of images in natural order", images: images,
                               framesPerSecond: rate, timing: timing, labelField: nil, warnings: [])
    }

    /// The file names in `directory`.
    static func listing(_ directory: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw VideoError.inputUnreadable(path: directory, reason: "cannot list the folder (\((error as NSError).localizedDescription))")
        }
    }
}

/// A printf-style image-sequence pattern (`frames/%06d.png`, `tub/%d_cam-image_array_.jpg`) decoded by
/// FFmpeg's image2 demuxer, starting at the smallest number present (like `ffmpeg -start_number`, which
/// FFmpeg itself only searches among 0…4) at `--fps` frames per second (default 30).
public enum ImageSequence {
    /// Demuxer options for `path`: `start_number` and `framerate` for a pattern; none for other inputs.
    /// - Throws: ``VideoError/invalidOption(_:)`` when `--fps` is given for an input that records its
    ///   own timing (a video file).
    static func demuxerOptions(for path: String, framesPerSecond: Double?) throws -> [String: String] {
        guard let pattern = Pattern(path) else {
            if framesPerSecond != nil {
                throw VideoError.invalidOption("--fps applies to image sequences, image folders and recorded datasets; '\(path)' has its own frame times")
            }
            return [:]
        }
        var options = ["framerate": String(framesPerSecond ?? ImageFolder.defaultFramesPerSecond)]
        if let start = pattern.numbers().first { options["start_number"] = String(start) }
        return options
    }

    /// What the report says about a pattern's timing, from its demuxer options; nil for other inputs.
    static func timing(of options: [String: String], requested: Double?) -> String? {
        guard let rate = options["framerate"].flatMap(Double.init) else { return nil }
        let start = options["start_number"].map { "image sequence from number \($0)" } ?? "image sequence"
        if requested != nil { return "--fps \(RecordedDataset.format(rate)) (\(start))" }
        return "default \(RecordedDataset.format(rate)) fps (\(start); --fps sets it)"
    }

    /// The frame numbers present for `pattern`, ascending (empty for an input that is not a pattern).
    public static func numbers(matching pattern: String) -> [Int] {
        Pattern(pattern)?.numbers() ?? []
    }

    /// A file-name pattern with one integer conversion (`%d`, `%06d`); `%%` is a literal percent sign.
    struct Pattern {
        let directory: String
        let prefix: String, suffix: String
        /// Zero-padded width (`%06d` → 6), 0 for `%d`.
        let width: Int

        init?(_ path: String) {
            let name = PathText.lastComponent(of: path)
            guard name.contains("%") else { return nil }
            var prefix = "", suffix = "", width: Int?
            var characters = Array(name)[...]
            while let character = characters.popFirst() {
                guard character == "%" else {
                    if width == nil { prefix.append(character) } else { suffix.append(character) }
                    continue
                }
                if characters.first == "%" {
                    characters.removeFirst()
                    if width == nil { prefix.append("%") } else { suffix.append("%") }
                    continue
                }
                let digits = String(characters.prefix { $0.isASCII && $0.isNumber })
                characters.removeFirst(digits.count)
                guard width == nil, characters.popFirst() == "d" else { return nil }
                width = digits.isEmpty ? 0 : Int(digits) ?? 0
            }
            guard let width else { return nil }
            (self.prefix, self.suffix, self.width) = (prefix, suffix, width)
            directory = PathText.parent(of: path)
        }

        /// Numbers whose file exists in the folder, ascending; the file name must be exactly what
        /// printf would make of the number.
        func numbers() -> [Int] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
            return names.compactMap { name -> Int? in
                guard name.count > prefix.count + suffix.count, name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
                let middle = String(name.dropFirst(prefix.count).dropLast(suffix.count))
                guard middle.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(middle),
                      (width == 0 ? String(number) : String(format: "%0\(width)d", number)) == middle else { return nil }
                return number
            }.sorted()
        }
    }
}
