import Foundation
import XCTest
@testable import ModelImport

/// Lambdas and named functions compiled by real CPython 3.6–3.13 (3.5: 3.6 code rewritten into 3.5
/// bytecode by the generator) and stored the way Keras stores them
/// (fixtures: `Tests/Fixtures/lambdas/generate_lambda_fixtures.py`).
final class LambdaFixtureTests: XCTestCase {
    func testEveryFixtureResolvesAsExpected() throws {
        let (cases, _) = try LambdaFixtureCase.load()
        XCTAssertGreaterThan(cases.count, 200)
        var mismatches: [String] = []
        for fixture in cases where fixture.minorVersion <= 12 {
            do {
                let function = try LambdaFunction(configValue: fixture.function, layerName: fixture.name)
                XCTAssertEqual(function.encoding.rawValue, fixture.encoding, fixture.label)
                let resolution = try LambdaResolver.resolution(layerName: fixture.name, function: function)
                if let expected = fixture.expectedOperations, resolution.operations != expected {
                    mismatches.append("\(fixture.label): got \(resolution.operations), expected \(expected)")
                }
                if fixture.expectedError != nil {
                    mismatches.append("\(fixture.label): resolved to \(resolution.operations), expected an error")
                }
                if let source = fixture.expectedSource, resolution.source != source {
                    mismatches.append("\(fixture.label): decompiled `\(resolution.source)`, expected `\(source)`")
                }
                let dialects = resolution.decompiled.dialects.map(\.rawValue)
                if !dialects.contains(where: { $0.contains("3.\(fixture.minorVersion)") || Self.covers($0, fixture.minorVersion) }) {
                    mismatches.append("\(fixture.label): detected Python \(resolution.decompiled.pythonVersions)")
                }
            } catch {
                guard let expected = fixture.expectedError else {
                    mismatches.append("\(fixture.label): \(error)")
                    continue
                }
                if !error.message.contains(expected) {
                    mismatches.append("\(fixture.label): error `\(error.message)` lacks `\(expected)`")
                }
                if let source = fixture.expectedSource, case .unrecognised(_, let lambdaSource, _) = error,
                   !lambdaSource.hasSuffix(": " + source) {
                    mismatches.append("\(fixture.label): error shows `\(lambdaSource)`, expected body `\(source)`")
                }
            }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) mismatches:\n" + mismatches.prefix(20).joined(separator: "\n"))
    }

    /// Python 3.13 renumbered every opcode: it must fail cleanly, never decode to something else.
    func testPython313IsRejectedNotMisread() throws {
        let (cases, _) = try LambdaFixtureCase.load()
        let newer = cases.filter { $0.minorVersion >= 13 }
        for fixture in newer {
            do {
                let function = try LambdaFunction(configValue: fixture.function, layerName: fixture.name)
                let operations = try LambdaResolver.resolve(layerName: fixture.name, function: function)
                XCTFail("\(fixture.label) resolved to \(operations)")
            } catch {
                guard case .unsupportedBytecode(_, let reason) = error, reason.contains("Python 3.13 or newer") else {
                    return XCTFail("\(fixture.label): \(error)")
                }
            }
        }
    }

    /// The opcode numbers and cache sizes in ``PythonBytecodeDialect`` are those of the real interpreters.
    func testOpcodeTablesMatchTheInterpreters() throws {
        let (_, interpreters) = try LambdaFixtureCase.load()
        var checked = Set<PythonBytecodeDialect>()
        for interpreter in interpreters {
            let version = interpreter["python_version"] as! String
            let minor = Int(version.split(separator: ".")[1])!
            guard let dialect = PythonBytecodeDialect.allCases.first(where: { Self.covers($0.rawValue, minor) }) else { continue }
            let real = interpreter["opcodes"] as! [String: Int]
            for (name, number) in dialect.opcodes {
                // 3.6 has no LOAD_METHOD/CALL_METHOD; the 3.6–3.7 table allows them (3.7's numbers).
                if minor == 6, ["LOAD_METHOD", "CALL_METHOD"].contains(name) { continue }
                if minor == 8, name == "LIST_EXTEND" { continue }
                XCTAssertEqual(real[name], Int(number), "\(name) in Python \(version)")
            }
            let realCaches = interpreter["cache_entries"] as! [String: Int]
            for (name, count) in dialect.cacheEntries {
                XCTAssertEqual(realCaches[name], count, "CACHE entries after \(name) in Python \(version)")
            }
            for (name, count) in realCaches where dialect.opcodes[name] != nil {
                XCTAssertEqual(dialect.cacheEntries[name], count, "CACHE entries after \(name) in Python \(version)")
            }
            checked.insert(dialect)
        }
        XCTAssertEqual(checked.count, 5, "fixtures cover 3.5–3.12 (3.5: xdis table)")
    }

    static func covers(_ dialect: String, _ minor: Int) -> Bool {
        switch dialect {
        case "3.6–3.7": (6...7).contains(minor)
        case "3.8–3.10": (8...10).contains(minor)
        default: dialect == "3.\(minor)"
        }
    }
}
