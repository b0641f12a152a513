import Foundation
import TestSupport
import VideoIO
import XCTest

/// Every frame size, pixel format and codec decodes to the pixels `ffmpeg -pix_fmt rgb24` gives for
/// the same clip, without touching memory outside SteerLens' buffers.
///
/// The clips are tiny (two or three frames) and made by the `ffmpeg` CLI here. The reference is
/// `ffmpeg -i CLIP -f rawvideo -pix_fmt rgb24`, which converts with the same libswscale and the same
/// flags, so the comparison is exact, except where noted. `make memcheck` decodes the same clips again
/// under valgrind: libswscale is not instrumented by AddressSanitizer, so only memcheck sees its writes.
final class DecodeSweepTests: XCTestCase {
    /// One generated clip: size, encoder and pixel format, container extension, extra ffmpeg options.
    struct Clip: CustomStringConvertible {
        var width: Int
        var height: Int
        var encoder = "ffv1"
        var pixelFormat = "yuv420p"
        var container = "mkv"
        var extraOptions: [String] = []
        /// The pixel format the decoder reports, when the encoder stores another (mjpeg → yuvj420p).
        var decodedFormat: String?
        var description: String { "\(width)x\(height) \(encoder) \(pixelFormat) .\(container)" }
    }

    /// Widths 2…80 and the awkward ones that crashed or lost columns (packed RGB24 rows that are not
    /// a multiple of libswscale's SIMD block), each with an odd and an even height.
    func testEveryWidthDecodesLikeFFmpeg() throws {
        let widths = Array(2...80) + [97, 121, 200, 202, 426, 642, 854, 1366, 1922]
        let directory = try clipDirectory()
        let clips = widths.flatMap { width in
            [width % 2 == 0 ? 9 : 17, width % 2 == 0 ? 18 : 66].map { Clip(width: width, height: $0) }
        }
        try assertDecodeLikeFFmpeg(clips, in: directory)
    }

    /// The pixel formats users' clips come in, at an odd size and at 426×240.
    func testEveryPixelFormatDecodesLikeFFmpeg() throws {
        let directory = try clipDirectory()
        for (width, height) in [(97, 61), (426, 240)] {
            let clips = [
                Clip(width: width, height: height, pixelFormat: "yuv420p"),
                Clip(width: width, height: height, encoder: "mjpeg", pixelFormat: "yuvj420p", container: "avi"),
                Clip(width: width, height: height, pixelFormat: "yuv422p"),
                Clip(width: width, height: height, pixelFormat: "yuv444p"),
                Clip(width: width, height: height, pixelFormat: "yuv420p10le"),
                Clip(width: width, height: height, pixelFormat: "gray"),
                Clip(width: width, height: height, encoder: "rawvideo", pixelFormat: "nv12", container: "nut"),
                Clip(width: width, height: height, encoder: "png", pixelFormat: "rgb24", container: "mkv"),
                Clip(width: width, height: height, encoder: "gif", pixelFormat: "pal8", container: "gif", decodedFormat: "bgra"),
                Clip(width: width, height: height, encoder: "png", pixelFormat: "pal8", container: "png-sequence"),
            ]
            try assertDecodeLikeFFmpeg(clips, in: directory)
        }
    }

    /// The codecs this machine's FFmpeg encodes, at an even awkward size and at an odd one where the
    /// codec allows it (H.264/HEVC/VP9/MPEG-4 4:2:0 need even sizes).
    func testEveryCodecDecodesLikeFFmpeg() throws {
        let directory = try clipDirectory()
        let quiet = ["-x265-params", "log-level=error"]
        for (width, height) in [(426, 240), (202, 66)] {
            let clips = [
                Clip(width: width, height: height, encoder: "libx264", container: "mp4", extraOptions: ["-preset", "ultrafast"]),
                Clip(width: width, height: height, encoder: "libx265", container: "mp4", extraOptions: ["-preset", "ultrafast"] + quiet),
                Clip(width: width, height: height, encoder: "libvpx-vp9", container: "webm", extraOptions: ["-deadline", "realtime", "-cpu-used", "8"]),
                Clip(width: width, height: height, encoder: "mpeg4", container: "avi"),
                Clip(width: width, height: height, encoder: "mjpeg", pixelFormat: "yuvj420p", container: "avi"),
                Clip(width: width, height: height, encoder: "ffv1", pixelFormat: "yuv420p", container: "mkv"),
                Clip(width: width, height: height, encoder: "prores_ks", pixelFormat: "yuv422p10le", container: "mov"),
            ]
            try assertDecodeLikeFFmpeg(clips, in: directory)
        }
        try assertDecodeLikeFFmpeg([Clip(width: 97, height: 61, encoder: "libx264", pixelFormat: "yuv444p", container: "mp4", extraOptions: ["-preset", "ultrafast"]),
                                    Clip(width: 97, height: 61, encoder: "prores_ks", pixelFormat: "yuv422p10le", container: "mov")], in: directory)
    }

