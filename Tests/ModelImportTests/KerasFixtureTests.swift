import Foundation
import NeuralNet
import SteerLensSupport
import TestSupport
import XCTest
@testable import ModelImport

/// Loads every project-made Keras fixture (Tests/Fixtures/keras/<case>/, written by real TensorFlow) and
/// compares the forward output and the input gradient `∂(Σ seed ⊙ output)/∂input` with TensorFlow's,
/// element-wise with atol 1e-5 / rtol 1e-4.
final class KerasFixtureTests: XCTestCase {
    func testActivationELU() throws { try checkFixture("act_elu") }
    func testELULayer() throws { try checkFixture("act_elu_layer") }
    func testLeakyReLU() throws { try checkFixture("act_leaky_relu") }
    func testActivationReLU() throws { try checkFixture("act_relu") }
    func testReLULayer() throws { try checkFixture("act_relu_layer") }
    func testBatchNormalizationAfterConv() throws { try checkFixture("bn_conv") }
    func testBatchNormalizationAfterDense() throws { try checkFixture("bn_dense") }
    func testConv1x1() throws { try checkFixture("conv_1x1") }
    func testConvSameOdd() throws { try checkFixture("conv_same_odd") }
    func testConvValidStride() throws { try checkFixture("conv_valid_stride") }
    func testCropping2D() throws { try checkFixture("crop") }
    func testDenseStack() throws { try checkFixture("dense_stack") }
    func testKeras1FunctionalMerge() throws { try checkFixture("keras1_merge") }
    func testKeras1Sequential() throws { try checkFixture("keras1_synth") }
    func testLambdaCrop() throws { try checkFixture("lambda_crop") }
    func testLambdaNorm127() throws { try checkFixture("lambda_norm127") }
    func testLambdaNorm255() throws { try checkFixture("lambda_norm255") }
    func testLambdaResize() throws { try checkFixture("lambda_resize") }
    func testFunctionalTwoHeads() throws { try checkFixture("merge_two_heads") }
    func testPilotNetSmall() throws { try checkFixture("pilotnet_small") }
    func testAveragePoolingSame() throws { try checkFixture("pool_avg_same") }
    func testGlobalAveragePooling() throws { try checkFixture("pool_global_avg") }
    func testMaxPoolingSame() throws { try checkFixture("pool_max_same") }
    func testMaxPoolingValid() throws { try checkFixture("pool_max_valid") }
    func testRescaling() throws { try checkFixture("rescaling") }
    func testResizingArea() throws { try checkFixture("resizing_area") }
    func testResizingBilinear() throws { try checkFixture("resizing_bilinear") }
    func testSoftmaxHead() throws { try checkFixture("softmax_head") }
    func testWeightsOnlyWithArchitecture() throws { try checkFixture("weights_only") }
    func testZeroPadding() throws { try checkFixture("zeropad") }


    // Issue 12: BatchNormalization axes and modes, more layers, formats, classifier heads.
    func testBatchNormalizationOnRowsColumnsAndWithoutCenterOrScale() throws { try checkFixture("bn_axis_rows") }
    func testKeras1BatchNormalizationMode2OnRows() throws { try checkFixture("keras1_bn_mode2_rows") }
    func testKeras1BatchNormalizationMode1() throws { try checkFixture("keras1_bn_mode1") }
    func testSeparableConv2D() throws { try checkFixture("conv_separable") }
    func testDepthwiseConv2D() throws { try checkFixture("conv_depthwise") }
    func testDilatedConv2DWithoutBias() throws { try checkFixture("conv_dilated") }
    func testUpSampling2DNearestAndBilinear() throws { try checkFixture("upsampling") }
    func testGlobalMaxPooling() throws { try checkFixture("pool_global_max") }
    func testGlobalPoolingKeepDimensions() throws { try checkFixture("pool_global_keepdims") }
    func testCroppingAndPaddingForms() throws { try checkFixture("crop_pad_forms") }
    func testNoiseAndDropoutLayersAreIdentity() throws { try checkFixture("noise_dropout") }
    func testPermute() throws { try checkFixture("permute") }
    func testMergeLayersAndConcatenateAxes() throws { try checkFixture("merge_ops") }
    func testKeras3Activations() throws { try checkFixture("activations_keras3") }
    func testTFKerasActivations() throws { try checkFixture("activations_tfkeras") }
    func testKeras3ZipFile() throws { try checkFixture("keras_zip") }
    func testTFKeras26Functional() throws { try checkFixture("tfkeras26_functional") }
    func testCategoricalHead() throws { try checkFixture("categorical_head") }

