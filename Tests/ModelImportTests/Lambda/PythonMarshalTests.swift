import Foundation
import SteerLensSupport
import XCTest
@testable import ModelImport

/// The marshal reader on well-formed values, back-references, and hostile input.
final class PythonMarshalTests: XCTestCase {
    func decode(_ bytes: [UInt8]) throws(PythonMarshalError) -> PythonObject {
        try PythonMarshal.decodeObject(bytes, layout: .python35to37)
    }

    func testScalarsAndContainers() throws {
        var writer = MarshalWriter()
        let value = PythonObject.tuple([
            .none, .bool(true), .bool(false), .int(-7), .float(127.5), .string("é"), .bytes([0, 255]),
            .list([.ellipsis]), .set([.int(1)], frozen: true), .dict([.string("k")], [.int(2)]), .complex(real: 1, imaginary: -2),
        ])
        writer.write(value)
        XCTAssertEqual(try decode(writer.bytes), value)
        // Text float 'f' (marshal version 0/1) and TYPE_LONG 'l' (15-bit digits, signed count).
        XCTAssertEqual(try decode([UInt8(ascii: "f"), 5] + Array("-0.25".utf8)), .float(-0.25))
        XCTAssertEqual(try decode([UInt8(ascii: "l"), 0xFE, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x01, 0x00]), .int(-(1 << 15)))
        XCTAssertThrowsError(try decode([UInt8(ascii: "l"), 6, 0, 0, 0] + Array(repeating: 1, count: 12)))
    }

    func testBackReferencesNumberContainersBeforeTheirItems() throws {
        // ('a', ('a',)) written with FLAG_REF: outer tuple is ref 0, 'a' ref 1, and `r 1` repeats 'a'.
        let bytes: [UInt8] = [0x80 | UInt8(ascii: ")"), 2, 0x80 | UInt8(ascii: "z"), 1, UInt8(ascii: "a"),
                              UInt8(ascii: ")"), 1, UInt8(ascii: "r"), 1, 0, 0, 0]
        XCTAssertEqual(try decode(bytes), .tuple([.string("a"), .tuple([.string("a")])]))
        // A reference to the tuple still being read (a cycle) is an error, not a hang.
        let cycle: [UInt8] = [0x80 | UInt8(ascii: ")"), 1, UInt8(ascii: "r"), 0, 0, 0, 0]
        XCTAssertThrowsError(try decode(cycle)) { XCTAssertEqual($0 as? PythonMarshalError, .badReference(index: 0, offset: 2)) }
    }

    func testHostileInputEndsInTypedErrors() {
        // Lengths beyond the data.
        XCTAssertThrowsError(try decode([UInt8(ascii: "s"), 0xFF, 0xFF, 0xFF, 0x7F]))
        XCTAssertThrowsError(try decode([UInt8(ascii: "("), 0xFF, 0xFF, 0xFF, 0x7F, UInt8(ascii: "N")]))
        XCTAssertThrowsError(try decode([UInt8(ascii: "s"), 0xFF, 0xFF, 0xFF, 0xFF]))
        // Unknown type code, empty input, Python 2 interned-string reference 'R'.
        XCTAssertThrowsError(try decode([UInt8(ascii: "?")])) { XCTAssertEqual($0 as? PythonMarshalError, .unknownType(code: 0x3F, offset: 0)) }
        XCTAssertThrowsError(try decode([]))
        XCTAssertThrowsError(try decode([UInt8(ascii: "R"), 0, 0, 0, 0]))
        // Deep nesting.
        let deep: [UInt8] = Array([[UInt8]](repeating: [UInt8(ascii: ")"), 1], count: 500).joined()) + [UInt8(ascii: "N")]
        XCTAssertThrowsError(try decode(deep)) { error in
            guard case .limitExceeded? = error as? PythonMarshalError else { return XCTFail("\(error)") }
        }
        // A chain of references that doubles at each level describes 2^40 objects in ~500 bytes.
        var chain: [UInt8] = [UInt8(ascii: ")"), 41, 0x80 | UInt8(ascii: "N")]
        for level in 0..<40 {
            chain += [0x80 | UInt8(ascii: ")"), 2, UInt8(ascii: "r")] + le32(level) + [UInt8(ascii: "r")] + le32(level)
        }
        XCTAssertThrowsError(try decode(chain)) { error in
            guard case .limitExceeded? = error as? PythonMarshalError else { return XCTFail("\(error)") }
        }
    }

    /// Truncations and random byte flips of real fixtures never crash or hang; whatever still
    /// decodes goes through the decompiler and matcher too.
    func testCorruptedFixturesNeverCrash() throws {
        let (cases, _) = try LambdaFixtureCase.load()
        let samples = cases.filter { $0.encoding == "base64" && ["resize_then_normalize", "crop_rows", "closure_scale"].contains($0.name) }
        XCTAssertFalse(samples.isEmpty)
        var generator = SeededRandom(seed: 0x5EED)
        var decodedCount = 0
        for sample in samples {
            let original = try LambdaFunction(configValue: sample.function, layerName: "l").marshalledCode
            var variants = (0..<original.count).map { Array(original.prefix($0)) }
            for _ in 0..<150 {
                var mutated = original
                for _ in 0...(generator.next() % 3) {
                    mutated[Int(generator.next() % UInt64(mutated.count))] = UInt8(truncatingIfNeeded: generator.next())
                }
                variants.append(mutated)
            }
            for bytes in variants {
                guard let function = try? LambdaFunction(marshalledCode: bytes, layerName: "l") else { continue }
                decodedCount += 1
                _ = try? LambdaResolver.resolution(layerName: "l", function: function)
            }
        }
        XCTAssertGreaterThan(decodedCount, 0, "some flips (e.g. in names) leave the data readable")
    }

    func le32(_ value: Int) -> [UInt8] {
        let bits = UInt32(value)
        return [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)]
    }
}