    /// Display rotation (a phone held upright): frames come out upright like `ffmpeg`'s autorotate.
    /// The clips are written by the project's own ``VideoWriter`` (this FFmpeg's CLI cannot tag a
    /// rotation while encoding). 4:4:4 is exact; in 4:2:0 `ffmpeg` turns the chroma planes before it
    /// converts, SteerLens after, so chroma is sampled at other places: a tolerance covers that.
    func testRotatedClipsDecodeLikeFFmpeg() throws {
        let directory = try clipDirectory()
        for rotation in [90, 180, -90] {
            for pixelFormat in ["yuv444p", "yuv420p"] {
                let clip = Clip(width: 202, height: 66, encoder: "libx264", pixelFormat: pixelFormat, container: "mp4")
                let url = directory.appendingPathComponent("rotated\(rotation)-\(pixelFormat).mp4")
                let encoding = VideoEncoding(encoder: "libx264", pixelFormat: pixelFormat, rotation: rotation, options: ["preset": "ultrafast", "crf": "18"])
                try TestClips.writeVideo(to: url, count: 2, size: PixelSize(width: clip.width, height: clip.height), encoding: encoding)
                try assertDecodesLikeFFmpeg(clip, at: url, rotated: rotation, tolerance: pixelFormat == "yuv444p" ? 0 : 48)
            }
        }
    }

    /// A variable-frame-rate clip: every frame arrives, with its own time.
    func testVariableFrameRateClipDecodesEveryFrameAtItsTime() throws {
        let directory = try clipDirectory()
        let clip = Clip(width: 426, height: 240, encoder: "libx264", container: "mkv",
                        extraOptions: ["-preset", "ultrafast", "-vf", "setpts='(N+N*N)/30/TB'", "-fps_mode", "vfr"])
        let url = try generate([clip], frames: 4, in: directory)[0]
        let frames = try assertDecodesLikeFFmpeg(clip, at: url)
        // Matroska stores milliseconds: frame k is at (k + k²)/30 s, rounded to the millisecond.
        XCTAssertEqual(frames.count, 4)
        for (frame, expected) in zip(frames, [0, 2.0 / 30, 6.0 / 30, 12.0 / 30]) { XCTAssertEqual(frame.time, expected, accuracy: 0.0015) }
    }

    /// A stream whose frame size changes half-way (two H.264 transport streams joined byte by byte, as a
    /// recorder that switches resolution writes): every frame is delivered at the one size the reader
    /// declares (the other part is scaled to it), the part of that size exactly as `ffmpeg` decodes
    /// it on its own, and nothing overruns a buffer.
    func testResolutionChangeMidStreamKeepsTheDeclaredSize() throws {
        let directory = try clipDirectory()
        let parts = [Clip(width: 202, height: 66, encoder: "libx264", container: "ts", extraOptions: ["-preset", "ultrafast"]),
                     Clip(width: 426, height: 240, encoder: "libx264", container: "ts", extraOptions: ["-preset", "ultrafast"])]
        let urls = try generate(parts, frames: 3, in: directory)
        let joined = directory.appendingPathComponent("resolution-change-\(UUID().uuidString.prefix(6)).ts")
        try Data(urls.map { try Data(contentsOf: $0) }.joined()).write(to: joined)
        let reader = try FrameReader(path: joined.path)
        let declared = PixelSize(width: reader.info.displayWidth, height: reader.info.displayHeight)
        var frames: [Frame] = []
        while let frame = try reader.next() { frames.append(frame) }
        XCTAssertEqual(frames.count, 6)
        XCTAssertEqual(reader.decodeErrorCount, 0)
        XCTAssertTrue(frames.allSatisfy { PixelSize(width: $0.width, height: $0.height) == declared && $0.pixels.count == declared.width * declared.height * 3 })
        guard let native = parts.firstIndex(where: { $0.width == declared.width && $0.height == declared.height }) else {
            return XCTFail("declared size \(declared) is neither part's")
        }
        let reference = try ffmpegRGB24(of: [urls[native]])[0]
        let delivered = Array(frames[(native * 3)..<(native * 3 + 3)].map(\.pixels).joined())
        XCTAssertTrue(delivered == reference, "the \(declared) part differs from ffmpeg's own decode of it")
    }

    // MARK: Helpers

