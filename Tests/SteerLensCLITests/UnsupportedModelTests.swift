import Foundation
import TestSupport
import XCTest

/// Recurrent and 3-D pilots (TimeDistributed + LSTM, GRU, Conv3D; tiny Keras 3 files under
/// `Tests/Fixtures/keras/unsupported/`) are rejected with exit 65 and one line naming the layer class.
final class UnsupportedModelTests: XCTestCase {
    func testRecurrentAnd3DModelsFailWithOneLineNamingTheLayerClass() throws {
        let folder = TestPaths.kerasFixtures.appendingPathComponent("unsupported")
        let cases = [("lstm.h5", "'TimeDistributed(Conv2D)'"), ("gru.h5", "'GRU'"), ("conv3d.h5", "'Conv3D'")]
        for (file, className) in cases {
            let model = folder.appendingPathComponent(file).path
            for arguments in [["inspect", model], ["predict", FixtureFrames.pilotnet.path, "--model", model],
                              ["analyze", FixtureFrames.pilotnet.path, "--model", model, "--out", "/nonexistent/never-written"]] {
                let result = try SteerLensBinary.run(arguments)
                XCTAssertEqual(result.status, 65, "\(arguments): \(result.stderr)")
                XCTAssertEqual(result.stdout, "")
                XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
                XCTAssertTrue(result.stderr.hasPrefix("steerlens: ") && result.stderr.contains(className), result.stderr)
                XCTAssertTrue(result.stderr.contains("recurrent and 3-D"), result.stderr)
            }
        }
    }
}
