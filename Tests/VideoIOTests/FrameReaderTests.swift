import XCTest
import TestSupport
@testable import VideoIO

/// Decoding: exact pixels from lossless inputs, rotation, frame selection and timestamps.
final class FrameReaderTests: XCTestCase {
    func testImageSequenceDecodesToTheExactPixelsWritten() throws {
        let directory = try TestPaths.scratchDirectory("sequence")
        let encoder = try ImageEncoder(format: .png)
        let written = (0..<5).map { index -> Frame in
            var frame = TestClips.noise(width: 33, height: 17, seed: UInt64(index))
            frame.index = index
            return frame
        }
        for frame in written {
            try encoder.write(frame, to: directory.appendingPathComponent(String(format: "%06d.png", frame.index)))
        }
        let reader = try FrameReader(path: directory.appendingPathComponent("%06d.png").path)
        var decoded: [Frame] = []
        while let frame = try reader.next() { decoded.append(frame) }
        XCTAssertEqual(decoded.map(\.pixels), written.map(\.pixels))
        XCTAssertEqual(decoded.map(\.index), [0, 1, 2, 3, 4])
        XCTAssertEqual(reader.decodeErrorCount, 0)
    }

    func testLosslessVideoDecodesToTheExactPixelsWritten() throws {
        let url = try TestPaths.scratchDirectory("ffv1").appendingPathComponent("lossless.mkv")
        let encoding = VideoEncoding(encoder: "ffv1", pixelFormat: "bgr0", frameRate: Rational(25, 1), options: [:])
        let written = try TestClips.writeVideo(to: url, count: 6, size: PixelSize(width: 48, height: 32), encoding: encoding)
        let decoded = try FrameReader(path: url.path).nextBatch(100)
        XCTAssertEqual(decoded.count, 6)
        XCTAssertEqual(decoded.map(\.pixels), written.map(\.pixels))
        XCTAssertEqual(decoded.map(\.time), (0..<6).map { Double($0) / 25 })
    }

    func testRotationMetadataDeliversUprightFrames() throws {
        // Display rotation -90 (what a phone held upright records): frames must come out turned clockwise.
        let url = try TestPaths.scratchDirectory("rotated").appendingPathComponent("phone.mov")
        let encoding = VideoEncoding(encoder: "png", pixelFormat: "rgb24", frameRate: Rational(30, 1), rotation: -90, options: [:])
        let written = try TestClips.writeVideo(to: url, count: 2, size: PixelSize(width: 40, height: 24), encoding: encoding)
        let reader = try FrameReader(path: url.path)
        XCTAssertEqual(reader.info.rotation, -90)
        XCTAssertEqual(reader.info.width, 40)
        XCTAssertEqual(reader.info.displayWidth, 24)
        let frame = try XCTUnwrap(try reader.next())
        XCTAssertEqual(frame.width, 24)
        XCTAssertEqual(frame.height, 40)
        // Turned clockwise: the source's bottom-left pixel is now top-left; top-left is now top-right.
        XCTAssertTrue(frame.pixel(x: 0, y: 0) == written[0].pixel(x: 0, y: 23))
        XCTAssertTrue(frame.pixel(x: 23, y: 0) == written[0].pixel(x: 0, y: 0))
        XCTAssertTrue(frame.pixel(x: 23, y: 39) == written[0].pixel(x: 39, y: 0))
    }

    func testStartDurationEveryAndMaxFramesSelectTheRightFrames() throws {
        let url = try TestPaths.scratchDirectory("select").appendingPathComponent("clip.mp4")
        try TestClips.writeVideo(to: url, count: 90, size: PixelSize(width: 64, height: 48), encoding: .h264(frameRate: Rational(30, 1)))

        let all = try FrameReader(path: url.path).nextBatch(1000)
        XCTAssertEqual(all.map(\.index), Array(0..<90))

        let window = try FrameReader(path: url.path, options: ReadOptions(start: 1.0, duration: 0.5)).nextBatch(1000)
        XCTAssertEqual(window.map(\.index), Array(30..<45), "seek lands on the exact first frame")
        XCTAssertEqual(window.first?.time ?? -1, 1.0, accuracy: 1e-6)
        // After a seek the decoded picture is the same as when decoding from the start.
        XCTAssertEqual(window.first?.pixels, all[30].pixels)

        let everyTenth = try FrameReader(path: url.path, options: ReadOptions(every: 10)).nextBatch(1000)
        XCTAssertEqual(everyTenth.map(\.index), [0, 10, 20, 30, 40, 50, 60, 70, 80])

        let capped = try FrameReader(path: url.path, options: ReadOptions(start: 2.5, every: 2, maxFrames: 3)).nextBatch(1000)
        XCTAssertEqual(capped.map(\.index), [75, 77, 79])
    }

