import Foundation
import NeuralNet
import SteerLensSupport
import TestSupport
import XCTest
@testable import ModelImport

/// Keras 3 `.keras` archives: stored (as Keras writes them) and deflated entries give the same model;
/// truncated or damaged archives are one-line errors, never a crash. Parity with TensorFlow is checked
/// by `KerasFixtureTests.testKeras3ZipFile`.
final class KerasArchiveTests: XCTestCase {
    private var directory: URL!
    private let fixture = TestPaths.kerasFixtures.appendingPathComponent("keras_zip")

    override func setUpWithError() throws {
        directory = try TestPaths.temporaryDirectory(self)
    }

    private func outputs(_ url: URL) throws -> [Float] {
        let input = try NPYArray(contentsOf: fixture.appendingPathComponent("input.npy"))
        return try KerasModelLoader.load(from: url).model.forward(Tensor(shape: input.shape, scalars: input.values))[0].scalars
    }

    func testDeflatedEntriesGiveTheSameModel() throws {
        let stored = try outputs(fixture.appendingPathComponent("model.keras"))
        let deflated = try outputs(fixture.appendingPathComponent("model-deflated.keras"))
        XCTAssertEqual(stored, deflated)
        let expected = try NPYArray(contentsOf: fixture.appendingPathComponent("output.npy")).values
        for (a, b) in zip(stored, expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        let card = try KerasModelLoader.load(from: fixture.appendingPathComponent("model.keras")).card
        XCTAssertEqual(card.format, "Keras 3")
        XCTAssertEqual(card.kerasVersion?.hasPrefix("3."), true)
        XCTAssertEqual(card.layers.first { $0.name == "bn" }?.parameterCount, 12, "gamma, moving mean, moving variance of 4 channels")
    }

    func testTruncatedAndDamagedArchivesAreErrors() throws {
        for name in ["model.keras", "model-deflated.keras"] {
            let bytes = try Data(contentsOf: fixture.appendingPathComponent(name))
            let truncated = directory.appendingPathComponent("truncated-\(name)")
            try bytes.prefix(bytes.count * 3 / 5).write(to: truncated)
            assertCorrupt(truncated)
            // Flip bytes in the middle of the weights entry (its data lies in the file's second half).
            var damaged = bytes
            for offset in stride(from: bytes.count / 2, to: bytes.count / 2 + 64, by: 1) { damaged[offset] ^= 0x5A }
            let damagedURL = directory.appendingPathComponent("damaged-\(name)")
            try damaged.write(to: damagedURL)
            assertCorrupt(damagedURL)
        }
    }

    private func assertCorrupt(_ url: URL, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try KerasModelLoader.load(from: url), file: file, line: line) { error in
            guard let error = error as? ModelImportError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(error.kind, .badInput, file: file, line: line)
            XCTAssertTrue(error.message.contains(url.path), error.message, file: file, line: line)
            XCTAssertFalse(error.message.contains("\n"), file: file, line: line)
        }
    }
}
