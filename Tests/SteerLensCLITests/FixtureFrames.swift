import Foundation
import SteerLensSupport
import TestSupport
import VideoIO

/// Fixture input batches (integer pixel values stored as float) written once as PNG sequences, so the
/// CLI can be run on exactly the pixels TensorFlow saw.
enum FixtureFrames {
    static let directory: URL = try! TestPaths.scratchDirectory("fixture-frames")

    /// `Tests/Fixtures/keras/pilotnet_small/input.npy` as `%06d.png`.
    static let pilotnet: URL = write(TestPaths.kerasFixtures.appendingPathComponent("pilotnet_small/input.npy"), as: "pilotnet")

    /// Writes the `(N, H, W, 3)` batch in `npy` as `<name>/%06d.png` and returns the pattern.
    static func write(_ npy: URL, as name: String) -> URL {
        let input = try! NPYArray(contentsOf: npy)
        let (count, height, width) = (input.shape[0], input.shape[1], input.shape[2])
        let folder = directory.appendingPathComponent(name)
        let encoder = try! ImageEncoder()
        let perImage = height * width * 3
        for index in 0..<count {
            let pixels = input.values[(index * perImage)..<((index + 1) * perImage)].map { UInt8($0) }
            try! encoder.write(pixels, width: width, height: height, to: folder.appendingPathComponent(String(format: "%06d.png", index)))
        }
        return folder.appendingPathComponent("%06d.png")
    }
}
