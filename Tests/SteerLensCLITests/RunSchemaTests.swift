import Foundation
import TestSupport
import XCTest

/// The run.json `analyze` writes and the comparison.json of `compare` match their written schemas,
/// `docs/schemas/run.schema.json` and `comparison.schema.json`: every required key present, no key the
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

    func testTheCheckerFindsMissingAndUnknownKeys() throws {
        let schema: [String: Any] = ["type": "object", "required": ["a"], "additionalProperties": false,
                                     "properties": ["a": ["type": "integer"], "b": ["enum": ["x", "y"]]]]
        XCTAssertEqual(SchemaCheck.problems(["a": 1, "b": "x"], schema: schema), [])
        XCTAssertEqual(SchemaCheck.problems(["b": "z", "c": true], schema: schema), ["$: missing a", "$.b: \"z\" is not one of the allowed values", "$: unexpected key c"])
        XCTAssertEqual(SchemaCheck.problems(["a": "1"], schema: schema), ["$.a: not integer"])
    }
}

/// The subset of JSON Schema the project's schemas use: type, properties, required,
/// additionalProperties (false or a schema), items, enum.
enum SchemaCheck {
    static func problems(_ value: Any, schema: [String: Any], path: String = "$") -> [String] {
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
