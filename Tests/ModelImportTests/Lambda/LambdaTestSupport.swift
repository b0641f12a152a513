import Foundation
import TestSupport
import XCTest
@testable import ModelImport

/// Where the committed lambda fixtures and the optional shared real-data folder are.

/// One fixture case written by `Tests/Fixtures/lambdas/generate_lambda_fixtures.py`.
struct LambdaFixtureCase {
    var name: String
    var pythonVersion: String
    var encoding: String
    var lambda: String
    /// The `function` value exactly as `JSONSerialization` returns it.
    var function: Any
    var expectedSource: String?
    var expectedOperations: [LambdaOperation]?
    var expectedError: String?

    var label: String { "\(name) [Python \(pythonVersion), \(encoding)]" }
    var minorVersion: Int { Int(pythonVersion.split(separator: ".")[1])! }

    static func load() throws -> (cases: [LambdaFixtureCase], interpreters: [[String: Any]]) {
        let data = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("lambdas/lambdas.json"))
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]]).map { entry in
            LambdaFixtureCase(
                name: entry["name"] as! String,
                pythonVersion: entry["python_version"] as! String,
                encoding: entry["encoding"] as! String,
                lambda: entry["lambda"] as! String,
                function: entry["function"]!,
                expectedSource: entry["expected_source"] as? String,
                expectedOperations: (entry["expected_operations"] as? [[String: Any]]).map { $0.map(operation) },
                expectedError: entry["expected_error"] as? String)
        }
        return (cases, try XCTUnwrap(root["interpreters"] as? [[String: Any]]))
    }

    static func operation(_ json: [String: Any]) -> LambdaOperation {
        func bound(_ value: Any) -> Int? { value as? Int }
        switch json["op"] as! String {
        case "identity": return .identity
        case "affine":
            return .affine(scale: Float((json["scale"] as! NSNumber).doubleValue), offset: Float((json["offset"] as! NSNumber).doubleValue))
        case "resize":
            return .resize(height: json["height"] as! Int, width: json["width"] as! Int,
                           method: ResizeMethod(rawValue: json["method"] as! String)!)
        case "crop":
            let rows = json["rows"] as! [Any], columns = json["columns"] as! [Any]
            return .crop(rows: PythonSlice(start: bound(rows[0]), stop: bound(rows[1])),
                         columns: PythonSlice(start: bound(columns[0]), stop: bound(columns[1])))
        case "upsample":
            return .upsample(rows: json["rows"] as! Int, columns: json["columns"] as! Int)
        case "tensor":
            let parsed = try! LambdaExpression.parse(json["expression"] as! String)
            precondition(parsed.count == 1, "fixture tensor expression \(json) is one step")
            return parsed[0]
        default: fatalError("unknown fixture op \(json)")
        }
    }
}
