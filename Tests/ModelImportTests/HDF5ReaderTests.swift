import Foundation
import SteerLensSupport
import TestSupport
import XCTest
@testable import ModelImport

/// The HDF5 layer: string/number attributes of every flavour Keras writes, float datasets, errors.
final class HDF5ReaderTests: XCTestCase {
    func testReadsRealKeras1Attributes() throws {
        let url = try TestPaths.shared("models/naokishibuya-pilotnet-keras1.h5")
        let file = try HDF5File(readingAt: url.path)
        let root = try file.rootGroup()
        XCTAssertEqual(try root.stringAttribute("keras_version"), "1.2.1")
        XCTAssertTrue(try root.stringAttribute("model_config")?.hasPrefix("{") ?? false)
        XCTAssertEqual(try root.childNames(), ["model_weights", "optimizer_weights"])
        let weights = try root.group("model_weights")
        let layers = try weights.stringsAttribute("layer_names")
        XCTAssertEqual(layers.count, 12)
        XCTAssertEqual(layers.first, "lambda_1")
        XCTAssertEqual(try weights.group("dense_1").stringsAttribute("weight_names"), ["dense_1_W:0", "dense_1_b:0"])
        XCTAssertEqual(try weights.group("dropout_1").stringsAttribute("weight_names"), [], "empty float64 array reads as no names")
        let kernel = try weights.dataset("convolution2d_1/convolution2d_1_W:0")
        XCTAssertEqual(try kernel.shape(), [5, 5, 3, 24])
        XCTAssertEqual(try kernel.readFloats().count, 5 * 5 * 3 * 24)
    }

    func testRoundTripsWrittenAttributesAndDatasets() throws {
        let directory = try TestPaths.temporaryDirectory(self)
        let path = directory.appendingPathComponent("t.h5").path
        do {
            let file = try HDF5File(creatingAt: path)
            let root = try file.rootGroup()
            try root.writeStringAttribute("scalar", ["{\"a\": 1}"])
            try root.writeStringAttribute("utf8", ["naïve ✓"], utf8: true)
            try root.writeStringAttribute("fixed", ["conv2d_1", "dense"], fixedLength: true)
            try root.writeStringAttribute("empty", [])
            let group = try root.createGroup("g")
            try group.writeDataset("w:0", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        }
        let file = try HDF5File(readingAt: path)
        let root = try file.rootGroup()
        XCTAssertEqual(try root.stringAttribute("scalar"), "{\"a\": 1}")
        XCTAssertEqual(try root.stringAttribute("utf8"), "naïve ✓")
        XCTAssertEqual(try root.stringsAttribute("fixed"), ["conv2d_1", "dense"])
        XCTAssertEqual(try root.stringsAttribute("empty"), [])
        XCTAssertEqual(Set(try root.attributeNames()), ["scalar", "utf8", "fixed", "empty"])
        XCTAssertNil(try root.stringAttribute("absent"))
        XCTAssertTrue(root.contains("g/w:0"))
        XCTAssertFalse(root.contains("g/nothing"))
        XCTAssertFalse(root.contains("nothing/deeper"))
        XCTAssertTrue(root.isGroup("g"))
        XCTAssertFalse(root.isGroup("g/w:0"))
        let dataset = try root.group("g").dataset("w:0")
        XCTAssertEqual(try dataset.shape(), [2, 3])
        XCTAssertEqual(try dataset.readFloats(), [1, 2, 3, 4, 5, 6])
    }

    func testLibraryErrorsCarryFunctionAndMessage() throws {
        let directory = try TestPaths.temporaryDirectory(self)
        let path = directory.appendingPathComponent("t.h5").path
        _ = try HDF5File(creatingAt: path)
        let file = try HDF5File(readingAt: path)
        XCTAssertThrowsError(try file.rootGroup().group("missing")) { error in
            guard let error = error as? HDF5Error else { return XCTFail("\(error)") }
            XCTAssertEqual(error.function, "H5Gopen2")
            XCTAssertFalse(error.message.isEmpty, "libhdf5's own message is carried")
        }
    }

    func testHalfPrecisionConversion() {
        XCTAssertEqual(HDF5Dataset.floatFromHalf(0x3C00), 1)
        XCTAssertEqual(HDF5Dataset.floatFromHalf(0xC000), -2)
        XCTAssertEqual(HDF5Dataset.floatFromHalf(0x7BFF), 65504)
        XCTAssertEqual(HDF5Dataset.floatFromHalf(0x0001), 0x1p-24)
        XCTAssertEqual(HDF5Dataset.floatFromHalf(0x7C00), .infinity)
        XCTAssertTrue(HDF5Dataset.floatFromHalf(0x7E00).isNaN)
    }

    func testSignatureCheck() throws {
        let directory = try TestPaths.temporaryDirectory(self)
        let junk = directory.appendingPathComponent("junk.h5")
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: junk)
        XCTAssertFalse(try HDF5File.hasSignature(at: junk))
        let real = directory.appendingPathComponent("real.h5")
        _ = try HDF5File(creatingAt: real.path)
        XCTAssertTrue(try HDF5File.hasSignature(at: real))
    }
}
