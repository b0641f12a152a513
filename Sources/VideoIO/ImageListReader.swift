import Foundation

/// The images of a recorded dataset — a Udacity `driving_log.csv` (``DrivingLog``), a DonkeyCar tub
/// (``DonkeyTub``) or a folder of images (``ImageFolder``) — read as a clip, one image file decoded at
/// a time (constant memory).
///
/// Frame numbers and times are the dataset's own (``DatasetImage``). An image that cannot be decoded
/// (missing, damaged) or whose size differs from the first readable image's is skipped with a
/// one-line warning (``warnings``), like a damaged video frame; undecodable ones also count as decode
/// errors. The first readable image sets the clip's size.
public final class ImageListReader: FrameSource {
    public let info: VideoStreamInfo
    public let options: ReadOptions
    public private(set) var decodeErrorCount = 0
    public let readErrorCount = 0
    public private(set) var decodedFrameCount = 0
    public private(set) var deliveredFrameCount = 0
    /// The dataset as read (images, timing, recorded values).
    public let recorded: RecordedDataset
    /// Warnings from reading the dataset's records, then one per image skipped while decoding.
    public private(set) var warnings: [String]
    /// The path of every image, in reading order.
    public var images: [String] { recorded.images.map(\.path) }
    public var dataset: RecordedDataset? { recorded }
    private var next = 0
    private var selectedCount = 0
    /// The first readable image, decoded while opening, handed out first instead of decoding it again.
    private var first: (position: Int, frame: Frame)?

    /// Opens a Udacity `driving_log.csv` (see ``DrivingLog``).
    public convenience init(path: String, options: ReadOptions = ReadOptions()) throws {
        try self.init(dataset: try DrivingLog.load(path, framesPerSecond: options.framesPerSecond), options: options)
    }

    /// Reads `dataset`'s images as a clip.
    /// - Throws: ``VideoError/badDataset(path:reason:)`` when the dataset has no images or none of them
    ///   can be decoded.
    public init(dataset: RecordedDataset, options: ReadOptions = ReadOptions()) throws {
        try options.validate()
        recorded = dataset
        warnings = dataset.warnings
        self.options = options
        guard !dataset.images.isEmpty else {
            throw VideoError.badDataset(path: dataset.path, reason: "it holds no records with images" + Self.firstWarning(dataset.warnings))
        }
        // Describe the clip by its first readable image; the unreadable ones before it are skipped now.
        var opened: (Int, Frame, VideoStreamInfo)?
        for (position, image) in dataset.images.enumerated() {
            if let reader = try? FrameReader(path: image.path), let frame = try? reader.next() {
                opened = (position, frame, reader.info)
                break
            }
            decodeErrorCount += 1
            warnings.append(Self.skipWarning(image, reason: FileManager.default.fileExists(atPath: image.path) ? "cannot be decoded" : "is missing"))
        }
        guard let (position, frame, firstInfo) = opened else {
            throw VideoError.badDataset(path: dataset.path, reason: "none of its \(dataset.images.count) images can be decoded" + Self.firstWarning(warnings))
        }
        first = (position, frame)
        next = position
        let rate = Self.rational(dataset.framesPerSecond)
        info = VideoStreamInfo(
            path: dataset.path, container: dataset.kind, containerLongName: dataset.description, codec: firstInfo.codec,
            pixelFormat: firstInfo.pixelFormat, streamIndex: 0, width: frame.width, height: frame.height, rotation: 0,
            displayWidth: frame.width, displayHeight: frame.height, frameRate: rate, averageFrameRate: rate,
            duration: (dataset.images.last!.time - dataset.images.first!.time) + 1 / dataset.framesPerSecond,
            declaredFrameCount: dataset.images.count, audioStreamCount: 0)
    }

    public func read(into frame: inout Frame) throws -> Bool {
        if let maxFrames = options.maxFrames, deliveredFrameCount >= maxFrames { return false }
        let tolerance = 0.5 / max(recorded.framesPerSecond, 1)
        while next < recorded.images.count {
            let position = next
            let image = recorded.images[position]
            next += 1
            if image.time < options.start - tolerance { continue }
            if let duration = options.duration, image.time >= options.start + duration - tolerance { next = recorded.images.count; return false }
            defer { selectedCount += 1 }
            guard selectedCount % options.every == 0 else { continue }
            guard let decoded = decode(image, at: position) else { continue }
            decodedFrameCount += 1
            frame = Frame(index: image.index, time: image.time, width: decoded.width, height: decoded.height, pixels: decoded.pixels)
            deliveredFrameCount += 1
            return true
        }
        return false
    }

    /// The image's pixels, or `nil` (with a warning) when it cannot be used.
    private func decode(_ image: DatasetImage, at position: Int) -> Frame? {
        if let first, first.position == position {
            self.first = nil
            return first.frame
        }
        guard let decoded = (try? FrameReader(path: image.path)).flatMap({ try? $0.next() }) else {
            decodeErrorCount += 1
            warnings.append(Self.skipWarning(image, reason: FileManager.default.fileExists(atPath: image.path) ? "cannot be decoded" : "is missing"))
            return nil
        }
        guard decoded.width == info.width, decoded.height == info.height else {
            warnings.append(Self.skipWarning(image, reason: "is \(decoded.width)x\(decoded.height), the clip's images are \(info.width)x\(info.height)"))
            return nil
        }
        return decoded
    }

    static func skipWarning(_ image: DatasetImage, reason: String) -> String {
        "skipped frame \(image.index): image '\(image.path)' \(reason)"
    }

    private static func firstWarning(_ warnings: [String]) -> String {
        warnings.first.map { " (\(warnings.count) records skipped; first: \($0))" } ?? ""
    }

    /// A frame rate as a rational with millihertz precision (`20/1`, `19950/1000` → reduced).
    static func rational(_ rate: Double) -> Rational {
        if rate == rate.rounded() { return Rational(Int(rate), 1) }
        var numerator = Int((rate * 1000).rounded()), denominator = 1000
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let divisor = max(gcd(numerator, denominator), 1)
        numerator /= divisor
        denominator /= divisor
        return Rational(numerator, denominator)
    }
}
