import XCTest
@testable import ModelImport

/// Named functions with local variables, imports and several statements, compiled by every CPython
/// from 3.5 to 3.12 (fixtures: `Tests/Fixtures/lambdas/generate_lambda_fixtures.py`, `def_*` cases).
final class FunctionBodyTests: XCTestCase {
    private func decompiled(_ name: String) throws -> [(LambdaFixtureCase, LambdaResolution)] {
        let cases = try LambdaFixtureCase.load().cases.filter { $0.name == name && $0.minorVersion <= 12 }
        XCTAssertEqual(Set(cases.map(\.minorVersion)), Set(5...12), "\(name): a fixture per Python version 3.5–3.12")
        return try cases.map { fixture in
            let function = try LambdaFunction(configValue: fixture.function, layerName: fixture.name)
            return (fixture, try LambdaResolver.resolution(layerName: fixture.name, function: function))
        }
    }

    /// Locals, a submodule import and three statements print as the function they came from.
    func testFunctionSourceIsReadablePython() throws {
        for (fixture, resolution) in try decompiled("def_submodule_locals") {
            XCTAssertEqual(resolution.decompiled.functionName, "resize_normalize", fixture.label)
            XCTAssertEqual(resolution.decompiled.functionSource, """
                def resize_normalize(x):
                    from tensorflow.compat import v1 as tf1
                    resized = tf1.image.resize_images(x, [33, 100], method=tf1.image.ResizeMethod.NEAREST_NEIGHBOR)
                    scaled = resized / 255.0
                    return scaled - 0.5
                """, fixture.label)
            XCTAssertEqual(resolution.operations, [.resize(height: 33, width: 100, method: .nearestTF1), .affine(scale: Float(1 / 255.0), offset: -0.5)], fixture.label)
        }
    }

    /// `from keras import backend as B` and `import numpy as np, math` bind modules; `B.identity` is
    /// `keras.backend.identity`.
    func testImportsBindModulesUnderTheirAliases() throws {
        for (fixture, resolution) in try decompiled("def_import_numpy_math_alias") {
            XCTAssertTrue(resolution.decompiled.lambdaSource.hasPrefix("def scale(x): import numpy as np; import math; from keras import backend as B; "), fixture.label)
            XCTAssertEqual(resolution.decompiled.expression.substitutingLocals.source, "keras.backend.identity(x)[:, 10:] * 2.0 - 1.0", fixture.label)
        }
    }

    /// The first failing class: `STORE_FAST` of the parameter itself, then arithmetic on it.
    func testRebindingTheParameter() throws {
        for (fixture, resolution) in try decompiled("def_normalize_area") {
            XCTAssertEqual(resolution.operations, [.resize(height: 66, width: 200, method: .area), .affine(scale: Float(1 / 127.5), offset: -1)], fixture.label)
            XCTAssertEqual(resolution.decompiled.lambdaSource,
                           "def Normalize(img): img = K.tf.image.resize_images(img, (66, 200), method=K.tf.image.ResizeMethod.AREA); return img / 127.5 - 1.0",
                           fixture.label)
        }
    }

    /// A closure's cells (size, method) and keyword arguments resolve like literals.
    func testClosureCellsAndKeywords() throws {
        for (fixture, resolution) in try decompiled("def_closure_keywords") {
            XCTAssertEqual(resolution.operations, [.resize(height: 66, width: 200, method: .area)], fixture.label)
        }
    }

    /// Reading a local that was never assigned is a clear bytecode error, not a crash (hand-made 3.8 code:
    /// `LOAD_FAST 1; RETURN_VALUE` where local 1 is not a parameter).
    func testLocalReadBeforeAssignment() throws {
        var code = PythonCodeObject.lambda(layout: .python38to310, bytecode: [124, 1, 83, 0], constants: [.none])
        code.localNames = ["x", "y"]
        let function = try LambdaFunction(marshalledCode: MarshalWriter.code(code))
        XCTAssertThrowsError(try LambdaResolver.resolution(layerName: "lambda_1", function: function)) { error in
            guard case .unsupportedBytecode(_, let reason) = error as? LambdaResolutionError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("`y` before any assignment"), reason)
        }
    }
}
