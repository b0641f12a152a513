import DemoData
import Foundation
import VideoIO
import XCTest

/// Acceptance 1: the generator reproduces the committed clip, labels and masks bit for bit.
///
/// The encoder settings are causal (no lookahead, no macroblock tree, no B-frames, fixed GOP, one
/// thread, see ``DemoClip/encoding(crf:)``), so encoding the first frames alone gives exactly the first
/// frames of the full clip; the test regenerates 1.5 s rather than the whole 45 s.
final class ReproducibilityTests: XCTestCase {
    static let frames = 45

    func testRegeneratedPrefixMatchesCommittedClipLabelsAndMasks() throws {
        let directory = try DemoPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var options = DemoClip.Options()
        options.frameLimit = Self.frames
        try DemoClip.write(options: options, to: directory)

        // Labels: the same text, row for row.
        let committed = try String(contentsOf: DemoPaths.labels, encoding: .utf8).split(separator: "\n")
        let fresh = try String(contentsOf: directory.appendingPathComponent("labels.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(committed.count, DemoClip.frameCount(seconds: 45) + 1)
        XCTAssertEqual(Array(fresh), Array(committed.prefix(Self.frames + 1)))

        // Masks: identical pixels (PNG bytes depend on the libavcodec encoder's settings, pixels do not).
        for name in ["000000.png", "000030.png"] {
            let committedMask = try XCTUnwrap(try FrameReader(path: DemoPaths.demo.appendingPathComponent("masks/\(name)").path).next())
            let freshMask = try XCTUnwrap(try FrameReader(path: directory.appendingPathComponent("masks/\(name)").path).next())
            XCTAssertEqual(committedMask.pixels, freshMask.pixels, "mask \(name) differs")
            XCTAssertTrue(committedMask.pixels.allSatisfy { $0 == 0 || $0 == 255 })
            XCTAssertGreaterThan(committedMask.pixels.filter { $0 == 255 }.count, 3 * 2000, "mask \(name) has few lane pixels")
        }

        // Frames: the committed clip's decoded frames equal the fresh encode's, bit for bit, and both are
        // close to the rendered frames (the encode is lossy, the rendering is the ground truth).
        let committedReader = try FrameReader(path: DemoPaths.clip.path, options: ReadOptions(maxFrames: Self.frames))
        let freshReader = try FrameReader(path: directory.appendingPathComponent("drive.mp4").path, options: ReadOptions(maxFrames: Self.frames))
        let renderer = SceneRenderer(plan: RoadPlan(seed: DemoClip.defaultSeed, seconds: 45), size: PixelSize(width: 640, height: 360))
        var compared = 0
        while let old = try committedReader.next() {
            let new = try XCTUnwrap(try freshReader.next())
            XCTAssertEqual(old.index, new.index)
            if old.pixels != new.pixels {
                let differing = zip(old.pixels, new.pixels).filter { $0 != $1 }.count
                XCTFail("frame \(old.index): \(differing) bytes differ between the committed clip and the fresh encode")
            }
            if old.index % 15 == 0 {
                let rendered = renderer.render(index: old.index).frame
                XCTAssertGreaterThan(Self.psnr(rendered.pixels, old.pixels), 30, "frame \(old.index) does not look like the rendered scene")
            }
            compared += 1
        }
        XCTAssertEqual(compared, Self.frames)
    }

    func testRenderingIsDeterministicAndSeedDependent() {
        let size = PixelSize(width: 160, height: 90)
        let first = SceneRenderer(plan: RoadPlan(seed: 3, seconds: 10), size: size).render(index: 42)
        let again = SceneRenderer(plan: RoadPlan(seed: 3, seconds: 60), size: size).render(index: 42)
        let other = SceneRenderer(plan: RoadPlan(seed: 4, seconds: 10), size: size).render(index: 42)
        XCTAssertEqual(first.frame.pixels, again.frame.pixels, "a longer clip must extend the same drive")
        XCTAssertEqual(first.laneMask, again.laneMask)
        XCTAssertEqual(first.state.steering, again.state.steering)
        XCTAssertNotEqual(first.frame.pixels, other.frame.pixels)
    }

    static func psnr(_ a: [UInt8], _ b: [UInt8]) -> Double {
        var squared = 0.0
        for index in a.indices {
            let difference = Double(a[index]) - Double(b[index])
            squared += difference * difference
        }
        let mse = squared / Double(a.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }
}
