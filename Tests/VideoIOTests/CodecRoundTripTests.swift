import XCTest
import TestSupport
@testable import VideoIO
import SteerLensSupport

/// The in-memory encode–decode round trip (`jpeg:Q` and `h264:CRF` transforms) gives the bytes of
/// writing the file with ``ImageEncoder`` / ``VideoWriter`` and reading it back with ``FrameReader``.
final class CodecRoundTripTests: XCTestCase {
    /// A frame with gradients, a square and noise: sharp and smooth areas for the encoders to quantise.
    private func frame(width: Int, height: Int, seed: UInt64) -> Frame {
        var frame = TestClips.pattern(index: Int(seed), width: width, height: height)
        var random = SeededRandom(seed: seed)
        for index in stride(from: 0, to: frame.pixels.count, by: 5) { frame.pixels[index] &+= UInt8(random.next() % 24) }
        return frame
    }

    func testJPEGEqualsWritingTheFileAndReadingItBack() throws {
        let folder = try TestPaths.scratchDirectory("roundtrip-jpeg")
        // Odd sizes and sizes that are no multiple of the 16×16 macroblock.
        for (width, height) in [(64, 48), (37, 23), (200, 66), (322, 181)] {
            for quality in [2, 16, 31] {
                let input = frame(width: width, height: height, seed: UInt64(width + quality))
                let url = folder.appendingPathComponent("\(width)x\(height)-\(quality).jpg")
                try ImageEncoder(format: .jpeg, jpegQuality: quality).write(input, to: url)
                let fromFile = try XCTUnwrap(try FrameReader(path: url.path, options: ReadOptions(decoderThreads: 1)).next())
                let inMemory = try CodecRoundTrip.jpeg(input.pixels, width: width, height: height, quality: quality)
                XCTAssertEqual(inMemory.count, width * height * 3)
                XCTAssertTrue(inMemory == fromFile.pixels, "\(width)x\(height) qscale \(quality): pixels differ from the file's")
                XCTAssertFalse(inMemory == input.pixels, "\(width)x\(height) qscale \(quality): JPEG returned the input unchanged")
            }
        }
    }

    func testH264EqualsWritingTheFileAndReadingItBack() throws {
        let folder = try TestPaths.scratchDirectory("roundtrip-h264")
        for (width, height) in [(64, 48), (200, 66), (322, 182)] {
            for crf in [0, 30, 51] {
                let input = frame(width: width, height: height, seed: UInt64(width * 3 + crf))
                let url = folder.appendingPathComponent("\(width)x\(height)-\(crf).mp4")
                let writer = try VideoWriter(url: url, size: PixelSize(width: width, height: height), encoding: .h264(crf: crf))
                try writer.write(input)
                try writer.finish()
                let fromFile = try XCTUnwrap(try FrameReader(path: url.path, options: ReadOptions(decoderThreads: 1)).next())
                let inMemory = try CodecRoundTrip.h264(input.pixels, width: width, height: height, crf: crf)
                XCTAssertEqual(inMemory.count, width * height * 3)
                XCTAssertTrue(inMemory == fromFile.pixels, "\(width)x\(height) CRF \(crf): pixels differ from the file's")
            }
        }
    }

    /// Threads of a stress run each make their own round trips at once.
    func testConcurrentRoundTripsAgree() throws {
        let input = frame(width: 96, height: 64, seed: 3)
        let jpeg = try CodecRoundTrip.jpeg(input.pixels, width: 96, height: 64, quality: 8)
        let h264 = try CodecRoundTrip.h264(input.pixels, width: 96, height: 64, crf: 35)
        let results = ThreadResults(count: 8)
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            let result = index % 2 == 0 ? try? CodecRoundTrip.jpeg(input.pixels, width: 96, height: 64, quality: 8)
                                        : try? CodecRoundTrip.h264(input.pixels, width: 96, height: 64, crf: 35)
            results.set(index, result)
        }
        for index in 0..<8 { XCTAssertEqual(results.get(index), index % 2 == 0 ? jpeg : h264, "thread \(index)") }
    }
}

/// Results written by concurrent threads, one slot each.
private final class ThreadResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [[UInt8]?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: [UInt8]?) { lock.withLock { slots[index] = value } }
    func get(_ index: Int) -> [UInt8]? { lock.withLock { slots[index] } }
}
