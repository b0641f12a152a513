import Foundation
import NeuralNet
import Saliency
import VideoIO
import XCTest

/// Acceptance 3: on the frames with lane masks, the trained baseline puts its increase + decrease
/// saliency on lane markings far more than their area would suggest; the same architecture with random
/// (untrained) weights does not.
///
/// Lane share = Σ saliency on lane-marking pixels dilated by 2 px / Σ saliency, both over the frame
/// (maps drawn back onto the frame with ``MapProjection``, 0 outside the crop). Area share = dilated lane
/// pixels / pixels, over the crop the model sees. Ratio = lane share / area share.
final class SaliencySanityTests: XCTestCase {
    func laneRatio(model name: String) throws -> Double {
        let model = try DemoModel(named: name)
        let masksDirectory = DemoPaths.demo.appendingPathComponent("masks")
        let maskFrames = try FileManager.default.contentsOfDirectory(atPath: masksDirectory.path)
            .filter { $0.hasSuffix(".png") }.compactMap { Int($0.dropLast(4)) }.sorted()
        XCTAssertGreaterThanOrEqual(maskFrames.count, 40)
        let wanted = Set(maskFrames)
        let reader = try FrameReader(path: DemoPaths.clip.path)
        var frames: [Frame] = []
        while let frame = try reader.next(), frame.index <= maskFrames.last! {
            if wanted.contains(frame.index) { frames.append(frame) }
        }
        let size = PixelSize(width: frames[0].width, height: frames[0].height)
        let geometry = try model.preprocess.geometry(for: size)
        let projection = MapProjection(geometry: geometry)
        let engine = try SaliencyEngine(model: model.loaded.model, kinds: [.increase, .decrease])

        var laneMass = 0.0, totalMass = 0.0, lanePixels = 0, cropPixels = 0
        for start in stride(from: 0, to: frames.count, by: 16) {
            let chunk = Array(frames[start..<min(start + 16, frames.count)])
            let result = try engine.run(try model.batch(chunk))
            let pixelsPerMap = geometry.outputSize.width * geometry.outputSize.height
            for (item, frame) in chunk.enumerated() {
                let mask = try Self.dilatedMask(frame: frame.index, size: size, radius: 2)
                var combined = [Float](repeating: 0, count: pixelsPerMap)
                for kind in [SaliencyMapKind.increase, .decrease] {
                    let map = result.maps[kind]!.scalars[(item * pixelsPerMap)..<((item + 1) * pixelsPerMap)]
                    for (index, value) in map.enumerated() { combined[index] += value }
                }
                let onFrame = projection.toFrame(combined)
                for y in 0..<size.height {
                    let inCrop = y >= geometry.cropY && y < geometry.cropY + geometry.cropSize.height
                    for x in 0..<size.width {
                        let value = Double(onFrame[y * size.width + x])
                        totalMass += value
                        let lane = mask[y * size.width + x]
                        if lane { laneMass += value }
                        if inCrop, x >= geometry.cropX, x < geometry.cropX + geometry.cropSize.width {
                            cropPixels += 1
                            if lane { lanePixels += 1 }
                        }
                    }
                }
            }
        }
        let ratio = (laneMass / totalMass) / (Double(lanePixels) / Double(cropPixels))
        print("\(name): lane saliency share \(laneMass / totalMass), lane area share \(Double(lanePixels) / Double(cropPixels)), ratio \(ratio)")
        return ratio
    }

    /// The lane mask of `frame` (PNG, 255 = marking) dilated by `radius` pixels (a square neighbourhood).
    static func dilatedMask(frame: Int, size: PixelSize, radius: Int) throws -> [Bool] {
        let url = DemoPaths.demo.appendingPathComponent(String(format: "masks/%06d.png", frame))
        let reader = try FrameReader(path: url.path)
        let image = try XCTUnwrap(try reader.next())
        XCTAssertEqual(image.width, size.width)
        var dilated = [Bool](repeating: false, count: size.width * size.height)
        for y in 0..<size.height {
            for x in 0..<size.width where image.pixels[(y * size.width + x) * 3] > 127 {
                for yy in max(0, y - radius)...min(size.height - 1, y + radius) {
                    for xx in max(0, x - radius)...min(size.width - 1, x + radius) { dilated[yy * size.width + xx] = true }
                }
            }
        }
        return dilated
    }

    func testBaselineLooksAtLaneMarkingsAndRandomWeightsDoNot() throws {
        let trained = try laneRatio(model: "pilotnet-demo.h5")
        let random = try laneRatio(model: "pilotnet-demo-random.h5")
        XCTAssertGreaterThanOrEqual(trained, 3)
        XCTAssertLessThan(random, trained * 0.6, "random weights should be clearly less lane-focused")
    }
}
