import Foundation
import SteerLensSupport
import XCTest

/// `.npy` reading: round trips, and damaged headers throw instead of trapping.
final class NPYTests: XCTestCase {
    func testRoundTripKeepsShapeAndValues() throws {
        let array = NPYArray(shape: [2, 3], values: [0, 1.5, -2, 3, 4e-3, 5])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("round-trip-\(UUID().uuidString).npy")
        defer { try? FileManager.default.removeItem(at: url) }
        try array.write(to: url)
        XCTAssertEqual(try NPYArray(contentsOf: url), array)
    }

    /// Headers a crafted file can carry: shapes with the parenthesis closed first, negative or
    /// non-numeric dimensions (once silently dropped), products that overflow or exceed the file.
    func testDamagedHeadersThrow() {
        for shape in [")2, 3(", "(2, -3)", "(2L, 3)", "(4611686018427387904, 4)", "(100000, 100000)", "2, 3"] {
            var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
            header += String(repeating: " ", count: 63 - (10 + header.utf8.count) % 64) + "\n"
            let bytes = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + [UInt8](repeating: 0, count: 24)
            XCTAssertThrowsError(try NPYArray(data: Data(bytes)), "shape \(shape)")
        }
    }

    /// Inputs the FuzzNPY harness found (Tests/Fixtures/fuzz/FuzzNPY): each throws, none traps.
    func testFuzzFindingsThrow() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fuzz/FuzzNPY")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        XCTAssertFalse(files.isEmpty)
        for file in files {
            XCTAssertThrowsError(try NPYArray(contentsOf: folder.appendingPathComponent(file)), file)
        }
    }
}