    /// A start after the clip's last frame delivers nothing and says so (a usage error, not "corrupt"),
    /// however far past: starts beyond any timestamp the stream can hold trapped in the seek before.
    func testStartPastTheEndDeliversNothingAndSaysWhy() throws {
        let url = try TestPaths.scratchDirectory("past-end").appendingPathComponent("clip.mp4")
        try TestClips.writeVideo(to: url, count: 9, size: PixelSize(width: 32, height: 24), encoding: .h264(frameRate: Rational(30, 1)))
        for start in [0.5, 100, 1e18, 1e300] {
            let reader = try FrameReader(path: url.path, options: ReadOptions(start: start))
            XCTAssertEqual(try reader.nextBatch(10).count, 0, "start \(start)")
            let error = reader.nothingDeliveredError(path: url.path)
            XCTAssertEqual(error.kind, .usage, "start \(start)")
            XCTAssertTrue(error.message.contains("--start \(start) s is past the end"), error.message)
        }
        // A window between two frames (30 fps) selects nothing either, and says so.
        let between = try FrameReader(path: url.path, options: ReadOptions(start: 0.05, duration: 0.001))
        XCTAssertEqual(try between.nextBatch(10).count, 0)
        XCTAssertEqual(between.nothingDeliveredError(path: url.path).kind, .usage)
        XCTAssertTrue(between.nothingDeliveredError(path: url.path).message.contains("--duration 0.001 s selects no frame"))
        // The last frame (0.267 s) is still delivered; an undecodable clip stays "no frame could be decoded".
        XCTAssertEqual(try FrameReader(path: url.path, options: ReadOptions(start: 0.26)).nextBatch(10).map(\.index), [8])
        let empty = try FrameReader(path: url.path)
        XCTAssertEqual(empty.nothingDeliveredError(path: url.path), .noDecodableFrames(path: url.path, decodeErrors: 0))
    }

