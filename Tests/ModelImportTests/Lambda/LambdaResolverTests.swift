import Foundation
import XCTest
@testable import ModelImport

/// Config shapes, error messages and hints of ``LambdaResolver``.
final class LambdaResolverTests: XCTestCase {
    /// A Python 3.8 fixture compiled from `source`, as Keras 2.2+ stores it.
    func fixture(_ name: String, version: String = "3.8") throws -> LambdaFixtureCase {
        let (cases, _) = try LambdaFixtureCase.load()
        return try XCTUnwrap(cases.first { $0.name == name && $0.pythonVersion.hasPrefix(version + ".") && $0.encoding == "base64" })
    }

    func testUnrecognisedLambdaNamesLayerShowsSourceAndHint() throws {
        let softsign = try fixture("error_unknown_function")
        XCTAssertThrowsError(try LambdaResolver.resolution(layerName: "lambda_3", config: ["function": softsign.function, "function_type": "lambda"])) { error in
            guard let error = error as? LambdaResolutionError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.kind, .badInput)
            XCTAssertEqual(error.layer, "lambda_3")
            XCTAssertEqual(error.message, "Lambda layer 'lambda_3' computes `lambda x: K.softsign(x) * 3`, which SteerLens cannot translate: `K.softsign` is not a function SteerLens knows")
            XCTAssertTrue(error.hint.hasPrefix("declare what it computes, e.g. --lambda lambda_3='x/127.5-1'"), error.hint)
        }
        let rows = try fixture("error_global_size")
        XCTAssertThrowsError(try LambdaResolver.resolution(layerName: "resize", config: ["function": rows.function])) { error in
            XCTAssertTrue("\(error)".contains("computes `lambda x: tf.image.resize_images(x, (ROWS, COLS))`"), "\(error)")
            XCTAssertTrue("\(error)".contains("the global `ROWS`, whose value the model does not store"), "\(error)")
        }
    }

    func testDecompileShowsWhatAFailedMatchSaw() throws {
        let square = try fixture("error_square")
        let function = try LambdaFunction(configValue: square.function, layerName: "sq")
        let decompiled = try LambdaResolver.decompile(layerName: "sq", function: function)
        XCTAssertEqual(decompiled.lambdaSource, "lambda x: x * x")
        XCTAssertEqual(decompiled.pythonVersions, "3.8–3.10")
    }

    func testConfigShapes() throws {
        let normalise = try fixture("affine_127_5", version: "3.12")
        let text = try XCTUnwrap((normalise.function as? [Any])?.first as? String)
        let expected: [LambdaOperation] = [.affine(scale: Float(1 / 127.5), offset: -1)]
        // Bare string, [code, defaults, closure], Keras 3 dictionary.
        for value: Any in [text, [text, NSNull(), NSNull()] as [Any],
                           ["class_name": "__lambda__", "config": ["code": text, "defaults": NSNull(), "closure": NSNull()]] as [String: Any]] {
            XCTAssertEqual(try LambdaResolver.resolution(layerName: "l", config: ["function": value]).operations, expected)
        }
        let resolution = try LambdaResolver.resolution(layerName: "l", config: ["function": text])
        XCTAssertEqual(resolution.source, "x / 127.5 - 1.0")
        XCTAssertEqual(resolution.decompiled.pythonVersions, "3.11 or 3.12", "plain arithmetic is byte-identical in both")

        XCTAssertThrowsError(try LambdaResolver.resolution(layerName: "n", config: ["function": "normalize", "function_type": "function"])) { error in
            XCTAssertEqual(error as? LambdaResolutionError, .namedFunction(layer: "n", name: "normalize"))
        }
        for garbage: Any in ["", "not marshal at all", 42, ["AAAA"] as [Any], ["class_name": "x"] as [String: Any]] {
            XCTAssertThrowsError(try LambdaResolver.resolution(layerName: "g", config: ["function": garbage])) { error in
                guard case .unreadableFunction(let layer, _)? = error as? LambdaResolutionError else { return XCTFail("\(error)") }
                XCTAssertEqual(layer, "g")
            }
        }
    }

    /// The config's `arguments` are keyword arguments of the call and override the lambda's defaults.
    func testConfigArgumentsOverrideDefaults() throws {
        let scaled = try fixture("default_scale")  // lambda x, s=255.0: x / s - 0.5
        XCTAssertEqual(try LambdaResolver.resolution(layerName: "l", config: ["function": scaled.function]).operations,
                       [.affine(scale: Float(1 / 255.0), offset: -0.5)])
        let config: [String: Any] = ["function": scaled.function, "arguments": ["s": 127.5]]
        XCTAssertEqual(try LambdaResolver.resolution(layerName: "l", config: config).operations,
                       [.affine(scale: Float(1 / 127.5), offset: -0.5)])
    }

    /// Python's raw_unicode_escape writes characters above U+00FF as `\uXXXX`; Keras 1 reads them back so.
    func testRawUnicodeEscapeBytes() {
        XCTAssertEqual(LambdaFunction.rawUnicodeEscapeBytes("a\u{E3}\u{100}\u{1F600}"),
                       [0x61, 0xE3] + Array("\\u0100\\U0001f600".utf8))
    }

    func testTF1AndTF2ResizeMethodsDiffer() throws {
        let tf1 = try fixture("resize_tf1"), tf2 = try fixture("resize_tf2")
        XCTAssertEqual(try LambdaResolver.resolution(layerName: "a", config: ["function": tf1.function]).operations,
                       [.resize(height: 66, width: 200, method: .bilinearTF1)])
        XCTAssertEqual(try LambdaResolver.resolution(layerName: "b", config: ["function": tf2.function]).operations,
                       [.resize(height: 66, width: 200, method: .bilinearHalfPixel)])
    }
}
