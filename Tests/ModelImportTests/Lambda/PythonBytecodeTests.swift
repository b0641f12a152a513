import XCTest
@testable import ModelImport

/// Hand-assembled bytecode: Python 3.5 (no interpreter is available for it any more), EXTENDED_ARG,
/// and malformed code. Opcode numbers from CPython 3.5 `Lib/opcode.py`.
final class PythonBytecodeTests: XCTestCase {
    // 3.5 opcodes: 1 byte, or 3 bytes (opcode, 16-bit little-endian argument) from 90 up.
    let LOAD_FAST: UInt8 = 124, LOAD_CONST: UInt8 = 100, LOAD_GLOBAL: UInt8 = 116, LOAD_ATTR: UInt8 = 106
    let BINARY_TRUE_DIVIDE: UInt8 = 27, BINARY_SUBTRACT: UInt8 = 24, BINARY_SUBSCR: UInt8 = 25
    let BUILD_SLICE: UInt8 = 133, BUILD_TUPLE: UInt8 = 102, CALL_FUNCTION: UInt8 = 131
    let RETURN_VALUE: UInt8 = 83, EXTENDED_ARG: UInt8 = 144

    func resolve(_ code: PythonCodeObject) throws -> LambdaResolution {
        let function = try LambdaFunction(marshalledCode: MarshalWriter.code(code))
        return try LambdaResolver.resolution(layerName: "lambda_1", function: function)
    }

    /// The lambda of a real Keras 1.2 file: `|\x00\x00 d\x01\x00 \x1b d\x02\x00 \x18 S`, consts (None, 127.5, 1.0).
    func testPython35Normalisation() throws {
        let code = PythonCodeObject.lambda(
            layout: .python35to37,
            bytecode: [LOAD_FAST, 0, 0, LOAD_CONST, 1, 0, BINARY_TRUE_DIVIDE, LOAD_CONST, 2, 0, BINARY_SUBTRACT, RETURN_VALUE],
            constants: [.none, .float(127.5), .float(1.0)])
        let resolution = try resolve(code)
        XCTAssertEqual(resolution.operations, [.affine(scale: Float(1 / 127.5), offset: -1)])
        XCTAssertEqual(resolution.source, "x / 127.5 - 1.0")
        XCTAssertEqual(resolution.decompiled.dialects, [.python35])
        XCTAssertEqual(resolution.decompiled.pythonVersions, "3.5")
        XCTAssertEqual(resolution.decompiled.lambdaSource, "lambda x: x / 127.5 - 1.0")
    }

    /// Keras 1 stores the same bytes as raw_unicode_escape text in a `[code, defaults, closure]` list.
    func testPython35AsKeras1Text() throws {
        let bytes = MarshalWriter.code(.lambda(
            layout: .python35to37,
            bytecode: [LOAD_FAST, 0, 0, LOAD_CONST, 1, 0, BINARY_TRUE_DIVIDE, LOAD_CONST, 2, 0, BINARY_SUBTRACT, RETURN_VALUE],
            constants: [.none, .float(255), .float(0.5)]))
        var text = ""
        text.unicodeScalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        let function = try LambdaFunction(configValue: [text, NSNull(), NSNull()] as [Any], layerName: "lambda_1")
        XCTAssertEqual(function.encoding, .rawUnicodeEscape)
        XCTAssertEqual(function.marshalledCode, bytes)
        XCTAssertEqual(try LambdaResolver.resolve(layerName: "lambda_1", function: function), [.affine(scale: Float(1 / 255.0), offset: -0.5)])
    }

    /// 3.5 passes keywords as (name, value) pairs counted in CALL_FUNCTION's high byte.
    func testPython35ResizeWithKeywords() throws {
        let code = PythonCodeObject.lambda(
            layout: .python35to37,
            bytecode: [LOAD_GLOBAL, 0, 0, LOAD_ATTR, 1, 0, LOAD_ATTR, 2, 0, LOAD_FAST, 0, 0, LOAD_CONST, 1, 0,
                       LOAD_CONST, 2, 0, LOAD_CONST, 3, 0, LOAD_CONST, 4, 0, LOAD_CONST, 5, 0,
                       CALL_FUNCTION, 2, 2, RETURN_VALUE],
            constants: [.none, .tuple([.int(66), .int(200)]), .string("method"), .int(1), .string("align_corners"), .bool(true)],
            names: ["ktf", "image", "resize_images"])
        let resolution = try resolve(code)
        XCTAssertEqual(resolution.source, "ktf.image.resize_images(x, (66, 200), method=1, align_corners=True)")
        XCTAssertEqual(resolution.operations, [.resize(height: 66, width: 200, method: .nearestTF1AlignCorners)])
        XCTAssertEqual(resolution.decompiled.dialects, [.python35])
    }

    func testPython35Crop() throws {
        let code = PythonCodeObject.lambda(
            layout: .python35to37,
            bytecode: [LOAD_FAST, 0, 0, LOAD_CONST, 0, 0, LOAD_CONST, 0, 0, BUILD_SLICE, 2, 0,
                       LOAD_CONST, 1, 0, LOAD_CONST, 2, 0, BUILD_SLICE, 2, 0, BUILD_TUPLE, 2, 0, BINARY_SUBSCR, RETURN_VALUE],
            constants: [.none, .int(60), .int(-25)])
        let resolution = try resolve(code)
        XCTAssertEqual(resolution.source, "x[:, 60:-25]")
        XCTAssertEqual(resolution.operations, [.crop(rows: PythonSlice(start: 60, stop: -25), columns: .all)])
    }

