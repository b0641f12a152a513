import Foundation
import SteerLensSupport
import TestSupport
import XCTest

/// `steerlens inspect` on Lambda layers written as whole function bodies: the resolved operation chain,
/// the Python version and the decompiled function; an operation outside the catalogue is one line
/// that names it, exit 65.
final class LambdaInspectTests: XCTestCase {
    static let directory: URL = try! TestPaths.scratchDirectory("lambda-inspect")
    static let models = TestPaths.fixtures.appendingPathComponent("lambdas/models")

    func testInspectShowsTheFunctionBodyAndItsOperations() throws {
        let result = try SteerLensBinary.run("inspect", Self.models.appendingPathComponent("model_normalize_area/model.h5").path)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("lambda:") }, result.stdout)
        XCTAssertEqual(lines[header], "lambda:     lambda_1 = resize(8,10,area); x*0.007843138-1.0   [bytecode, Python 3.5:]")
        XCTAssertEqual(Array(lines[(header + 1)...].prefix(3)), [
            "              def Normalize(img):",
            "                  img = K.tf.image.resize_images(img, (8, 10), method=K.tf.image.ResizeMethod.AREA)",
            "                  return img / 127.5 - 1.0",
        ])
        let json = try SteerLensBinary.run("inspect", "--json", Self.models.appendingPathComponent("model_minmax/model.h5").path)
        XCTAssertEqual(json.status, 0, json.stderr)
        struct Card: Decodable {
            struct Lambda: Decodable { let resolvedAs: String; let python: String?; let function: [String]? }
            let lambdas: [Lambda]
        }
        let card = try JSONDecoder().decode(Card.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(card.lambdas.first?.resolvedAs, "(x-min(x))/(max(x)-min(x))")
        XCTAssertEqual(card.lambdas.first?.python, "3.8–3.10")
        XCTAssertEqual(card.lambdas.first?.function?.first, "def normalize(x):")
    }

    /// `import cv2; return cv2.cvtColor(x, cv2.COLOR_RGB2YUV)` compiled by Python 3.8: the error names
    /// the operation and shows how to declare the layer.
    func testUnknownOperationIsOneLineNamingIt() throws {
        let data = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("lambdas/lambdas.json"))
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]])
        let entry = try XCTUnwrap(cases.first { $0["name"] as? String == "def_error_unknown_cv2" && ($0["python_version"] as? String)?.hasPrefix("3.8.") == true && $0["encoding"] as? String == "base64" })
        let code = try XCTUnwrap((entry["function"] as? [Any])?.first as? String)
        let escaped = code.replacingOccurrences(of: "\n", with: "\\n")
        let config = KerasTestFiles.sequential([#"{"class_name": "Lambda", "config": {"name": "to_yuv", "function": [""# + escaped + #"", null, null], "function_type": "lambda", "batch_input_shape": [null, 4, 4, 3]}}"#])
        let file = Self.directory.appendingPathComponent("cv2.h5")
        try KerasTestFiles.writeModel(to: file, config: config, weights: ["to_yuv": []])
        let result = try SteerLensBinary.run("inspect", file.path)
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        for fragment in ["'to_yuv'", "`cv2.cvtColor` is not a function", "def to_yuv(x): import cv2; return cv2.cvtColor(x, cv2.COLOR_RGB2YUV)", "--lambda to_yuv="] {
            XCTAssertTrue(result.stderr.contains(fragment), "'\(fragment)' in \(result.stderr)")
        }
        let declared = try SteerLensBinary.run("inspect", file.path, "--lambda", "to_yuv=mix(x,3,[0.299,-0.14714119,0.61497538,0.587,-0.28886916,-0.51496512,0.114,0.43601035,-0.10001026])")
        XCTAssertEqual(declared.status, 0, declared.stderr)
        XCTAssertTrue(declared.stdout.contains("to_yuv = mix(x,3,[0.299,"), declared.stdout)
    }
}
