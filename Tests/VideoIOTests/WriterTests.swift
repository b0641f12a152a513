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

    /// PNGs decode (by FFmpeg, with CRC checking on) to exactly the pixels written, at every size from
    /// one pixel up and at every compression level; each chunk's CRC-32 is also checked here with an
    /// independent implementation.
    func testPNGDecodesToTheWrittenPixels() throws {
        let folder = try TestPaths.scratchDirectory("png-roundtrip")
        var random = SeededRandom(seed: 7)
        let cases: [(width: Int, height: Int, level: Int)] = [(1, 1, 1), (2, 1, 0), (1, 3, 9), (97, 61, 1), (426, 240, 6), (1280, 720, 1)]
        for (width, height, level) in cases {
            // Smooth gradients, noise and flat areas: what overlays hold.
            let pixels = (0..<(width * height * 3)).map { index -> UInt8 in
                let pixel = index / 3, x = pixel % width, y = pixel / width
                return y < height / 3 ? UInt8((x + index % 3 * 40) & 0xFF) : y < 2 * height / 3 ? UInt8(random.next() & 0xFF) : 200
            }
            let url = folder.appendingPathComponent("\(width)x\(height)-\(level).png")
            try ImageEncoder(format: .png, compressionLevel: level).write(pixels, width: width, height: height, to: url)
            let decoded = try TestClips.run("ffmpeg", ["-v", "error", "-err_detect", "crccheck+explode", "-i", url.path,
                                                     "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], binaryOutput: true)
            XCTAssertEqual(decoded.count, pixels.count, "\(width)x\(height) level \(level)")
            XCTAssertTrue(decoded == pixels, "\(width)x\(height) level \(level): decoded pixels differ")
            XCTAssertEqual(try Self.chunkTypesWithValidCRC(Data(contentsOf: url)), ["IHDR", "IDAT", "IEND"], "\(width)x\(height)")
        }
    }

    /// The chunk types of a PNG file, failing on a chunk whose CRC-32 (ISO 3309, bitwise) is wrong.
    static func chunkTypesWithValidCRC(_ file: Data) throws -> [String] {
        let bytes = [UInt8](file)
        var offset = 8, types: [String] = []
        func crc32(_ data: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in data {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return ~crc
        }
        func word(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        while offset + 12 <= bytes.count {
            let length = word(offset)
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            XCTAssertEqual(UInt32(word(offset + 8 + length)), crc32(bytes[(offset + 4)..<(offset + 8 + length)]), "CRC of \(type)")
            types.append(type)
            offset += 12 + length
        }
        XCTAssertEqual(offset, bytes.count, "bytes after the last chunk")
        return types
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
