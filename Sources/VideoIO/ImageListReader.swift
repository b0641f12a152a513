import Foundation

/// The centre-camera images of a Udacity simulator recording, read through its `driving_log.csv`
/// (no header; columns: centre image, left image, right image, steering, throttle, brake, speed) as a
/// clip: row k is frame k, at a nominal 30 frames per second (the log records no timestamps in a
/// portable form). Image paths are taken as written (absolute, or relative to the CSV's folder); paths
/// recorded on another machine fall back to `IMG/<file name>` beside the CSV. Unreadable images are
/// counted as decode errors and skipped, like damaged video frames.
public final class ImageListReader: FrameSource {
    public let info: VideoStreamInfo
    public let options: ReadOptions
    public private(set) var decodeErrorCount = 0
    public let readErrorCount = 0
    public private(set) var decodedFrameCount = 0
    public private(set) var deliveredFrameCount = 0
    /// The resolved image path of every row.
    public let images: [String]
    private var nextRow = 0
    private var selectedCount = 0
    static let framesPerSecond = 30

    public init(path: String, options: ReadOptions = ReadOptions()) throws {
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
        images = rows.map { Self.resolve($0[0], in: folder) }
        self.options = options
        // Describe the clip by its first image.
        let first = try FrameReader(path: images[0])
        let count = rows.count
        info = VideoStreamInfo(
            path: path, container: "driving_log", containerLongName: "Udacity driving_log.csv image list", codec: first.info.codec,
            pixelFormat: first.info.pixelFormat, streamIndex: 0, width: first.info.width, height: first.info.height, rotation: 0,
            displayWidth: first.info.displayWidth, displayHeight: first.info.displayHeight,
            frameRate: Rational(Self.framesPerSecond, 1), averageFrameRate: Rational(Self.framesPerSecond, 1),
            duration: Double(count) / Double(Self.framesPerSecond), declaredFrameCount: count, audioStreamCount: 0)
    }

    static func resolve(_ recorded: String, in folder: URL) -> String {
        let direct = recorded.hasPrefix("/") ? recorded : folder.appendingPathComponent(recorded).path
        if FileManager.default.fileExists(atPath: direct) { return direct }
        let name = recorded.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? recorded
        return folder.appendingPathComponent("IMG").appendingPathComponent(name).path
    }

    public func read(into frame: inout Frame) throws -> Bool {
        if let maxFrames = options.maxFrames, deliveredFrameCount >= maxFrames { return false }
        while nextRow < images.count {
            let row = nextRow
            nextRow += 1
            let time = Double(row) / Double(Self.framesPerSecond)
            if time < options.start - 0.5 / Double(Self.framesPerSecond) { continue }
            if let duration = options.duration, time >= options.start + duration - 0.5 / Double(Self.framesPerSecond) { nextRow = images.count; return false }
            defer { selectedCount += 1 }
            guard selectedCount % options.every == 0 else { continue }
            guard let image = try? FrameReader(path: images[row]).next() else {
                decodeErrorCount += 1
                continue
            }
            decodedFrameCount += 1
            frame = Frame(index: row, time: time, width: image.width, height: image.height, pixels: image.pixels)
            deliveredFrameCount += 1
            return true
        }
        return false
    }
}
