import Foundation
import SteerLensSupport
import TestSupport
import VideoIO
import XCTest

/// Bad input never crashes: one line on stderr saying what is wrong and what to do, a distinct exit
/// code, nothing on stdout, and no output written.
final class BadInputTests: XCTestCase {
    static let directory: URL = try! TestPaths.scratchDirectory("bad-input")
    /// 60 frames of H.264 with a keyframe every 10 frames.
    static let clip: URL = {
        let url = directory.appendingPathComponent("clip.mp4")
        let encoding = VideoEncoding(frameRate: Rational(30, 1), options: ["preset": "veryfast", "crf": "20", "g": "10"])
        try! TestClips.writeVideo(to: url, count: 60, size: PixelSize(width: 128, height: 96), encoding: encoding)
        return url
    }()

    /// Runs `steerlens` and checks the exit code and the one-line diagnostic.
    @discardableResult
    func assertFails(_ arguments: [String], exitCode: Int32, mentioning fragment: String,
                     file: StaticString = #filePath, line: UInt = #line) throws -> Command.Result {
        let result = try SteerLensBinary.run(arguments)
        XCTAssertEqual(result.status, exitCode, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stdout, "", "nothing on stdout", file: file, line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "exactly one line: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("steerlens: "), result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains("hint: "), result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(fragment), "'\(fragment)' in \(result.stderr)", file: file, line: line)
        XCTAssertFalse(result.stderr.contains("Fatal error"), file: file, line: line)
        return result
    }

    func path(_ name: String) -> String { Self.directory.appendingPathComponent(name).path }

    func testMissingFile() throws {
        try assertFails(["probe", path("nope.mp4")], exitCode: 66, mentioning: "does not exist")
    }

    /// A folder is read as a DonkeyCar tub or a folder of images; one with neither is bad input.
    func testDirectoryWithoutImages() throws {
        let folder = Self.directory.appendingPathComponent("no-images")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("notes".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        try assertFails(["probe", folder.path], exitCode: 65, mentioning: "holds no images")
    }

    func testEmptyFile() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: path("empty.mp4"), contents: Data()))
        try assertFails(["probe", path("empty.mp4")], exitCode: 65, mentioning: "empty")
    }

    /// Seeded bytes: FFmpeg's probe reads some random files as a format without video (one run's bytes
    /// were taken for LRC subtitles: "has no video stream", also exit 65), so the test pins its bytes.
    func testRandomBytesNamedMP4() throws {
        var generator = SeededRandom(seed: 20261203)
        try Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: path("random.mp4")))
        try assertFails(["probe", path("random.mp4")], exitCode: 65, mentioning: "not a video")
    }

    func testMP4TruncatedAtHalf() throws {
        let bytes = try Data(contentsOf: Self.clip)
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path("truncated.mp4")))
        // The index (moov) sits at the end of an MP4 written in one pass, so half a file is unreadable.
        try assertFails(["probe", "--count", path("truncated.mp4")], exitCode: 65, mentioning: "truncated.mp4")
        try assertFails(["frames", path("truncated.mp4"), "--out", path("truncated-out")], exitCode: 65, mentioning: "truncated.mp4")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("truncated-out")), "no output written")
    }

    func testFastStartMP4TruncatedAtHalfDecodesWhatIsThere() throws {
        // With the index first (as streaming encoders write), the first half stays decodable.
        let fastStart = path("faststart.mp4")
        try TestClips.run("ffmpeg", ["-v", "error", "-y", "-i", Self.clip.path, "-c", "copy", "-movflags", "+faststart", fastStart])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fastStart))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path("faststart-half.mp4")))
        let result = try SteerLensBinary.run("probe", "--count", "--json", path("faststart-half.mp4"))
        XCTAssertEqual(result.status, 0, result.stderr)
        struct Counts: Decodable { let decodedFrames: Int; let droppedFrames: Int }
        let counts = try JSONDecoder().decode(Counts.self, from: Data(result.stdout.utf8))
        XCTAssertGreaterThan(counts.decodedFrames, 10)
        XCTAssertLessThan(counts.decodedFrames, 60)
        XCTAssertEqual(counts.droppedFrames, 60 - counts.decodedFrames, "frames the container declares but the data lacks are reported")
    }

    func testCorruptedMiddleDecodesTheRestAndReportsDamage() throws {
        var bytes = try Data(contentsOf: Self.clip)
        let start = bytes.count * 2 / 5
        for offset in start..<(start + bytes.count / 10) { bytes[offset] = UInt8(truncatingIfNeeded: offset &* 131) }
        try bytes.write(to: URL(fileURLWithPath: path("corrupt.mp4")))
        let result = try SteerLensBinary.run("probe", "--count", path("corrupt.mp4"))
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("decode errors"), result.stdout)
        let exported = try SteerLensBinary.run("frames", path("corrupt.mp4"), "--out", path("corrupt-frames"), "--resize", "32x24")
        XCTAssertEqual(exported.status, 0, exported.stderr)
        XCTAssertTrue(exported.stderr.contains("decode errors"), exported.stderr)
        let written = try FileManager.default.contentsOfDirectory(atPath: path("corrupt-frames"))
        XCTAssertGreaterThan(written.count, 30, "frames after the damage are written")
    }

    func testAudioOnlyFile() throws {
        try TestClips.run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=300:duration=1", "-c:a", "aac", path("audio.m4a")])
        try assertFails(["probe", path("audio.m4a")], exitCode: 65, mentioning: "no video stream")
    }

    func testUnwritableOutput() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: path("a-file"), contents: Data("x".utf8)))
        try assertFails(["frames", Self.clip.path, "--out", path("a-file") + "/frames"], exitCode: 73, mentioning: "is a file, not a directory")
    }

    func testRefusesToOverwriteWithoutBeingAsked() throws {
        let out = path("existing")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: out + "/keep.txt", contents: Data("mine".utf8)))
        try assertFails(["frames", Self.clip.path, "--out", out, "--max-frames", "2"], exitCode: 73, mentioning: "--overwrite")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), ["keep.txt"], "nothing lost")
        let replaced = try SteerLensBinary.run("frames", Self.clip.path, "--out", out, "--max-frames", "2", "--overwrite")
        XCTAssertEqual(replaced.status, 0, replaced.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).sorted(), ["000000.png", "000001.png"])
    }

    func testUsageErrorsExit64() throws {
        let result = try SteerLensBinary.run("frames", Self.clip.path, "--out", path("x"), "--resize", "200by66")
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("--resize takes WIDTHxHEIGHT"), result.stderr)
        let crop = try SteerLensBinary.run("frames", Self.clip.path, "--out", path("y"), "--crop", "0,0,200,0")
        XCTAssertEqual(crop.status, 64, crop.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("y")))
    }
}