    /// Every fixture folder has a test above, so a new fixture is never silently left out.
    func testEveryFixtureIsCovered() throws {
        let covered: Set<String> = [
            "act_elu", "act_elu_layer", "act_leaky_relu", "act_relu", "act_relu_layer", "bn_conv", "bn_dense",
            "conv_1x1", "conv_same_odd", "conv_valid_stride", "crop", "dense_stack", "keras1_merge", "keras1_synth",
            "lambda_crop", "lambda_norm127", "lambda_norm255", "lambda_resize", "merge_two_heads", "pilotnet_small",
            "pool_avg_same", "pool_global_avg", "pool_max_same", "pool_max_valid", "rescaling", "resizing_area",
            "resizing_bilinear", "softmax_head", "weights_only", "zeropad",
            "bn_axis_rows", "keras1_bn_mode2_rows", "keras1_bn_mode1", "conv_separable", "conv_depthwise", "conv_dilated",
            "upsampling", "pool_global_max", "pool_global_keepdims", "crop_pad_forms", "noise_dropout", "permute", "merge_ops", "activations_keras3",
            "activations_tfkeras", "keras_zip", "tfkeras26_functional", "categorical_head",
        ]
        let present = Set(try fixtureCases())
        XCTAssertEqual(present.subtracting(covered), [], "fixture folders without a test")
        XCTAssertEqual(covered.subtracting(present), [], "tests without a fixture folder")
    }

    // MARK: Helpers

    private func fixtureCases() throws -> [String] {
        let root = TestPaths.kerasFixtures
        guard FileManager.default.fileExists(atPath: root.path) else { throw XCTSkip("no fixtures at \(root.path)") }
        return try FileManager.default.contentsOfDirectory(atPath: root.path).filter {
            FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/case.json").path)
        }.sorted()
    }

    /// Loads `<case>/model.h5` (or `weights.h5` + `architecture.json`), runs `input.npy` and checks every
    /// output `k` and its gradient against `output[_k].npy` / `gradient[_k].npy` for seed `seed[_k].npy`.
    private func checkFixture(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = TestPaths.kerasFixtures.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("case.json").path) else {
            throw XCTSkip("fixture \(name) not present")
        }
        let fullModel = ["model.h5", "model.keras"].map { directory.appendingPathComponent($0) }
            .first { FileManager.default.fileExists(atPath: $0.path) }
        let loaded: LoadedModel
        if let fullModel {
            loaded = try KerasModelLoader.load(from: fullModel)
        } else {
            loaded = try KerasModelLoader.load(
                from: directory.appendingPathComponent("weights.h5"), architecture: directory.appendingPathComponent("architecture.json"))
        }
        let input = try NPYArray(contentsOf: directory.appendingPathComponent("input.npy"))
        let model = loaded.model
        XCTAssertEqual([input.shape[0]] + loaded.inputShape, input.shape, "\(name): input shape", file: file, line: line)
        let outputs = try model.forward(Tensor(shape: input.shape, scalars: input.values))
        for (k, output) in outputs.enumerated() {
            let suffix = k == 0 ? "" : "_\(k)"
            let expected = try NPYArray(contentsOf: directory.appendingPathComponent("output\(suffix).npy"))
            XCTAssertEqual(output.shape, expected.shape, "\(name): output \(k) shape", file: file, line: line)
            let forward = TensorComparison("\(name) output \(k)", actual: output.scalars, expected: expected.values, shape: expected.shape)
            XCTAssertTrue(forward.passed, forward.description, file: file, line: line)

            let seed = try NPYArray(contentsOf: directory.appendingPathComponent("seed\(suffix).npy"))
            let gradient = model.backward(output: k, seed: Tensor(shape: seed.shape, scalars: seed.values))
            let expectedGradient = try NPYArray(contentsOf: directory.appendingPathComponent("gradient\(suffix).npy"))
            XCTAssertEqual(gradient.shape, expectedGradient.shape, "\(name): gradient \(k) shape", file: file, line: line)
            let backward = TensorComparison("\(name) gradient \(k)", actual: gradient.scalars, expected: expectedGradient.values, shape: expectedGradient.shape)
            XCTAssertTrue(backward.passed, backward.description, file: file, line: line)
            print("fixture \(forward) | \(backward)")
        }
    }
}
