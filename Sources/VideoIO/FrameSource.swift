/// Anything that delivers a clip's frames in order: a video/image file or sequence decoded by FFmpeg
/// (``FrameReader``) or the centre-camera images of a Udacity `driving_log.csv` (``ImageListReader``).
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
}

extension FrameSource {
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
    /// A Udacity `driving_log.csv` opens as an image list; everything else goes to FFmpeg.
    public static func open(_ path: String, options: ReadOptions = ReadOptions()) throws -> any FrameSource {
        if path.lowercased().hasSuffix(".csv") { return try ImageListReader(path: path, options: options) }
        return try FrameReader(path: path, options: options)
    }
}
