import Foundation
import TestSupport
import XCTest
@testable import VideoIO

/// Folders of images (natural order) and printf-style sequences that start at any number.
final class ImageFolderTests: XCTestCase {
    func readAll(_ source: any FrameSource) throws -> [Frame] {
        var frames: [Frame] = []
        while let frame = try source.next() { frames.append(frame) }
        return frames
    }

    func testNaturalOrder() {
        let names = ["frame_10.png", "frame_2.png", "frame_1.png", "Frame_3.png", "frame_02.png", "a.png", "frame_100.jpg", "frame_9b.png"]
        XCTAssertEqual(names.sorted(by: NaturalOrder.precedes),
                       ["Frame_3.png", "a.png", "frame_1.png", "frame_02.png", "frame_2.png", "frame_9b.png", "frame_10.png", "frame_100.jpg"])
        XCTAssertTrue(NaturalOrder.precedes("img9", "img10"))
        XCTAssertFalse(NaturalOrder.precedes("img10", "img9"))
        XCTAssertTrue(NaturalOrder.precedes("tub_2_21-06-01", "tub_10_21-05-01"))
    }

    /// frame_1 … frame_11 written in PNG and JPEG, plus a text file: read frame_2 before frame_10, at 30 fps
    /// by default and at `--fps` when given.
    func testFolderIsReadInNaturalOrder() throws {
        let folder = try TestPaths.temporaryDirectory(self).appendingPathComponent("frames")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let png = try ImageEncoder(format: .png), jpeg = try ImageEncoder(format: .jpeg)
        for k in 1...11 {
            let frame = TestDatasets.grey(k - 1)
            if k % 2 == 0 { try jpeg.write(frame, to: folder.appendingPathComponent("frame_\(k).jpg")) } else { try png.write(frame, to: folder.appendingPathComponent("frame_\(k).png")) }
        }
        try "notes".write(to: folder.appendingPathComponent("README.txt"), atomically: true, encoding: .utf8)
        let source = try FrameSources.open(folder.path)
        XCTAssertEqual(source.info.container, "image-folder")
        let frames = try readAll(source)
        XCTAssertEqual(frames.map(TestDatasets.greyIndex), Array(0..<11), "frame_2 before frame_10")
        XCTAssertEqual(frames.map(\.index), Array(0..<11))
        XCTAssertEqual(frames.map(\.time), (0..<11).map { Double($0) / 30 }, accuracy: 1e-12)
        XCTAssertEqual(source.info.frameRate, Rational(30, 1))
        XCTAssertEqual(source.timing, "default 30 fps (image folder; --fps sets it)")
        let paced = try FrameSources.open(folder.path, options: ReadOptions(framesPerSecond: 12.5))
        XCTAssertEqual(try readAll(paced).map(\.time), (0..<11).map { Double($0) / 12.5 }, accuracy: 1e-12)
        XCTAssertEqual(paced.info.frameRate, Rational(25, 2))
        XCTAssertNil(paced.dataset?.labelField, "a folder records no labels")
    }

    func testFolderWithoutImagesIsBadInput() throws {
        let folder = try TestPaths.temporaryDirectory(self)
        try "x".write(to: folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try FrameSources.open(folder.path)) { error in
            XCTAssertEqual((error as? VideoError)?.kind, .badInput)
            XCTAssertTrue("\(error)".contains("no images"), "\(error)")
        }
    }

