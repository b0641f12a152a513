import Foundation
import TestSupport
import VideoIO
import XCTest

/// `steerlens probe --count` must report what `ffprobe -count_frames` reports, for every kind of input
/// users bring. The inputs are made here with the project's writers (libavcodec encoders) and, for
/// audio tracks, the `ffmpeg` CLI.
final class ProbeCommandTests: XCTestCase {
    struct ProbeOutput: Decodable {
        struct Info: Decodable {
            let width: Int
            let height: Int
            let rotation: Int
            let displayWidth: Int
            let displayHeight: Int
            let codec: String
            let frameRate: Rational
            let averageFrameRate: Rational
        }
        let info: Info
        let decodedFrames: Int?
        let decodeErrors: Int?
        let droppedFrames: Int?
    }

    static let directory: URL = try! TestPaths.scratchDirectory("probe")

    func probe(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> ProbeOutput {
        let result = try SteerLensBinary.run("probe", path, "--count", "--json")
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        return try JSONDecoder().decode(ProbeOutput.self, from: Data(result.stdout.utf8))
    }

    /// Probes `path` with both tools and compares size, rates and the decoded frame count.
    func assertMatchesFFprobe(_ path: String, frames expectedFrames: Int? = nil, ffprobeOptions: [String] = [],
                              file: StaticString = #filePath, line: UInt = #line) throws {
        let ours = try probe(path, file: file, line: line)
        let reference = try FFprobeStream.probe(path, inputOptions: ffprobeOptions)
        XCTAssertEqual(ours.info.width, reference.width, "width", file: file, line: line)
        XCTAssertEqual(ours.info.height, reference.height, "height", file: file, line: line)
        XCTAssertEqual(ours.info.frameRate.description, reference.r_frame_rate, "r_frame_rate", file: file, line: line)
        XCTAssertEqual(ours.info.averageFrameRate.description, reference.avg_frame_rate, "avg_frame_rate", file: file, line: line)
        XCTAssertEqual(ours.decodedFrames.map(String.init), reference.nb_read_frames, "frame count", file: file, line: line)
        if let expectedFrames { XCTAssertEqual(ours.decodedFrames, expectedFrames, "frames written", file: file, line: line) }
    }

    func testH264MP4WithAudio() throws {
        let silent = Self.directory.appendingPathComponent("silent.mp4")
        try TestClips.writeVideo(to: silent, count: 45, size: PixelSize(width: 160, height: 90), encoding: .h264(frameRate: Rational(30000, 1001)))
        let withAudio = Self.directory.appendingPathComponent("with-audio.mp4")
        try TestClips.run("ffmpeg", ["-v", "error", "-y", "-i", silent.path, "-f", "lavfi", "-i", "sine=frequency=440:duration=3",
                                     "-c:v", "copy", "-c:a", "aac", "-shortest", withAudio.path])
        try assertMatchesFFprobe(withAudio.path, frames: 45)
        XCTAssertEqual(try probe(withAudio.path).info.codec, "h264")
    }

    func testH265MKV() throws {
        let url = Self.directory.appendingPathComponent("hevc.mkv")
        try TestClips.writeVideo(to: url, count: 20, size: PixelSize(width: 128, height: 72),
                                 encoding: VideoEncoding(encoder: "libx265", frameRate: Rational(25, 1), options: ["preset": "ultrafast", "x265-params": "log-level=none"]))
        try assertMatchesFFprobe(url.path, frames: 20)
        XCTAssertEqual(try probe(url.path).info.codec, "hevc")
    }

    func testMPEG4PartTwoAVI() throws {
        let url = Self.directory.appendingPathComponent("mpeg4.avi")
        try TestClips.writeVideo(to: url, count: 15, size: PixelSize(width: 96, height: 64),
                                 encoding: VideoEncoding(encoder: "mpeg4", frameRate: Rational(15, 1), options: [:]))
        try assertMatchesFFprobe(url.path, frames: 15)
        XCTAssertEqual(try probe(url.path).info.codec, "mpeg4")
    }

    func testVariableFrameRateClip() throws {
        let url = Self.directory.appendingPathComponent("vfr.mkv")
        // Irregular gaps of 30, 30 and 60 ms.
        var times: [Double] = [0]
        for index in 1..<24 { times.append(times[index - 1] + (index % 3 == 0 ? 0.06 : 0.03)) }
        try TestClips.writeVideo(to: url, count: 24, size: PixelSize(width: 64, height: 48),
                                 encoding: VideoEncoding(frameRate: Rational(30, 1), variableFrameRate: true), times: times)
        try assertMatchesFFprobe(url.path, frames: 24)
        let frames = try FrameReader(path: url.path).nextBatch(100)
        XCTAssertEqual(frames.map(\.time), times.map { ($0 * 1000).rounded() / 1000 }, "frame times follow the container's timestamps")
    }

    func testRotatedPhoneClip() throws {
        let url = Self.directory.appendingPathComponent("phone.mp4")
        try TestClips.writeVideo(to: url, count: 10, size: PixelSize(width: 96, height: 64),
                                 encoding: VideoEncoding(frameRate: Rational(30, 1), rotation: -90))
        try assertMatchesFFprobe(url.path, frames: 10)
        let output = try probe(url.path)
        XCTAssertEqual(output.info.rotation, -90)
        XCTAssertEqual([output.info.displayWidth, output.info.displayHeight], [64, 96])
        let rotation = try TestClips.run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream_side_data=rotation",
                                                     "-of", "default=nw=1:nk=1", url.path])
        XCTAssertEqual(rotation.trimmingCharacters(in: .whitespacesAndNewlines), "-90", "ffprobe sees the same rotation")
    }

    func testStillImagesAndImageSequence() throws {
        let frame = TestClips.pattern(index: 1, width: 50, height: 40)
        let png = Self.directory.appendingPathComponent("still.png"), jpeg = Self.directory.appendingPathComponent("still.jpg")
        try ImageEncoder(format: .png).write(frame, to: png)
        try ImageEncoder(format: .jpeg).write(frame, to: jpeg)
        try assertMatchesFFprobe(png.path, frames: 1)
        try assertMatchesFFprobe(jpeg.path, frames: 1)

        let sequence = Self.directory.appendingPathComponent("sequence")
        let encoder = try ImageEncoder()
        for index in 0..<12 {
            try encoder.write(TestClips.pattern(index: index, width: 40, height: 30), to: sequence.appendingPathComponent(String(format: "%06d.png", index)))
        }
        // Image sequences run at 30 frames per second unless --fps says otherwise (FFmpeg's default is 25).
        try assertMatchesFFprobe(sequence.appendingPathComponent("%06d.png").path, frames: 12, ffprobeOptions: ["-framerate", "30"])
        // Numbered from 5801: FFmpeg needs -start_number, SteerLens finds it.
        let late = Self.directory.appendingPathComponent("late-sequence")
        for index in 0..<7 {
            try encoder.write(TestClips.pattern(index: index, width: 40, height: 30), to: late.appendingPathComponent("\(5801 + index)_cam-image_array_.png"))
        }
        try assertMatchesFFprobe(late.appendingPathComponent("%d_cam-image_array_.png").path, frames: 7,
                                 ffprobeOptions: ["-framerate", "30", "-start_number", "5801"])
    }

    func testRealDashcamClips() throws {
        for (name, frames) in [("udacity-solidWhiteRight.mp4", 221), ("udacity-test_video.mp4", 38)] {
            try assertMatchesFFprobe(try TestPaths.shared("clips/\(name)").path, frames: frames)
        }
    }

    func testTextOutputNamesTheEssentials() throws {
        let url = Self.directory.appendingPathComponent("text.mp4")
        try TestClips.writeVideo(to: url, count: 5, size: PixelSize(width: 64, height: 32), encoding: .h264(frameRate: Rational(25, 1)))
        let result = try SteerLensBinary.run("probe", url.path)
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("size:       64x32"), result.stdout)
        XCTAssertTrue(result.stdout.contains("frame rate: 25 fps"), result.stdout)
        XCTAssertTrue(result.stdout.contains("5 declared"), result.stdout)
    }

    /// Several inputs: one report each, in order (a JSON array), and the first unreadable one ends the run.
    func testSeveralInputsAreReportedInOrder() throws {
        let sizes = [PixelSize(width: 64, height: 32), PixelSize(width: 97, height: 61)]
        let urls = try sizes.enumerated().map { index, size -> URL in
            let url = Self.directory.appendingPathComponent("several-\(index).mkv")
            try TestClips.writeVideo(to: url, count: 3 + index, size: size,
                                     encoding: VideoEncoding(encoder: "ffv1", pixelFormat: "yuv444p", frameRate: Rational(25, 1), options: [:]))
            return url
        }
        let result = try SteerLensBinary.run(["probe", "--count", "--json"] + urls.map(\.path))
        XCTAssertEqual(result.status, 0, result.stderr)
        struct Report: Decodable { struct Info: Decodable { let width: Int; let path: String }; let info: Info; let decodedFrames: Int }
        let reports = try JSONDecoder().decode([Report].self, from: Data(result.stdout.utf8))
        XCTAssertEqual(reports.map(\.info.path), urls.map(\.path))
        XCTAssertEqual(reports.map(\.info.width), [64, 97])
        XCTAssertEqual(reports.map(\.decodedFrames), [3, 4])

        let text = try SteerLensBinary.run(["probe"] + urls.map(\.path))
        XCTAssertEqual(text.stdout.components(separatedBy: "input:").count - 1, 2, text.stdout)
        let missing = try SteerLensBinary.run(["probe", urls[0].path, Self.directory.appendingPathComponent("nope.mp4").path])
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertEqual(missing.stdout, "", "nothing printed when an input fails")
    }
}
