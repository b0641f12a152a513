import Foundation
import NeuralNet
import XCTest
@testable import ModelImport

/// Keras settings → NeuralNet layers for cases the TensorFlow fixtures cannot cover (Keras 1 only modes,
/// spellings), built from JSON and in-memory weights.
final class KerasLayerMappingTests: XCTestCase {
    private func build(_ json: String, weights: [String: [KerasWeight]] = [:], overrides: [String: [LambdaOperation]] = [:]) throws -> KerasGraphBuilder.Result {
        let description = try KerasArchitectureParser.parse(json: json, source: "test.json")
        let store = KerasWeightStore(layerNames: weights.keys.sorted(), weights: weights)
        return try KerasGraphBuilder(description: description, weights: store, lambdaOverrides: overrides).build()
    }

    private func keras1BatchNormalization(mode: Int) -> String {
        #"{"class_name": "Sequential", "config": [{"class_name": "BatchNormalization", "config": {"name": "bn", "mode": "# + "\(mode)"
            + #", "axis": -1, "epsilon": 0.001, "momentum": 0.99, "batch_input_shape": [null, 2, 2, 3]}}]}"#
    }

    private let bnWeights: [String: [KerasWeight]] = ["bn": [
        KerasWeight(name: "bn_gamma:0", shape: [3], values: [1, 2, 3]),
        KerasWeight(name: "bn_beta:0", shape: [3], values: [0, 0, 0]),
        KerasWeight(name: "bn_running_mean:0", shape: [3], values: [0, 0, 0]),
        KerasWeight(name: "bn_running_std:0", shape: [3], values: [1, 1, 1]),
    ]]

    func testKeras1BatchNormalizationModes() throws {
        let inference = try build(keras1BatchNormalization(mode: 0), weights: bnWeights)
        XCTAssertEqual((inference.model.layer(named: "bn") as? NeuralNet.BatchNormalization)?.statistics, .moving)
        let perSample = try build(keras1BatchNormalization(mode: 2), weights: bnWeights)
        XCTAssertEqual((perSample.model.layer(named: "bn") as? NeuralNet.BatchNormalization)?.statistics, .perSample)
        let sampleWise = try build(keras1BatchNormalization(mode: 1), weights: bnWeights)
        XCTAssertEqual((sampleWise.model.layer(named: "bn") as? NeuralNet.BatchNormalization)?.statistics, .sampleWise)
        XCTAssertThrowsError(try build(keras1BatchNormalization(mode: 3), weights: bnWeights)) { error in
            guard case ModelImportError.unsupportedConfig(let layer, let detail) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(layer, "bn")
            XCTAssertTrue(detail.contains("mode=3"), detail)
        }
    }

