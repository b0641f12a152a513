import Analysis
import Foundation
import NeuralNet
import Reporting
import Saliency
import VideoIO
import XCTest

/// Acceptance 3: on the frames with lane masks, the trained baseline puts its increase + decrease
/// saliency on lane markings far more than their area would suggest; the same architecture with random
/// (untrained) weights does not.
///
/// Saliency mass of a pixel: its increase map value plus its decrease map value, each above the map's
/// floor — the normalised value of a zero gradient, `(0 − min M)/(max M − min M + ε)`, which every pixel
/// without influence gets (with keras-vis normalisation that floor is typically 0.3–0.6, so raw map sums
/// mostly measure the map's size). Equivalently `max(max_c g, 0)/range` + `max(max_c(−g), 0)/range'`.
/// Lane share = mass on lane-marking pixels dilated by 2 px / all mass, over the frame (maps drawn back
/// onto the frame with ``MapProjection``, 0 outside the crop). Area share = dilated lane pixels /
/// pixels, over the crop the model sees. Ratio = lane share / area share. The raw-sum ratio is printed
/// too.
final class SaliencySanityTests: XCTestCase {
    func laneRatio(model name: String) throws -> Double {
        let model = try DemoModel(named: name, sidecar: "pilotnet-demo.h5")
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
        var rawLaneMass = 0.0, rawTotalMass = 0.0
        for start in stride(from: 0, to: frames.count, by: 16) {
            let chunk = Array(frames[start..<min(start + 16, frames.count)])
            let result = try engine.run(try model.batch(chunk))
            let pixelsPerMap = geometry.outputSize.width * geometry.outputSize.height
            for (item, frame) in chunk.enumerated() {
                let mask = try Self.dilatedMask(frame: frame.index, size: size, radius: 2)
                var combined = [Float](repeating: 0, count: pixelsPerMap)
                var raw = [Float](repeating: 0, count: pixelsPerMap)
                let gradient = result.gradient.scalars[(item * pixelsPerMap * 3)..<((item + 1) * pixelsPerMap * 3)]
                for (kind, sign) in [(SaliencyMapKind.increase, Float(1)), (.decrease, Float(-1))] {
                    let map = Array(result.maps[kind]!.scalars[(item * pixelsPerMap)..<((item + 1) * pixelsPerMap)])
                    let values = (0..<pixelsPerMap).map { pixel in
                        (0..<3).map { sign * gradient[gradient.startIndex + pixel * 3 + $0] }.max()!
                    }
                    let low = values.min()!, high = values.max()!
                    let floor = (0 - low) / (high - low + 1e-7)
                    for index in 0..<pixelsPerMap {
                        combined[index] += max(map[index] - floor, 0)
                        raw[index] += map[index]
                    }
                }
                let onFrame = projection.toFrame(combined)
                let rawOnFrame = projection.toFrame(raw)
                for y in 0..<size.height {
                    let inCrop = y >= geometry.cropY && y < geometry.cropY + geometry.cropSize.height
                    for x in 0..<size.width {
                        let value = Double(onFrame[y * size.width + x])
                        totalMass += value
                        rawTotalMass += Double(rawOnFrame[y * size.width + x])
                        let lane = mask[y * size.width + x]
                        if lane { laneMass += value; rawLaneMass += Double(rawOnFrame[y * size.width + x]) }
                        if inCrop, x >= geometry.cropX, x < geometry.cropX + geometry.cropSize.width {
                            cropPixels += 1
                            if lane { lanePixels += 1 }
                        }
                    }
                }
            }
        }
        let areaShare = Double(lanePixels) / Double(cropPixels)
        let ratio = (laneMass / totalMass) / areaShare
        print("\(name): lane saliency share \(laneMass / totalMass), lane area share \(areaShare), ratio \(ratio) "
              + "(raw map sums: share \(rawLaneMass / rawTotalMass), ratio \((rawLaneMass / rawTotalMass) / areaShare))")
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
