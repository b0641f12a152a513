import XCTest
import NeuralNet
@testable import ModelImport

/// The `--lambda NAME=EXPR` language.
final class LambdaExpressionTests: XCTestCase {
    func parse(_ text: String) throws -> [LambdaOperation] { try LambdaExpression.parse(text) }

    func testAffineForms() throws {
        let cases: [(String, Double, Double)] = [
            ("x/127.5-1", 1 / 127.5, -1), ("x/255-0.5", 1 / 255, -0.5), ("x/255.0 - 0.5", 1 / 255, -0.5),
            ("2*x/255-1", 2 / 255, -1), ("(x-128)/128", 1 / 128, -1), ("x*0.0039", 0.0039, 0),
            ("x*(1/255)", 1 / 255, 0), ("-x+1", -1, 1), ("1 - x", -1, 1), ("x * 2e-1 + .5", 0.2, 0.5),
            ("-(x - 1) / -2", 0.5, -0.5), ("x + x", 2, 0),
        ]
        for (text, scale, offset) in cases {
            XCTAssertEqual(try parse(text), [.affine(scale: Float(scale), offset: Float(offset))], text)
        }
        XCTAssertEqual(try parse("x"), [.identity])
        XCTAssertEqual(try parse("identity"), [.identity])
        XCTAssertEqual(try parse("(x)*1+0"), [.identity])
    }

    func testResizeCropAndSequences() throws {
        XCTAssertEqual(try parse("resize(66,200)"), [.resize(height: 66, width: 200, method: .bilinearHalfPixel)])
        XCTAssertEqual(try parse("resize(66, 200, bilinear_tf1)"), [.resize(height: 66, width: 200, method: .bilinearTF1)])
        XCTAssertEqual(try parse("resize(66,200,AREA)"), [.resize(height: 66, width: 200, method: .area)])
        XCTAssertEqual(try parse("crop(60,-25,,)"), [.crop(rows: PythonSlice(start: 60, stop: -25), columns: .all)])
        XCTAssertEqual(try parse("crop(None,-25,10,None)"), [.crop(rows: PythonSlice(start: nil, stop: -25), columns: PythonSlice(start: 10, stop: nil))])
        XCTAssertEqual(try parse("crop(,,,)"), [.identity])
        XCTAssertEqual(
            try parse("crop(48,-22,,); resize(66,200,bilinear_tf1); x/255-0.5"),
            [.crop(rows: PythonSlice(start: 48, stop: -22), columns: .all),
             .resize(height: 66, width: 200, method: .bilinearTF1), .affine(scale: Float(1 / 255.0), offset: -0.5)])
        let declaration = try LambdaExpression.parseDeclaration("lambda_1=x/127.5-1")
        XCTAssertEqual(declaration.layerName, "lambda_1")
        XCTAssertEqual(declaration.operations, [.affine(scale: Float(1 / 127.5), offset: -1)])
    }