    func testBatchNormalizationAxisIsReadWithTheBatchCounted() throws {
        // Keras 1.2 BatchNormalization(mode=2, axis=1) on [N, 2, 4, 3]: gamma/beta (and the unused running
        // statistics) have H = 2 entries and the layer normalises rows.
        let json = #"{"class_name": "Sequential", "config": [{"class_name": "BatchNormalization", "config": {"name": "bn", "mode": 2, "axis": 1, "epsilon": 0.001, "momentum": 0.99, "batch_input_shape": [null, 2, 4, 3]}}]}"#
        let rows: [String: [KerasWeight]] = ["bn": [
            KerasWeight(name: "bn_gamma:0", shape: [2], values: [1, 2]), KerasWeight(name: "bn_beta:0", shape: [2], values: [0, 1]),
            KerasWeight(name: "bn_running_mean:0", shape: [2], values: [0, 0]), KerasWeight(name: "bn_running_std:0", shape: [2], values: [1, 1]),
        ]]
        let layer = try XCTUnwrap(try build(json, weights: rows).model.layer(named: "bn") as? NeuralNet.BatchNormalization)
        XCTAssertEqual(layer.axis, 0)
        XCTAssertEqual(layer.statistics, .perSample)
        XCTAssertEqual(layer.channels, 2)
        // axis=3 and axis=-1 both mean the channels; a list of one axis is accepted; the batch axis is not.
        for axis in ["3", "-1", "[3]"] {
            let channels = json.replacingOccurrences(of: #""axis": 1"#, with: #""axis": \#(axis)"#)
            let built = try build(channels, weights: bnWeights)
            XCTAssertEqual((built.model.layer(named: "bn") as? NeuralNet.BatchNormalization)?.axis, -1, axis)
        }
        XCTAssertThrowsError(try build(json.replacingOccurrences(of: #""axis": 1"#, with: #""axis": 0"#), weights: rows))
        XCTAssertThrowsError(try build(json.replacingOccurrences(of: #""axis": 1"#, with: #""axis": [1, 2]"#), weights: rows))
    }

    func testKeras1RunningStdIsTheVariance() throws {
        var weights = bnWeights
        weights["bn"]![3] = KerasWeight(name: "bn_running_std:0", shape: [3], values: [4, 4, 4])
        let result = try build(keras1BatchNormalization(mode: 0), weights: weights)
        let output = try result.model.forward(Tensor(repeating: 2, shape: [1, 2, 2, 3]))
        // (2 − 0) / √(4 + 0.001) · γ
        XCTAssertEqual(output[0].scalars[0], 2 / (4.001 as Float).squareRoot(), accuracy: 1e-6)
    }

    func testLambdaOperationsMapOntoLayersAndIdentityIsAnAlias() throws {
        let json = #"""
        {"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [null, 10, 12, 3]}},
          {"class_name": "Lambda", "config": {"name": "pre", "function": "x"}},
          {"class_name": "Lambda", "config": {"name": "same", "function": "x"}},
          {"class_name": "Flatten", "config": {"name": "f"}}]}}
        """#
        let overrides: [String: [LambdaOperation]] = [
            "pre": [.crop(rows: PythonSlice(start: 1, stop: -2), columns: PythonSlice(start: 2, stop: nil)),
                    .resize(height: 4, width: 5, method: .bilinearTF1), .affine(scale: 0.5, offset: -1)],
            "same": [.identity],
        ]
        let result = try build(json, overrides: overrides)
        XCTAssertEqual(result.model.nodeNames, ["in", "pre/1", "pre/2", "pre", "f"])
        let crop = try XCTUnwrap(result.model.layer(named: "pre/1") as? NeuralNet.Cropping2D)
        XCTAssertEqual([crop.top, crop.bottom, crop.left, crop.right], [1, 2, 2, 0])
        XCTAssertEqual((result.model.layer(named: "pre/2") as? NeuralNet.Resizing)?.method, .bilinearLegacy)
        XCTAssertEqual(result.rows.map(\.name), ["in", "pre", "same", "f"])
        XCTAssertEqual(result.rows[2].outputShape, [4, 5, 3])
        XCTAssertEqual(result.lambdaResolutions.map(\.source), [.override, .override])
        XCTAssertEqual(result.model.outputShapes, [[60]])
    }

    func testKeras1MergeModesAndAtrousConvolution() throws {
        for (mode, operation) in [("mul", NeuralNet.ElementwiseMerge.Operation.multiply), ("ave", .average), ("max", .maximum)] {
            let json = #"""
            {"class_name": "Model", "config": {"name": "m", "layers": [
              {"name": "a", "class_name": "InputLayer", "config": {"name": "a", "batch_input_shape": [null, 3]}, "inbound_nodes": []},
              {"name": "b", "class_name": "InputLayer", "config": {"name": "b", "batch_input_shape": [null, 3]}, "inbound_nodes": []},
              {"name": "merge", "class_name": "Merge", "config": {"name": "merge", "mode": "MODE"}, "inbound_nodes": [[["a", 0, 0], ["b", 0, 0]]]}],
              "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": [["merge", 0, 0]]}}
            """#.replacingOccurrences(of: "MODE", with: mode)
            XCTAssertEqual((try build(json).model.layer(named: "merge") as? NeuralNet.ElementwiseMerge)?.operation, operation, mode)
        }
        // Keras 1 AtrousConvolution2D(atrous_rate=(2, 2)) with a 3x3 kernel runs as the 5x5 dilated kernel.
        let atrous = #"{"class_name": "Sequential", "config": [{"class_name": "AtrousConvolution2D", "config": {"name": "c", "nb_filter": 1, "nb_row": 3, "nb_col": 3, "atrous_rate": [2, 2], "border_mode": "valid", "dim_ordering": "tf", "activation": "linear", "bias": false, "batch_input_shape": [null, 6, 6, 1]}}]}"#
        let kernel = KerasWeight(name: "c_W:0", shape: [3, 3, 1, 1], values: (1...9).map(Float.init))
        let conv = try XCTUnwrap(try build(atrous, weights: ["c": [kernel]]).model.layer(named: "c") as? NeuralNet.Conv2D)
        XCTAssertEqual(conv.kernel.shape, [5, 5, 1, 1])
        XCTAssertEqual(conv.kernel.scalars.enumerated().filter { $0.element != 0 }.map(\.offset), [0, 2, 4, 10, 12, 14, 20, 22, 24])
    }

    func testKeras3LeakyReLUAndKeras2Alpha() throws {
        let keras3 = #"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"name": "in", "batch_shape": [null, 2]}}, {"module": "keras.layers", "class_name": "LeakyReLU", "config": {"name": "l", "negative_slope": 0.1}, "registered_name": null}]}}"#
        XCTAssertEqual((try build(keras3).model.layer(named: "l") as? NeuralNet.LeakyReLU)?.alpha, 0.1)
        let keras2 = #"{"class_name": "Sequential", "config": [{"class_name": "LeakyReLU", "config": {"name": "l", "alpha": 0.25, "batch_input_shape": [null, 2]}}]}"#
        XCTAssertEqual((try build(keras2).model.layer(named: "l") as? NeuralNet.LeakyReLU)?.alpha, 0.25)
    }

    /// Window extents, strides, dilations and sizes outside 1…65536 are refused with the layer's name,
    /// in every spelling (a crafted `strides: [9223372036854775807, 1]` overflowed the window arithmetic).
    func testWindowExtentsOutOfRangeAreUnsupported() {
        let huge = "9223372036854775807"
        let layers = [#""class_name": "Conv2D", "config": {"name": "l", "filters": 1, "kernel_size": [3, 3], "strides": [\#(huge), 1], "padding": "same""#,
                      #""class_name": "Conv2D", "config": {"name": "l", "filters": 1, "kernel_size": 0"#,
                      #""class_name": "Conv2D", "config": {"name": "l", "filters": 1, "kernel_size": [3, 3], "dilation_rate": 70000"#,
                      #""class_name": "Convolution2D", "config": {"name": "l", "nb_filter": 1, "nb_row": \#(huge), "nb_col": 3"#,
                      #""class_name": "MaxPooling2D", "config": {"name": "l", "pool_size": [2, -2]"#,
                      #""class_name": "UpSampling2D", "config": {"name": "l", "size": \#(huge)"#,
                      #""class_name": "Resizing", "config": {"name": "l", "height": \#(huge), "width": 8"#]
        for layer in layers {
            let json = #"{"class_name": "Sequential", "config": [{"# + layer + #", "batch_input_shape": [null, 8, 8, 1]}}]}"#
            XCTAssertThrowsError(try build(json), layer) { error in
                guard case ModelImportError.unsupportedConfig(let name, let detail) = error else { return XCTFail("\(layer): \(error)") }
                XCTAssertEqual(name, "l", layer)
                XCTAssertTrue(detail.contains("1…65536"), detail)
            }
        }
    }

    /// Shapes a crafted config could blow past Int (borders, reshape targets, the input, an upsampling's
    /// output) are refused naming the layer: the crop and padding arithmetic and Reshape's products trapped.
    func testShapesBeyondAnItemsLimitAreUnsupported() {
        let huge = "9223372036854775807"
        let cases: [(layers: String, input: String, fragment: String)] = [
            (#"{"class_name": "Cropping2D", "config": {"name": "l", "cropping": [[\#(huge), \#(huge)], [0, 0]]"#, "8, 8, 1", "0…65536"),
            (#"{"class_name": "ZeroPadding2D", "config": {"name": "l", "padding": [[\#(huge), 1], [0, 0]]"#, "8, 8, 1", "0…65536"),
            (#"{"class_name": "Reshape", "config": {"name": "l", "target_shape": [\#(huge), 2]"#, "8, 8, 1", "bad target shape"),
            (#"{"class_name": "Flatten", "config": {"name": "l""#, "\(huge), 8, 1", "more than 268435456 values"),
            (#"{"class_name": "UpSampling2D", "config": {"name": "l", "size": 65536"#, "8, 8, 1", "more than 268435456 values"),
        ]
        for (layer, input, fragment) in cases {
            let json = #"{"class_name": "Sequential", "config": ["# + layer + #", "batch_input_shape": [null, "# + input + #"]}}]}"#
            XCTAssertThrowsError(try build(json), layer) { error in
                guard case ModelImportError.unsupportedConfig(_, let detail) = error else { return XCTFail("\(layer): \(error)") }
                XCTAssertTrue(detail.contains(fragment), "\(fragment) in \(detail)")
            }
        }
    }

    func testVariableInputSizeIsUnsupported() {
        let json = #"{"class_name": "Sequential", "config": [{"class_name": "Flatten", "config": {"name": "f", "batch_input_shape": [null, null, null, 3]}}]}"#
        XCTAssertThrowsError(try build(json)) { error in
            guard case ModelImportError.unsupportedConfig(let layer, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(layer, "f_input")
        }
    }
}
