import Foundation
import SteerLensSupport
import TestSupport
import XCTest
@testable import ModelImport

/// JSON → KerasModelDescription for every Keras generation, including the real files' configs.
final class KerasArchitectureParserTests: XCTestCase {
    func testParsesRealKeras1Sequential() throws {
        let url = try TestPaths.shared("models/naokishibuya-pilotnet-keras1.h5")
        let root = try HDF5File(readingAt: url.path).rootGroup()
        let json = try XCTUnwrap(try root.stringAttribute("model_config"))
        let model = try KerasArchitectureParser.parse(json: json, source: url.path, kerasVersion: "1.2.1")
        XCTAssertEqual(model.generation, .keras1)
        XCTAssertEqual(model.modelClass, "Sequential")
        XCTAssertEqual(model.layers.map(\.className).prefix(3), ["InputLayer", "Lambda", "Convolution2D"])
        XCTAssertEqual(model.layers[1].inbound, [KerasTensorReference(layer: "lambda_1_input")])
        XCTAssertEqual(try model.layers[0].config.shape("batch_input_shape"), [nil, 66, 200, 3])
        XCTAssertEqual(model.outputs, [KerasTensorReference(layer: "dense_4")])
        XCTAssertEqual(try model.layers[2].config.int("nb_filter"), 24)
        XCTAssertEqual(try model.layers[2].config.intPair("subsample").0, 2)
    }

    func testParsesRealKeras2Sequential() throws {
        let url = try TestPaths.shared("models/svh2811-pilotnet-bn-keras2.h5")
        let root = try HDF5File(readingAt: url.path).rootGroup()
        let json = try XCTUnwrap(try root.stringAttribute("model_config"))
        let model = try KerasArchitectureParser.parse(json: json, source: url.path, kerasVersion: "2.2.2")
        XCTAssertEqual(model.generation, .keras2)
        XCTAssertEqual(model.layers.count, 32)
        XCTAssertEqual(model.layers[1].className, "Cropping2D")
        XCTAssertEqual(try model.layers[0].config.shape("batch_input_shape"), [nil, 160, 320, 3])
    }

    func testDoubleEncodedJSON() throws {
        let inner = #"{"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {"name": "d", "output_dim": 2, "batch_input_shape": [null, 3]}}]}"#
        let outer = String(data: try JSONSerialization.data(withJSONObject: inner, options: [.fragmentsAllowed]), encoding: .utf8)!
        let model = try KerasArchitectureParser.parse(json: outer, source: "x.json")
        XCTAssertEqual(model.layers.map(\.name), ["d_input", "d"])
        XCTAssertEqual(model.generation, .keras1)
    }

    func testKeras2SequentialDictAndFunctional() throws {
        let sequential = #"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [null, 4]}}, {"class_name": "Dense", "config": {"name": "d", "units": 2}}]}}"#
        let model = try KerasArchitectureParser.parse(json: sequential, source: "s.json")
        XCTAssertEqual(model.layers.map(\.name), ["in", "d"])
        XCTAssertEqual(model.inputs, [KerasTensorReference(layer: "in")])

        let functional = #"""
        {"class_name": "Model", "config": {"name": "m", "layers": [
          {"name": "a", "class_name": "InputLayer", "config": {"name": "a", "batch_input_shape": [null, 4]}, "inbound_nodes": []},
          {"name": "d1", "class_name": "Dense", "config": {"name": "d1", "units": 4}, "inbound_nodes": [[["a", 0, 0, {}]]]},
          {"name": "add", "class_name": "Add", "config": {"name": "add"}, "inbound_nodes": [[["a", 0, 0, {}], ["d1", 0, 0, {}]]]}],
          "input_layers": [["a", 0, 0]], "output_layers": [["add", 0, 0]]}}
        """#
        let graph = try KerasArchitectureParser.parse(json: functional, source: "f.json")
        XCTAssertEqual(graph.layer(named: "add")?.inbound.map(\.layer), ["a", "d1"])
        XCTAssertEqual(graph.outputs, [KerasTensorReference(layer: "add")])
    }

    func testKeras3Functional() throws {
        let json = #"""
        {"module": "keras", "class_name": "Functional", "config": {"name": "f", "layers": [
          {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 3], "dtype": "float32", "name": "x"}, "registered_name": null, "name": "x", "inbound_nodes": []},
          {"module": "keras.layers", "class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": [3, 3], "activation": {"module": "keras.activations", "class_name": "function", "config": "relu", "registered_name": "function"}, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}}, "registered_name": null, "build_config": {"input_shape": [null, 8, 8, 3]}, "name": "c",
           "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 8, 8, 3], "dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]},
          {"module": "keras.layers", "class_name": "Add", "config": {"name": "s"}, "registered_name": null, "name": "s",
           "inbound_nodes": [{"args": [[{"class_name": "__keras_tensor__", "config": {"keras_history": ["c", 0, 0]}}, {"class_name": "__keras_tensor__", "config": {"keras_history": ["c", 0, 0]}}]], "kwargs": {}}]}],
          "input_layers": ["x", 0, 0], "output_layers": ["s", 0, 0]}}
        """#
        let model = try KerasArchitectureParser.parse(json: json, source: "k3.json")
        XCTAssertEqual(model.generation, .keras3)
        XCTAssertEqual(model.inputs, [KerasTensorReference(layer: "x")])
        XCTAssertEqual(model.layer(named: "s")?.inbound.map(\.layer), ["c", "c"])
        XCTAssertEqual(try model.layer(named: "c")?.config.string("activation"), "relu")
    }

    func testBadJSONIsAClearError() {
        XCTAssertThrowsError(try KerasArchitectureParser.parse(json: "{not json", source: "bad.json")) { error in
            guard case ModelImportError.invalidArchitecture(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "bad.json")
        }
        XCTAssertThrowsError(try KerasArchitectureParser.parse(json: #"{"class_name": "Graph", "config": {}}"#, source: "g.json"))
    }

    func testWeightRoles() {
        XCTAssertEqual(KerasWeightRole(weightName: "conv2d_1/kernel:0"), .kernel)
        XCTAssertEqual(KerasWeightRole(weightName: "convolution2d_1_W:0"), .kernel)
        XCTAssertEqual(KerasWeightRole(weightName: "dense_1_b:0"), .bias)
        XCTAssertEqual(KerasWeightRole(weightName: "batchnormalization_1_running_std:0"), .movingVariance)
        XCTAssertEqual(KerasWeightRole(weightName: "batch_normalization_1/moving_mean:0"), .movingMean)
        XCTAssertEqual(KerasWeightRole(weightName: "gamma"), .gamma)
        XCTAssertNil(KerasWeightRole(weightName: "dense_1/mystery:0"))
    }
}