    /// A DonkeyCar v1 tub's images as a pattern starting at 5801, as the user typed it: FFmpeg's
    /// image2 demuxer only looks for a start among 0…4; SteerLens finds it.
    func testSequenceStartingAt5801() throws {
        let folder = try TestPaths.temporaryDirectory(self)
        let encoder = try ImageEncoder(format: .jpeg)
        for k in 0..<6 { try encoder.write(TestDatasets.grey(k), to: folder.appendingPathComponent("\(5801 + k)_cam-image_array_.jpg")) }
        // Neighbours that do not match the pattern's shape are ignored.
        try encoder.write(TestDatasets.grey(9), to: folder.appendingPathComponent("12_cam-image_array_.jpg.bak"))
        let pattern = folder.appendingPathComponent("%d_cam-image_array_.jpg").path
        XCTAssertEqual(ImageSequence.numbers(matching: pattern), Array(5801...5806))
        let source = try FrameSources.open(pattern)
        let frames = try readAll(source)
        XCTAssertEqual(frames.map(TestDatasets.greyIndex), Array(0..<6))
        XCTAssertEqual(frames.map(\.time), (0..<6).map { Double($0) / 30 }, accuracy: 1e-9)
        XCTAssertEqual(source.info.frameRate, Rational(30, 1))
        XCTAssertEqual(source.timing, "default 30 fps (image sequence from number 5801; --fps sets it)")
        let paced = try FrameSources.open(pattern, options: ReadOptions(framesPerSecond: 20))
        XCTAssertEqual(try readAll(paced).map(\.time), (0..<6).map { Double($0) / 20 }, accuracy: 1e-9)
    }

    func testZeroPaddedPatternsMatchOnlyTheirWidth() throws {
        let folder = try TestPaths.temporaryDirectory(self)
        for name in ["000007.png", "000008.png", "9.png", "0000010.png"] {
            try ImageEncoder().write(TestDatasets.grey(1), to: folder.appendingPathComponent(name))
        }
        XCTAssertEqual(ImageSequence.numbers(matching: folder.appendingPathComponent("%06d.png").path), [7, 8])
        XCTAssertEqual(ImageSequence.numbers(matching: folder.appendingPathComponent("%d.png").path), [9])
        XCTAssertEqual(ImageSequence.numbers(matching: folder.appendingPathComponent("100%%_%d.png").path), [])
        XCTAssertEqual(try readAll(try FrameSources.open(folder.appendingPathComponent("%06d.png").path)).count, 2)
    }

    func testFrameRateIsRefusedForVideos() throws {
        let url = try TestPaths.temporaryDirectory(self).appendingPathComponent("clip.mkv")
        try TestClips.writeVideo(to: url, count: 3, size: PixelSize(width: 32, height: 16),
                                 encoding: VideoEncoding(encoder: "ffv1", frameRate: Rational(25, 1), options: [:]))
        XCTAssertThrowsError(try FrameSources.open(url.path, options: ReadOptions(framesPerSecond: 10))) { error in
            XCTAssertEqual((error as? VideoError)?.kind, .usage)
        }
        XCTAssertThrowsError(try FrameSources.open(url.path, options: ReadOptions(framesPerSecond: 0))) { XCTAssertEqual(($0 as? VideoError)?.kind, .usage) }
    }

    /// DonkeyCar pilots take `x / 255` computed outside the network: `scale` applies after colour conversion.
    func testScaleAndOffsetApplyAfterColourConversion() throws {
        let frame = TestClips.pattern(index: 3, width: 8, height: 4)
        let plain = Preprocess(colorSpace: .bgr)
        let scaled = Preprocess(colorSpace: .bgr, scale: try XCTUnwrap(Preprocess.parseFactor("1/255")), offset: -0.5)
        var raw = [Float](repeating: 0, count: 96), mapped = raw
        try raw.withUnsafeMutableBufferPointer { try plain.apply(to: frame, into: $0) }
        try mapped.withUnsafeMutableBufferPointer { try scaled.apply(to: frame, into: $0) }
        for (value, result) in zip(raw, mapped) { XCTAssertEqual(result, value * Float(1.0 / 255.0) - 0.5, accuracy: 1e-7) }
        XCTAssertEqual(raw[0], Float(frame.pixels[2]), "BGR first, then the scale")
        XCTAssertNil(Preprocess.parseFactor("1/0"))
        XCTAssertNil(Preprocess.parseFactor("a/255"))
        XCTAssertEqual(Preprocess.parseFactor("0.5"), 0.5)
    }
}