    func testRejections() {
        func assertError(_ text: String, _ expected: LambdaExpressionError, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try LambdaExpression.parse(text), file: file, line: line) { error in
                XCTAssertEqual(error as? LambdaExpressionError, expected, file: file, line: line)
                XCTAssertEqual((error as? LambdaExpressionError)?.kind, .usage, file: file, line: line)
            }
        }
        assertError("x/0", .notAffine(expression: "x/0", reason: "it divides by zero"))
        assertError("max(3)+1", .notAffine(expression: "max(3)+1", reason: "it does not use x"))
        assertError("sin(x)", .unknownFunction(expression: "sin(x)", name: "sin"))
        assertError("min(x,axis)", .syntax(expression: "min(x,axis)", column: 11, expected: "'='"))
        assertError("42", .notAffine(expression: "42", reason: "it does not use x"))
        assertError("x/127.5-", .syntax(expression: "x/127.5-", column: 9, expected: "a number, x or '('"))
        assertError("(x", .syntax(expression: "(x", column: 3, expected: "')'"))
        assertError("x 2", .syntax(expression: "x 2", column: 3, expected: "';' or the end"))
        assertError("resize(66)", .badArguments(expression: "resize(66)", function: "resize", reason: "takes (height,width) or (height,width,method)"))
        assertError("crop(1,2,3)", .badArguments(expression: "crop(1,2,3)", function: "crop", reason: "takes (top,bottom,left,right); leave a bound empty for the edge"))
        XCTAssertThrowsError(try LambdaExpression.parse("resize(66,200,lanczos)")) { error in
            XCTAssertTrue("\(error)".contains("bilinear_tf1"), "lists the methods: \(error)")
        }
        XCTAssertThrowsError(try LambdaExpression.parseDeclaration("x/127.5-1")) { error in
            XCTAssertEqual(error as? LambdaExpressionError, .missingLayerName(argument: "x/127.5-1"))
        }
    }

    /// ``LambdaOperation/description`` prints the expression language, and parses back to the same value.
    func testDescriptionsRoundTrip() throws {
        let operations: [LambdaOperation] = [
            .affine(scale: Float(1 / 127.5), offset: -1), .affine(scale: 2, offset: 0.5), .affine(scale: -1, offset: 0),
            .resize(height: 66, width: 200, method: .nearestTF1AlignCorners),
            .crop(rows: PythonSlice(start: 60, stop: -25), columns: PythonSlice(start: nil, stop: 300)),
        ] + ResizeMethod.allCases.map { .resize(height: 1, width: 2, method: $0) }
        for operation in operations {
            XCTAssertEqual(try parse(operation.description), [operation], operation.description)
        }
        XCTAssertEqual(LambdaOperation.affine(scale: 0.5, offset: -1).description, "x*0.5-1.0")
        XCTAssertEqual(LambdaOperation.crop(rows: PythonSlice(start: 60, stop: -25), columns: .all).description, "crop(60,-25,,)")
    }

    /// Arithmetic that is not affine is one tensor-expression step, and prints back the same way.
    func testTensorExpressions() throws {
        let x = TensorExpression.input
        XCTAssertEqual(try parse("x*x"), [.tensor(.binary(.multiply, x, x))])
        XCTAssertEqual(try parse("1/x"), [.tensor(.binary(.divide, .scalar(1), x))])
        let minMax = "(x-min(x))/(max(x)-min(x)+1e-07)"
        XCTAssertEqual(try parse(minMax).map(\.description), [minMax])
        XCTAssertEqual(try parse("x - [123.68, 116.78, 103.94]"),
                       [.tensor(.binary(.subtract, x, .constant(values: [123.68, 116.78, 103.94], shape: [3])))])
        let texts = [
            "relu(x)*2.0", "tanh(sigmoid(x)-0.5)", "mean(x,axis=1|2,keepdims)", "sum(abs(x),axis=-1)",
            "maximum(x,0.5)-minimum(x*(-2.0),1.0)", "mix(x,3,[0.2989,0.587,0.114])", "sqrt(square(x)+exp(log(x)))",
            "concatenate(x,relu(x),x*2.0,axis=-1)", "expand_dims(max(x,axis=3),axis=3)", "standardize(tanh(x))",
            "rgb_to_hsv(x/255.0)*2.0", "reverse(reverse(x,axis=-1),axis=2)",
        ]
        for text in texts {
            let operations = try parse(text)
            XCTAssertEqual(operations.count, 1, text)
            XCTAssertEqual(operations.map(\.description), [text], text)
            XCTAssertEqual(try parse(operations[0].description), operations, text)
        }
        XCTAssertEqual(try parse("crop(60,-25,,); x/127.5-1; (x-min(x))/(max(x)-min(x))").count, 3)
    }

    func testPythonSliceRanges() {
        XCTAssertEqual(PythonSlice(start: 60, stop: -25).range(count: 160), 60..<135)
        XCTAssertEqual(PythonSlice.all.range(count: 7), 0..<7)
        XCTAssertEqual(PythonSlice(start: -300, stop: 500).range(count: 160), 0..<160)
        XCTAssertEqual(PythonSlice(start: 100, stop: 50).range(count: 160), 100..<100)
        XCTAssertEqual(PythonSlice(start: nil, stop: -1).range(count: 3), 0..<2)
        XCTAssertEqual(PythonSlice(start: 60, stop: -25).description, "60:-25")
    }
}