    /// `decoderNiceIncrement`: FFmpeg's decoder threads start at that many nice levels below the opening
    /// thread, which keeps its own; the frames are the same.
    func testDecoderThreadsStartAtTheRequestedLowerPriority() throws {
        let url = try TestPaths.scratchDirectory("priority").appendingPathComponent("clip.mp4")
        try TestClips.writeVideo(to: url, count: 12, size: PixelSize(width: 64, height: 48), encoding: .h264(frameRate: Rational(30, 1)))
        let which = __priority_which_t(PRIO_PROCESS.rawValue), own = getpriority(which, 0)
        /// How many of this process's threads run at `nice`.
        func threads(at nice: Int32) throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").filter { getpriority(which, id_t($0)!) == nice }.count
        }
        let lowered = min(own + 7, 19), before = try threads(at: lowered)
        let reader = try FrameReader(path: url.path, options: ReadOptions(decoderThreads: 2, decoderNiceIncrement: 7))
        XCTAssertGreaterThanOrEqual(try threads(at: lowered) - before, 2, "two frame threads at the lower priority")
        XCTAssertEqual(getpriority(which, 0), own, "the opening thread keeps its priority")
        XCTAssertEqual(try reader.nextBatch(100).map(\.pixels), try FrameReader(path: url.path).nextBatch(100).map(\.pixels))
    }

    func testStillImagesDecodeAsOneFrame() throws {
        let directory = try TestPaths.scratchDirectory("still")
        let frame = TestClips.pattern(index: 3, width: 31, height: 19)
        try ImageEncoder(format: .png).write(frame, to: directory.appendingPathComponent("still.png"))
        // JPEG is lossy: check it on a smooth picture, where best quality must stay within a few levels.
        var smoothPixels: [UInt8] = []
        for index in 0..<(32 * 16) { smoothPixels += [UInt8(index % 32 * 8), UInt8(index / 32 * 16), 128] }
        let smooth = Frame(index: 0, time: 0, width: 32, height: 16, pixels: smoothPixels)
        try ImageEncoder(format: .jpeg).write(smooth, to: directory.appendingPathComponent("still.jpg"))
        let png = try FrameReader(path: directory.appendingPathComponent("still.png").path).nextBatch(10)
        XCTAssertEqual(png.map(\.pixels), [frame.pixels])
        let jpeg = try FrameReader(path: directory.appendingPathComponent("still.jpg").path).nextBatch(10)
        XCTAssertEqual(jpeg.count, 1)
        let totalError: Int = zip(jpeg[0].pixels, smooth.pixels).map { (decoded: UInt8, source: UInt8) -> Int in abs(Int(decoded) - Int(source)) }.reduce(0, +)
        let meanError = Double(totalError) / Double(smooth.pixels.count)
        XCTAssertLessThan(meanError, 6, "JPEG at best quality stays close to the source")
    }

    func testCorruptMiddleIsCountedAndTheRestDecodes() throws {
        let directory = try TestPaths.scratchDirectory("corrupt")
        let clean = directory.appendingPathComponent("clean.mp4")
        // Keyframe every 10 frames so decoding recovers after the damage.
        let encoding = VideoEncoding(frameRate: Rational(30, 1), options: ["preset": "veryfast", "crf": "20", "g": "10"])
        try TestClips.writeVideo(to: clean, count: 60, size: PixelSize(width: 128, height: 96), encoding: encoding)
        var bytes = try Data(contentsOf: clean)
        // The moov box is at the end; damage a stretch of the media data in the middle.
        let start = bytes.count * 2 / 5
        for offset in start..<(start + bytes.count / 10) { bytes[offset] = UInt8(truncatingIfNeeded: offset &* 131) }
        let corrupt = directory.appendingPathComponent("corrupt.mp4")
        try bytes.write(to: corrupt)

        let reader = try FrameReader(path: corrupt.path)
        var frames: [Frame] = []
        while let frame = try reader.next() { frames.append(frame) }
        XCTAssertGreaterThan(reader.decodeErrorCount, 0, "damage is reported")
        XCTAssertGreaterThan(frames.count, 30, "frames after the damage still decode")
        XCTAssertEqual(frames.last?.index, frames.count - 1)
    }

    func testBadInputsThrowTypedErrors() throws {
        let directory = try TestPaths.scratchDirectory("bad")
        XCTAssertThrowsError(try FrameReader(path: directory.appendingPathComponent("missing.mp4").path)) {
            XCTAssertEqual(($0 as? VideoError)?.kind, .missingInput)
        }
        XCTAssertThrowsError(try FrameReader(path: directory.path)) { XCTAssertEqual(($0 as? VideoError)?.kind, .missingInput) }
        let random = directory.appendingPathComponent("random.mp4")
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }).write(to: random)
        XCTAssertThrowsError(try FrameReader(path: random.path)) { XCTAssertEqual(($0 as? VideoError)?.kind, .badInput) }
        XCTAssertThrowsError(try FrameReader(path: random.path, options: ReadOptions(every: 0))) {
            XCTAssertEqual(($0 as? VideoError)?.kind, .usage)
        }
    }
}

private func == (lhs: (r: UInt8, g: UInt8, b: UInt8), rhs: (r: UInt8, g: UInt8, b: UInt8)) -> Bool {
    lhs.r == rhs.r && lhs.g == rhs.g && lhs.b == rhs.b
}

/// Opening inputs that fail half-way releases what was opened.
final class FrameReaderResourceTests: XCTestCase {
    /// An audio-only file opens (the demuxer and its file descriptor) and then fails for lack of a
    /// video stream: a reader that threw must have closed the input again.
    func testFailedOpenClosesTheInput() throws {
        let url = try TestPaths.temporaryDirectory(self).appendingPathComponent("tone.m4a")
        try TestClips.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=0.2", "-c:a", "aac", url.path])
        func openDescriptors() throws -> Int { try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count }
        let before = try openDescriptors()
        for _ in 0..<40 {
            XCTAssertThrowsError(try FrameReader(path: url.path)) { error in
                XCTAssertEqual(error as? VideoError, .noVideoStream(path: url.path))
            }
        }
        XCTAssertLessThan(try openDescriptors() - before, 5, "each failed open left its input file open")
    }

    /// A header that declares an absurd frame size is refused before any frame buffer is allocated.
    func testAbsurdDeclaredFrameSizeIsRefused() throws {
        let directory = try TestPaths.temporaryDirectory(self)
        let url = directory.appendingPathComponent("huge.nut")
        // 20000×16 raw frames: within FFmpeg's own limits, beyond SteerLens' 16384-pixel side.
        try TestClips.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "color=c=gray:size=20000x16:rate=1", "-frames:v", "1",
                                     "-c:v", "rawvideo", "-pix_fmt", "gray", url.path])
        XCTAssertThrowsError(try FrameReader(path: url.path)) { error in
            guard case .notAVideo(_, let reason) = error as? VideoError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("20000x16"), reason)
        }
    }
}
