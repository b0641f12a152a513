import Foundation
import TestSupport
import XCTest

/// The run.json `analyze` writes and the comparison.json of `compare` match their written schemas,
/// `docs/schemas/run.schema.json` and `comparison.schema.json` (and merge's fleet.json, `fleet.schema.json`): every required key present, no key the
/// schema does not name, types and enums as documented. A change to `RunReport` or `ComparisonReport`
/// must change the schema with it (and `check`, which reads run.json).
final class RunSchemaTests: XCTestCase {
    func testRunJSONMatchesTheSchema() throws {
        let out = AnalyzeReportTests.directory.appendingPathComponent("schema")
        for (name, extra) in [("plain", [String]()), ("guided", ["--maps", "increase,absolute", "--backprop-modifier", "guided", "--labels", AnalyzeReportTests.labels.path]),
                              ("methods", ["--method", "gradcam", "--method", "integrated-gradients", "--ig-steps", "2", "--max-frames", "3"])] {
            let run = out.appendingPathComponent(name)
            let result = try SteerLensBinary.run(["analyze", AnalyzeReportTests.hostileClip.path, "--model", AnalyzeReportTests.model, "--out", run.path,
                                                  "--png-every", "0", "--quiet", "--overwrite"] + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
            let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.repository.appendingPathComponent("docs/schemas/run.schema.json")))
            let document = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("run.json")))
            let problems = SchemaCheck.problems(document, schema: try XCTUnwrap(schema as? [String: Any]))
            XCTAssertEqual(Array(problems.prefix(10)), [], "\(name): run.json does not match docs/schemas/run.schema.json")
        }
    }

    func testComparisonJSONMatchesTheSchema() throws {
        let out = AnalyzeReportTests.directory.appendingPathComponent("schema-compare")
        let result = try SteerLensBinary.run(["compare", AnalyzeReportTests.hostileClip.path, "--baseline", AnalyzeReportTests.model,
                                              "--candidate", AnalyzeReportTests.model, "--labels", AnalyzeReportTests.labels.path,
                                              "--out", out.path, "--overwrite"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.repository.appendingPathComponent("docs/schemas/comparison.schema.json")))
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("comparison.json")))
        XCTAssertEqual(Array(SchemaCheck.problems(document, schema: try XCTUnwrap(schema as? [String: Any])).prefix(10)), [])
    }

    /// fleet.json of an analyze fleet with a missing clip and of a complete compare fleet.
    func testFleetJSONMatchesTheSchema() throws {
        let schema = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.repository.appendingPathComponent("docs/schemas/fleet.schema.json"))) as? [String: Any])
        let folder = AnalyzeReportTests.directory.appendingPathComponent("schema-fleet")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let manifest = folder.appendingPathComponent("fleet.csv")
        try Data("\(AnalyzeReportTests.hostileClip.path),\(AnalyzeReportTests.labels.path),one\n\(AnalyzeReportTests.hostileClip.path),,two\n".utf8).write(to: manifest)
        let analyzed = folder.appendingPathComponent("analyze"), compared = folder.appendingPathComponent("compare")
        var result = try SteerLensBinary.run(["analyze", "--manifest", manifest.path, "--model", AnalyzeReportTests.model, "--out", analyzed.path, "--png-every", "0", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        try FileManager.default.removeItem(at: analyzed.appendingPathComponent("clips/two"))
        XCTAssertEqual(try SteerLensBinary.run(["merge", analyzed.path]).status, 66)
        result = try SteerLensBinary.run(["compare", "--manifest", manifest.path, "--baseline", AnalyzeReportTests.model, "--candidate", AnalyzeReportTests.model,
                                          "--out", compared.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try SteerLensBinary.run(["merge", compared.path]).status, 0)
        for out in [analyzed, compared] {
            let document = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("fleet.json")))
            XCTAssertEqual(Array(SchemaCheck.problems(document, schema: schema).prefix(10)), [], out.lastPathComponent)
            let html = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
            XCTAssertFalse(html.contains("<img src=x"), "the clip's hostile name is escaped on the fleet page")
            XCTAssertTrue(html.contains("&lt;img src=x onerror=alert(1)&gt;.mp4"))
            XCTAssertEqual(HTMLStructure(html).problems, [])
        }
    }

    func testTheCheckerFindsMissingAndUnknownKeys() throws {
        let schema: [String: Any] = ["type": "object", "required": ["a"], "additionalProperties": false,
                                     "properties": ["a": ["type": "integer"], "b": ["enum": ["x", "y"]], "v": ["const": 1]]]
        XCTAssertEqual(SchemaCheck.problems(["a": 1, "b": "x", "v": 1], schema: schema), [])
        XCTAssertEqual(SchemaCheck.problems(["a": 1, "v": 2], schema: schema), ["$.v: 2 is not 1"])
        XCTAssertEqual(SchemaCheck.problems(["b": "z", "c": true], schema: schema), ["$: missing a", "$.b: \"z\" is not one of the allowed values", "$: unexpected key c"])
        XCTAssertEqual(SchemaCheck.problems(["a": "1"], schema: schema), ["$.a: not integer"])
    }
}

/// The subset of JSON Schema the project's schemas use: type, properties, required,
/// additionalProperties (false or a schema), items, enum, integer const.
enum SchemaCheck {
    static func problems(_ value: Any, schema: [String: Any], path: String = "$") -> [String] {
        if let constant = schema["const"] as? Int {
            guard !(value is String), let number = value as? NSNumber, number.intValue == constant, number.doubleValue == Double(constant) else {
                return ["\(path): \(value) is not \(constant)"]
            }
            return []
        }
        if let allowed = schema["enum"] as? [String] {
            guard let string = value as? String, allowed.contains(string) else { return ["\(path): \"\(value)\" is not one of the allowed values"] }
            return []
        }
        let type = schema["type"] as? String ?? "any"
        switch type {
        case "object":
            guard let object = value as? [String: Any] else { return ["\(path): not object"] }
            var found: [String] = []
            let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
            for key in (schema["required"] as? [String] ?? []) where object[key] == nil { found.append("\(path): missing \(key)") }
            for key in object.keys.sorted() {
                if let property = properties[key] {
                    found += problems(object[key]!, schema: property, path: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    found += problems(object[key]!, schema: additional, path: "\(path).\(key)")
                } else if schema["additionalProperties"] as? Bool == false {
                    found.append("\(path): unexpected key \(key)")
                }
            }
            return found
        case "array":
            guard let array = value as? [Any] else { return ["\(path): not array"] }
            let items = schema["items"] as? [String: Any] ?? [:]
            return array.enumerated().flatMap { problems($0.element, schema: items, path: "\(path)[\($0.offset)]") }
        case "string":
            return value is String ? [] : ["\(path): not string"]
        case "integer":
            guard !(value is String), let number = value as? NSNumber, number.doubleValue == number.doubleValue.rounded() else { return ["\(path): not integer"] }
            return []
        case "number":
            return !(value is String) && value is NSNumber ? [] : ["\(path): not number"]
        case "boolean":
            return value is Bool || value is NSNumber ? [] : ["\(path): not boolean"]
        default:
            return []
        }
    }
}