    func testExtendedArgumentPython35() throws {
        // EXTENDED_ARG 1 + LOAD_CONST 0 → constant #65536.
        let constants = [PythonObject](repeating: .none, count: 65_536) + [.float(127.5)]
        let code = PythonCodeObject.lambda(
            layout: .python35to37,
            bytecode: [LOAD_FAST, 0, 0, EXTENDED_ARG, 1, 0, LOAD_CONST, 0, 0, BINARY_TRUE_DIVIDE, RETURN_VALUE],
            constants: constants)
        XCTAssertEqual(try resolve(code).operations, [.affine(scale: Float(1 / 127.5), offset: 0)])
    }

    func testExtendedArgumentWordcode() throws {
        // 3.6 wordcode: EXTENDED_ARG 1 + LOAD_CONST 1 → constant #257.
        let constants = [PythonObject](repeating: .none, count: 257) + [.float(2)]
        let code = PythonCodeObject.lambda(
            layout: .python35to37,
            bytecode: [LOAD_FAST, 0, EXTENDED_ARG, 1, LOAD_CONST, 1, BINARY_TRUE_DIVIDE, 0, RETURN_VALUE, 0],
            constants: constants)
        let resolution = try resolve(code)
        XCTAssertEqual(resolution.operations, [.affine(scale: 0.5, offset: 0)])
        XCTAssertEqual(resolution.decompiled.dialects, [.python36to37])
    }

    func testMalformedBytecodeIsATypedError() throws {
        let cases: [(String, [UInt8], [PythonObject])] = [
            ("constant out of range", [LOAD_FAST, 0, LOAD_CONST, 9, RETURN_VALUE, 0], [.none]),
            ("stack underflow", [BINARY_SUBTRACT, 0, RETURN_VALUE, 0], [.none]),
            ("no return", [LOAD_FAST, 0], [.none]),
            ("left on stack", [LOAD_FAST, 0, LOAD_FAST, 0, RETURN_VALUE, 0], [.none]),
            ("local variable", [124, 3, RETURN_VALUE, 0], [.none]),
            ("jump", [LOAD_FAST, 0, 114, 0, RETURN_VALUE, 0], [.none]),
            ("extended arg at end", [LOAD_FAST, 0, EXTENDED_ARG, 1], [.none]),
            ("empty", [], [.none]),
        ]
        for (label, bytecode, constants) in cases {
            let code = PythonCodeObject.lambda(layout: .python35to37, bytecode: bytecode, constants: constants)
            XCTAssertThrowsError(try resolve(code), label) { error in
                guard case .unsupportedBytecode(let layer, _)? = error as? LambdaResolutionError else {
                    return XCTFail("\(label): \(error)")
                }
                XCTAssertEqual(layer, "lambda_1")
            }
        }
    }

    func testPython311ClosureThroughLocalsPlusKinds() throws {
        // COPY_FREE_VARS 1, RESUME 0, LOAD_FAST 0, LOAD_DEREF 1, BINARY_OP 11 (/) + 1 CACHE, RETURN_VALUE.
        let code = PythonCodeObject.lambda(
            layout: .python311to312, bytecode: [149, 1, 151, 0, 124, 0, 137, 1, 122, 11, 0, 0, 83, 0],
            constants: [.none], freeVariables: ["scale"])
        let function = try LambdaFunction(configValue: [Array(MarshalWriter.code(code)).base64, NSNull(), [127.5]] as [Any], layerName: "l")
        let resolution = try LambdaResolver.resolution(layerName: "l", function: function)
        XCTAssertEqual(resolution.source, "x / scale")
        XCTAssertEqual(resolution.operations, [.affine(scale: Float(1 / 127.5), offset: 0)])
        XCTAssertEqual(resolution.decompiled.pythonVersions, "3.11 or 3.12")

        let withoutValue = try LambdaFunction(configValue: [Array(MarshalWriter.code(code)).base64, NSNull(), NSNull()] as [Any], layerName: "l")
        XCTAssertThrowsError(try LambdaResolver.resolve(layerName: "l", function: withoutValue)) { error in
            XCTAssertTrue("\(error)".contains("closure variable `scale`"), "\(error)")
        }
    }

    func testRendererParenthesises() {
        let x = PythonExpression.parameter(name: "x", index: 0, defaultValue: nil)
        func c(_ value: Double) -> PythonExpression { .constant(.float(value)) }
        XCTAssertEqual(PythonExpression.binary(.subtract, x, .binary(.subtract, c(1), x)).source, "x - (1.0 - x)")
        XCTAssertEqual(PythonExpression.binary(.multiply, .binary(.add, x, c(1)), c(2)).source, "(x + 1.0) * 2.0")
        XCTAssertEqual(PythonExpression.binary(.power, .binary(.power, x, c(2)), c(3)).source, "(x ** 2.0) ** 3.0")
        XCTAssertEqual(PythonExpression.binary(.power, .unary(.negative, x), c(2)).source, "(-x) ** 2.0")
        XCTAssertEqual(PythonExpression.binary(.multiply, x, c(-1)).source, "x * -1.0")
        XCTAssertEqual(PythonExpression.attribute(.constant(.int(-1)), "real").source, "(-1).real")
        XCTAssertEqual(PythonExpression.constant(.string("it's")).source, "\"it's\"")
        XCTAssertEqual(PythonExpression.constant(.tuple([.int(1)])).source, "(1,)")
        XCTAssertEqual(PythonExpression.constant(.float(1e-05)).source, "1e-05")
    }
}

fileprivate extension Array where Element == UInt8 {
    var base64: String { Data(self).base64EncodedString() }
}
