import Foundation
import TestSupport
import XCTest
@testable import ModelImport

/// The Lambda layers of the real third-party models in `../shared/data/models` (never copied into
/// the repository). Their `model_config` is read with h5py in a Python subprocess; the test skips
/// when the folder or h5py is absent.
final class LambdaRealModelTests: XCTestCase {
    func testNaokishibuyaKeras1Normalisation() throws {
        let resolutions = try resolveLambdas(in: "naokishibuya-pilotnet-keras1.h5")
        XCTAssertEqual(resolutions.map(\.layerName), ["lambda_1"])
        let lambda = try XCTUnwrap(resolutions.first)
        XCTAssertEqual(lambda.operations, [.affine(scale: Float(1 / 127.5), offset: -1)])
        XCTAssertEqual(lambda.source, "x / 127.5 - 1.0")
        XCTAssertEqual(lambda.decompiled.dialects, [.python35], "Keras 1.2.1 file: 1/3-byte instructions")
        XCTAssertEqual(lambda.function.encoding, .rawUnicodeEscape)
    }

    func testSvh2811Keras2ResizeThenNormalisation() throws {
        let resolutions = try resolveLambdas(in: "svh2811-pilotnet-bn-keras2.h5")
        XCTAssertEqual(resolutions.map(\.layerName), ["lambda_1", "lambda_2"])
        XCTAssertEqual(resolutions[0].operations, [.resize(height: 66, width: 200, method: .bilinearTF1)])
        XCTAssertEqual(resolutions[0].source, "tf.image.resize_images(x, (66, 200))")
        XCTAssertEqual(resolutions[1].operations, [.affine(scale: Float(1 / 255.0), offset: -0.5)])
        XCTAssertEqual(resolutions[1].source, "x / 255.0 - 0.5")
        for resolution in resolutions {
            XCTAssertEqual(resolution.decompiled.dialects, [.python36to37])
            XCTAssertEqual(resolution.function.encoding, .base64)
        }
    }

    struct RealResolution {
        var layerName: String
        var function: LambdaFunction
        var resolution: LambdaResolution
        var operations: [LambdaOperation] { resolution.operations }
        var source: String { resolution.source }
        var decompiled: DecompiledLambda { resolution.decompiled }
    }

    /// Resolves every Lambda layer of a shared model, in file order.
    func resolveLambdas(in file: String) throws -> [RealResolution] {
        let model = TestPaths.sharedData.appendingPathComponent("models/\(file)")
        guard FileManager.default.fileExists(atPath: model.path) else {
            throw XCTSkip("real model \(model.path) is absent (it lives in ../shared/data, outside the repository)")
        }
        let script = """
            import json, sys, h5py
            with h5py.File(sys.argv[1], "r") as f:
                config = f.attrs["model_config"]
            config = json.loads(config.decode() if isinstance(config, bytes) else config)
            layers = config["config"] if isinstance(config["config"], list) else config["config"]["layers"]
            json.dump([l["config"] for l in layers if l["class_name"] == "Lambda"], sys.stdout)
            """
        let output: Data
        do {
            output = try Self.run(["python3", "-c", script, model.path])
        } catch {
            throw XCTSkip("cannot read \(file) with python3 + h5py: \(error)")
        }
        let configs = try XCTUnwrap(JSONSerialization.jsonObject(with: output) as? [[String: Any]])
        return try configs.map { config in
            let name = try XCTUnwrap(config["name"] as? String)
            let function = try LambdaFunction(configValue: try XCTUnwrap(config["function"]), layerName: name)
            let byConfig = try LambdaResolver.resolution(layerName: name, config: config)
            let resolution = try LambdaResolver.resolution(layerName: name, function: function)
            XCTAssertEqual(byConfig, resolution)
            return RealResolution(layerName: name, function: function, resolution: resolution)
        }
    }

    struct SubprocessFailure: Error, CustomStringConvertible {
        var description: String
    }

    static func run(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: errors, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            throw SubprocessFailure(description: "exit \(process.terminationStatus): \(text)")
        }
        return output
    }
}
