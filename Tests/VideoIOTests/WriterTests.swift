import XCTest
import TestSupport
@testable import VideoIO
import SteerLensSupport

/// PNG/JPEG/MP4 writers: files other tools can open, atomic writes, clear errors.
final class WriterTests: XCTestCase {
    func testPNGIsAValidFileOfTheRightSize() throws {
        let url = try TestPaths.scratchDirectory("png").appendingPathComponent("frame.png")
        try ImageEncoder(format: .png).write(TestClips.pattern(index: 0, width: 70, height: 30), to: url)
        let bytes = try Data(contentsOf: url)
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        let stream = try FFprobeStream.probe(url.path)
        XCTAssertEqual(stream.width, 70)
        XCTAssertEqual(stream.height, 30)
    }

    func testH264WriterProducesAPlayableMP4() throws {
        let url = try TestPaths.scratchDirectory("mp4").appendingPathComponent("out.mp4")
        try TestClips.writeVideo(to: url, count: 12, size: PixelSize(width: 64, height: 48), encoding: .h264(frameRate: Rational(24, 1)))
        let stream = try FFprobeStream.probe(url.path)
        XCTAssertEqual(stream.nb_read_frames, "12")
        XCTAssertEqual(stream.avg_frame_rate, "24/1")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        XCTAssertEqual(leftovers, ["out.mp4"], "no temporary file remains")
    }

    func testAbandonedVideoLeavesNoFile() throws {
        let directory = try TestPaths.scratchDirectory("abandoned")
        do {
            let writer = try VideoWriter(url: directory.appendingPathComponent("never.mp4"), size: PixelSize(width: 32, height: 32))
            try writer.write(TestClips.pattern(index: 0, width: 32, height: 32))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }

    func testUnwritableDestinationIsACannotCreateError() throws {
        let directory = try TestPaths.scratchDirectory("unwritable")
        let blocker = directory.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        let target = blocker.appendingPathComponent("frame.png")  // a path below a regular file
        XCTAssertThrowsError(try ImageEncoder().write(TestClips.pattern(index: 0, width: 8, height: 8), to: target)) {
            XCTAssertEqual(($0 as? SteerLensError)?.kind, .cannotCreateOutput)
        }
        XCTAssertThrowsError(try VideoWriter(url: blocker.appendingPathComponent("out.mp4"), size: PixelSize(width: 32, height: 32))) {
            XCTAssertEqual(($0 as? VideoError)?.kind, .cannotCreateOutput)
        }
    }
}
