import Foundation
import TestSupport
import XCTest

/// A model's `<file>.steerlens.json` supplies preprocessing defaults; flags override it field by field.
final class SidecarTests: XCTestCase {
    static let directory: URL = try! TestPaths.scratchDirectory("sidecar")

    /// A copy of the pilotnet_small fixture with `sidecar` beside it.
    func model(named name: String, sidecar: String?) throws -> String {
        let url = Self.directory.appendingPathComponent("\(name).h5")
        if !FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.copyItem(at: TestPaths.kerasFixtures.appendingPathComponent("pilotnet_small/model.h5"), to: url)
        }
        if let sidecar { try Data(sidecar.utf8).write(to: URL(fileURLWithPath: url.path + ".steerlens.json")) }
        return url.path
    }

    func predict(_ arguments: [String]) throws -> String {
        let result = try SteerLensBinary.run(["predict", FixtureFrames.pilotnet.path] + arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout
    }

    func testSidecarActsLikeTheFlagsAndFlagsOverrideIt() throws {
        let plain = try model(named: "plain", sidecar: nil)
        let withSidecar = try model(named: "configured", sidecar: #"{"crop": ["25%", "0", "0", "8"], "color": "bgr", "interpolation": "bilinear"}"#)
        let byFlags = try predict(["--model", plain, "--crop", "25%,0,0,8", "--color", "bgr", "--interpolation", "bilinear"])
        let bySidecar = try predict(["--model", withSidecar])
        XCTAssertEqual(bySidecar, byFlags)
        XCTAssertNotEqual(try predict(["--model", withSidecar, "--ignore-sidecar"]), bySidecar)
        XCTAssertEqual(try predict(["--model", withSidecar, "--ignore-sidecar"]), try predict(["--model", plain]))
        // One flag overrides one field; the others still come from the sidecar.
        XCTAssertEqual(try predict(["--model", withSidecar, "--color", "rgb"]),
                       try predict(["--model", plain, "--crop", "25%,0,0,8", "--color", "rgb", "--interpolation", "bilinear"]))
    }

    func testInvalidSidecarIsABadInputError() throws {
        let broken = try model(named: "broken", sidecar: #"{"crop": ["a lot"], "color": "rgb"}"#)
        let result = try SteerLensBinary.run(["predict", FixtureFrames.pilotnet.path, "--model", broken])
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertTrue(result.stderr.contains("broken.h5.steerlens.json"), result.stderr)
        XCTAssertTrue(result.stderr.contains("--ignore-sidecar"), result.stderr)
        let unknownColour = try model(named: "purple", sidecar: #"{"color": "purple"}"#)
        XCTAssertEqual(try SteerLensBinary.run(["predict", FixtureFrames.pilotnet.path, "--model", unknownColour]).status, 65)
    }
}