    /// Where the clips go: a temporary folder, or `STEERLENS_SWEEP_CLIPS` when set, where `make
    /// memcheck` picks them up to decode them again under valgrind.
    private func clipDirectory() throws -> URL {
        guard let kept = ProcessInfo.processInfo.environment["STEERLENS_SWEEP_CLIPS"] else { return try TestPaths.temporaryDirectory(self) }
        let url = URL(fileURLWithPath: kept)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Generates `clips` with one `ffmpeg` run and checks each against `ffmpeg`'s own RGB24 decode.
    private func assertDecodeLikeFFmpeg(_ clips: [Clip], in directory: URL) throws {
        let urls = try generate(clips, frames: 2, in: directory)
        let references = try ffmpegRGB24(of: urls)
        for (clip, (url, reference)) in zip(clips, zip(urls, references)) {
            try assertDecodesLikeFFmpeg(clip, at: url, reference: reference)
        }
    }

    @discardableResult
    private func assertDecodesLikeFFmpeg(_ clip: Clip, at url: URL, rotated rotation: Int = 0, tolerance: Int = 0) throws -> [Frame] {
        let reference = try ffmpegRGB24(of: [url])[0]
        return try assertDecodesLikeFFmpeg(clip, at: url, reference: reference, rotated: rotation, tolerance: tolerance)
    }

    /// Decodes `url` with SteerLens and compares every frame with `reference` (packed RGB24 frames).
    @discardableResult
    private func assertDecodesLikeFFmpeg(_ clip: Clip, at url: URL, reference: [UInt8], rotated rotation: Int = 0, tolerance: Int = 0) throws -> [Frame] {
        let reader = try FrameReader(path: url.path)
        XCTAssertEqual(reader.info.pixelFormat, clip.decodedFormat ?? clip.pixelFormat, "\(clip): ffmpeg stored another pixel format")
        XCTAssertEqual("\(reader.info.width)x\(reader.info.height)", "\(clip.width)x\(clip.height)", "\(clip): ffmpeg stored another size")
        var frames: [Frame] = []
        while let frame = try reader.next() { frames.append(frame) }
        XCTAssertEqual(reader.decodeErrorCount, 0, "\(clip)")
        let swapped = rotation % 180 != 0
        let width = swapped ? clip.height : clip.width, height = swapped ? clip.width : clip.height
        let frameBytes = width * height * 3
        XCTAssertEqual(frames.count, reference.count / frameBytes, "\(clip): frame count")
        for (index, frame) in frames.enumerated() where (index + 1) * frameBytes <= reference.count {
            XCTAssertEqual(frame.width, width, "\(clip)")
            XCTAssertEqual(frame.height, height, "\(clip)")
            let expected = reference[(index * frameBytes)..<((index + 1) * frameBytes)]
            let mismatch = zip(frame.pixels, expected).enumerated().first { abs(Int($0.element.0) - Int($0.element.1)) > tolerance }
            if let mismatch {
                let pixel = mismatch.offset / 3
                XCTFail("\(clip) rotated \(rotation): frame \(index) differs from ffmpeg first at x \(pixel % width), y \(pixel / width): \(mismatch.element.0) vs \(mismatch.element.1)")
            }
        }
        return frames
    }

    /// `ffmpeg -i URL -f rawvideo -pix_fmt rgb24` of every clip (one run), one byte array per clip.
    private func ffmpegRGB24(of urls: [URL]) throws -> [[UInt8]] {
        var arguments = ["-v", "error", "-y"]
        for url in urls { arguments += ["-i", url.path] }
        let directory = try TestPaths.temporaryDirectory(self)
        let outputs = urls.indices.map { directory.appendingPathComponent("reference-\($0).rgb") }
        for (index, output) in outputs.enumerated() {
            arguments += ["-map", "\(index):v:0", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", output.path]
        }
        try TestClips.run("ffmpeg", arguments)
        return try outputs.map { [UInt8](try Data(contentsOf: $0)) }
    }

    /// Makes each clip from ffmpeg's `testsrc2` pattern, scaled so that every size is possible, in one
    /// `ffmpeg` run (clips with their own `-vf` filter are made one at a time).
    private func generate(_ clips: [Clip], frames: Int, in directory: URL) throws -> [URL] {
        var arguments = ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30"]
        let labels = clips.indices.map { "[s\($0)]" }.joined()
        var graph = ["[0:v]split=\(clips.count)\(labels)"]
        var urls: [URL] = []
        for (index, clip) in clips.enumerated() {
            var filter = "scale=\(clip.width):\(clip.height),format=\(clip.pixelFormat)"
            var options = clip.extraOptions
            if let vf = options.firstIndex(of: "-vf") {
                filter += "," + options[vf + 1]
                options.removeSubrange(vf...(vf + 1))
            }
            graph.append("[s\(index)]\(filter)[o\(index)]")
            let name = "\(clip.width)x\(clip.height)-\(clip.encoder)-\(clip.pixelFormat)-\(UUID().uuidString.prefix(6))"
            var output: [String]
            if clip.container == "png-sequence" {
                let folder = directory.appendingPathComponent(name)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                urls.append(folder.appendingPathComponent("%03d.png"))
                output = ["-f", "image2", urls.last!.path]
            } else {
                urls.append(directory.appendingPathComponent("\(name).\(clip.container)"))
                output = [urls.last!.path]
            }
            arguments += ["-map", "[o\(index)]", "-frames:v", "\(frames)"] + options + ["-c:v", clip.encoder, "-pix_fmt", clip.pixelFormat] + output
        }
        try TestClips.run("ffmpeg", arguments[..<7] + ["-filter_complex", graph.joined(separator: ";")] + arguments[7...])
        return urls
    }
}
