import VideoIO

/// A ``FrameSource`` whose frames pass through a transform on the way out (`--transform` on `frames`,
/// `predict` and `analyze`). Everything else — selection, counts, dataset, warnings — is the wrapped
/// source's; `info`'s display size is the transformed size (``CubicScale`` enlarges frames).
public final class TransformedFrameSource: FrameSource {
    public let source: any FrameSource
    public let transform: any FrameTransform
    public private(set) var info: VideoStreamInfo

    public init(_ source: any FrameSource, transform: any FrameTransform) throws {
        self.source = source
        self.transform = transform
        var info = source.info
        // The size a frame of the clip's size has after the transform.
        guard info.displayWidth > 0, info.displayHeight > 0 else { self.info = info; return }
        let probe = Frame(index: 0, time: 0, width: info.displayWidth, height: info.displayHeight,
                          pixels: [UInt8](repeating: 0, count: info.displayWidth * info.displayHeight * 3))
        let sized = try transform.apply(probe)
        (info.displayWidth, info.displayHeight) = (sized.width, sized.height)
        self.info = info
    }

    public var options: ReadOptions { source.options }
    public var decodeErrorCount: Int { source.decodeErrorCount }
    public var readErrorCount: Int { source.readErrorCount }
    public var decodedFrameCount: Int { source.decodedFrameCount }
    public var deliveredFrameCount: Int { source.deliveredFrameCount }
    public var dataset: RecordedDataset? { source.dataset }
    public var warnings: [String] { source.warnings }
    public var timing: String? { source.timing }

    public func read(into frame: inout Frame) throws -> Bool {
        guard try source.read(into: &frame) else { return false }
        frame = try transform.apply(frame)
        return true
    }
}

extension FrameSources {
    /// `input` opened with `options` (``FrameSources/open(_:options:)``), every frame passed through
    /// `transform` when there is one.
    public static func open(_ input: String, options: ReadOptions, transform: (any FrameTransform)?) throws -> any FrameSource {
        let decoded = try open(input, options: options)
        return try transform.map { try TransformedFrameSource(decoded, transform: $0) } ?? decoded
    }
}
