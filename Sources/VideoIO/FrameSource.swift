import Foundation

/// Anything that delivers a clip's frames in order: a video/image file or sequence decoded by FFmpeg
/// (``FrameReader``) or the images of a recorded dataset — a DonkeyCar tub, a Udacity
/// `driving_log.csv`, a folder of images (``ImageListReader``).
public protocol FrameSource: AnyObject {
    /// What the clip is.
    var info: VideoStreamInfo { get }
    /// The selection applied.
    var options: ReadOptions { get }
    /// Packets or images that could not be decoded.
    var decodeErrorCount: Int { get }
    /// Container read errors skipped.
    var readErrorCount: Int { get }
    /// Frames decoded so far, including those skipped by the selection.
    var decodedFrameCount: Int { get }
    /// Frames delivered so far.
    var deliveredFrameCount: Int { get }
    /// Decodes the next selected frame into `frame`; `false` at the end of the selection.
    func read(into frame: inout Frame) throws -> Bool
    /// The recorded dataset behind the frames (images, timing, recorded values), if any.
    var dataset: RecordedDataset? { get }
    /// One line per record or image skipped so far (datasets only).
    var warnings: [String] { get }
    /// How frame times were found when the input records none of its own (datasets, image
    /// sequences), e.g. `default 30 fps (image sequence from number 5801; --fps sets it)`; nil for videos.
    var timing: String? { get }
}

extension FrameSource {
    public var dataset: RecordedDataset? { nil }
    public var warnings: [String] { [] }
    public var timing: String? { dataset?.timing }

    /// `N decode errors and M read errors were skipped`; nil when every frame was read.
    public var skippedErrorsNote: String? {
        decodeErrorCount + readErrorCount > 0 ? "\(decodeErrorCount) decode errors and \(readErrorCount) read errors were skipped" : nil
    }

    /// Why a read of `path` delivered no frame at all: frames were decoded but none fell in the
    /// `--start`/`--duration` window (``VideoError/emptySelection(path:start:duration:decodedFrames:)``,
    /// exit 64), or nothing could be decoded (``VideoError/noDecodableFrames(path:decodeErrors:)``, exit 65).
    public func nothingDeliveredError(path: String) -> VideoError {
        if decodedFrameCount > 0 && (options.start > 0 || options.duration != nil) {
            return .emptySelection(path: path, start: options.start, duration: options.duration, decodedFrames: decodedFrameCount)
        }
        return .noDecodableFrames(path: path, decodeErrors: decodeErrorCount + readErrorCount)
    }

    /// The next selected frame, or `nil` at the end of the selection.
    public func next() throws -> Frame? {
        var frame = Frame(index: 0, time: 0, width: 0, height: 0, pixels: [])
        return try read(into: &frame) ? frame : nil
    }

    /// Reads up to `count` selected frames.
    public func nextBatch(_ count: Int) throws -> [Frame] {
        var batch: [Frame] = []
        batch.reserveCapacity(count)
        while batch.count < count, let frame = try next() { batch.append(frame) }
        return batch
    }
}

/// Opens the right ``FrameSource`` for an input.
public enum FrameSources {
    /// A folder is a DonkeyCar tub (`manifest.json` or `meta.json`), else a folder of images; a `.csv`
    /// is a Udacity `driving_log.csv`; everything else (videos, images, `%06d.png` sequences) goes to
    /// FFmpeg.
    public static func open(_ path: String, options: ReadOptions = ReadOptions()) throws -> any FrameSource {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            try options.validate()
            let dataset = DonkeyTub.isTub(path) ? try DonkeyTub.load(path, framesPerSecond: options.framesPerSecond)
                                                : try ImageFolder.load(path, framesPerSecond: options.framesPerSecond)
            return try ImageListReader(dataset: dataset, options: options)
        }
        if path.lowercased().hasSuffix(".csv") { return try ImageListReader(path: path, options: options) }
        return try FrameReader(path: path, options: options)
    }
}
