import Foundation
import ModelImport
import NeuralNet
import SteerLensSupport
import TestSupport
import XCTest
@testable import Saliency

/// Grad-CAM, VisualBackProp, SmoothGrad and integrated gradients against references computed by real
/// TensorFlow / SciPy / tf-keras-vis (`Tests/Fixtures/methods`, `generate_method_fixtures.py`), on the
/// project's fixture models (`Tests/Fixtures/saliency/<case>/model.h5`) and, when `../shared/data` is
/// present, on a real third-party PilotNet.
final class MethodFixtureTests: XCTestCase {
    static let cases = ["pilotnet_elu", "pilotnet_relu"]
    let methods = TestPaths.fixtures.appendingPathComponent("methods")

    func load(_ name: String) throws -> (model: Model, input: Tensor) {
        let folder = TestPaths.fixtures.appendingPathComponent("saliency/\(name)")
        let model = try KerasModelLoader.load(from: folder.appendingPathComponent("model.h5")).model
        let input = try NPYArray(contentsOf: folder.appendingPathComponent("input.npy"))
        return (model, Tensor(shape: input.shape, scalars: input.values))
    }

    func reference(_ name: String, _ file: String) throws -> NPYArray {
        try NPYArray(contentsOf: methods.appendingPathComponent("\(name)/\(file).npy"))
    }

    func assertClose(_ actual: [Float], _ expected: NPYArray, atol: Float, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let comparison = TensorComparison(label, actual: actual, expected: expected.values, shape: expected.shape, atol: atol, rtol: 0)
        XCTAssertTrue(comparison.passed, comparison.description, file: file, line: line)
    }

    // MARK: Grad-CAM

    func testGradCAMPicksKerasVisPenultimateLayer() throws {
        for name in Self.cases {
            let (model, _) = try load(name)
            XCTAssertEqual(try GradCAMExplainer.penultimateLayer(of: model, objective: .output(index: 0, unit: 0)), "conv3", name)
        }
    }

    func testGradCAMIncreaseAndDecreaseMatchKerasVisFormulaInTensorFlow() throws {
        for name in Self.cases {
            let (model, input) = try load(name)
            let explainer = try GradCAMExplainer(model: model, objective: .output(index: 0, unit: 0), kinds: SaliencyMapKind.steering)
            let outputs = try model.forward(input)
            let result = try explainer.explain(input, outputs: outputs)
            for kind in [SaliencyMapKind.increase, .decrease] {
                assertClose(result.maps[kind]!.display.scalars, try reference(name, "gradcam_\(kind.name)"), atol: 2e-4, "\(name) gradcam \(kind)")
                XCTAssertTrue(result.maps[kind]!.importance.scalars.allSatisfy { $0 >= 0 })
            }
        }
    }

    /// The maintain CAM divides by max |1/(g+ε)|, which last-bit differences in g move a lot: check the
    /// formula on TensorFlow's own A and ∂y/∂A.
    func testGradCAMMaintainFormulaOnTensorFlowGradients() throws {
        for name in Self.cases {
            let activation = try reference(name, "cam_activation"), gradient = try reference(name, "cam_gradient")
            let expected = try reference(name, "gradcam_maintain")
            let (items, rows, columns, channels) = (activation.shape[0], activation.shape[1], activation.shape[2], activation.shape[3])
            let count = rows * columns * channels
            var maps: [Float] = []
            for item in 0..<items {
                let heat = GradCAMExplainer.heatMap(activation: activation.values[(item * count)..<((item + 1) * count)],
                                                    gradient: gradient.values[(item * count)..<((item + 1) * count)],
                                                    rows: rows, columns: columns, channels: channels, modifier: .smallValues)
                maps += GradCAMExplainer.normalised(SplineZoom.zoom(heat.map(Double.init), height: rows, width: columns,
                                                                    outputHeight: expected.shape[1], outputWidth: expected.shape[2]).map { Float($0) })
            }
            assertClose(maps, expected, atol: 2e-4, "\(name) gradcam maintain formula")
        }
    }

    /// tf-keras-vis' Gradcam differs (no division by max(grads), bilinear resize): the maps must differ,
    /// which is why parity is against keras-vis' formula (README, "Grad-CAM: keras-vis vs tf-keras-vis").
    func testTfKerasVisGradcamIsADifferentMap() throws {
        for name in Self.cases {
            let ours = try reference(name, "gradcam_increase"), theirs = try reference(name, "gradcam_tfkerasvis_increase")
            XCTAssertGreaterThan(zip(ours.values, theirs.values).map { abs($0 - $1) }.max()!, 0.01, name)
        }
    }

    func testSplineZoomIsExactOnConstantsAndInterpolatesCorners() {
        let constant = SplineZoom.zoom([Double](repeating: 0.25, count: 6), height: 2, width: 3, outputHeight: 7, outputWidth: 11)
        XCTAssertTrue(constant.allSatisfy { abs($0 - 0.25) < 1e-12 })
        // grid_mode=False: corners are samples of the input.
        let values: [Double] = [1, 5, 2, 7, 3, 4, 0, 9, 6]
        let zoomed = SplineZoom.zoom(values, height: 3, width: 3, outputHeight: 5, outputWidth: 7)
        XCTAssertEqual(zoomed[0], 1, accuracy: 1e-9)
        XCTAssertEqual(zoomed[6], 2, accuracy: 1e-9)
        XCTAssertEqual(zoomed[34], 6, accuracy: 1e-9)
        XCTAssertEqual(zoomed[17], 3, accuracy: 1e-9)  // the centre (row 2, column 3) is input (1, 1)
    }

    // MARK: VisualBackProp

    func testVisualBackPropMatchesNumPyReference() throws {
        for name in Self.cases {
            let (model, input) = try load(name)
            let explainer = try VisualBackPropExplainer(model: model)
            XCTAssertEqual(explainer.plan.stages.map(\.convolution), ["conv1", "conv2", "conv3"])
            let outputs = try model.forward(input)
            let result = try explainer.explain(input, outputs: outputs)
            let maps = result.maps[VisualBackPropExplainer.mask]!
            assertClose(maps.display.scalars, try reference(name, "visualbackprop"), atol: 1e-5, "\(name) visualbackprop")
            let raw = try reference(name, "visualbackprop_raw")
            assertClose(maps.importance.scalars, raw, atol: 1e-5 * raw.values.max()!, "\(name) visualbackprop raw")
        }
    }

    /// The gather form of the all-ones adjoint equals the plain scatter (every output added to each input
    /// its window covers, outputs in ascending order) bit for bit, for valid and same padding, strides
    /// below, equal to and above the kernel, and clipped windows.
    func testVisualBackPropAdjointEqualsTheScatterBitForBit() {
        let shapes: [(input: [Int], kernel: [Int], strides: [Int], pad: [Int])] = [
            ([66, 200], [5, 5], [2, 2], [0, 0]), ([5, 22], [3, 3], [1, 1], [0, 0]), ([9, 11], [3, 3], [2, 2], [1, 1]),
            ([10, 7], [2, 1], [3, 4], [0, 0]), ([6, 6], [4, 4], [1, 1], [1, 2]),
        ]
        var generator = SeededRandom(seed: 7)
        for shape in shapes {
            let (rows, columns) = (shape.input[0], shape.input[1])
            let output: [Int] = (0..<2).map { axis in
                let padded: Int = shape.input[axis] + 2 * shape.pad[axis] - shape.kernel[axis]
                return padded / shape.strides[axis] + 1
            }
            /// The input positions output `o` reads along `axis`, clipped to the input.
            func window(_ o: Int, _ axis: Int) -> [Int] {
                let start: Int = o * shape.strides[axis] - shape.pad[axis]
                return (start..<(start + shape.kernel[axis])).filter { (0..<shape.input[axis]).contains($0) }
            }
            let stage = VisualBackPropPlan.Stage(convolution: "c", averaged: "c", kernel: shape.kernel, strides: shape.strides,
                                                 padBefore: shape.pad, inputSize: shape.input, outputSize: output)
            let map = (0..<(output[0] * output[1])).map { _ in generator.uniform(0, 1) }
            // The separable scatter: each output added to the columns its window covers (per output row),
            // then each spread row added to the rows its window covers.
            var spread = [Double](repeating: 0, count: output[0] * columns), expected = [Double](repeating: 0, count: rows * columns)
            for oy in 0..<output[0] {
                for ox in 0..<output[1] {
                    for x in window(ox, 1) { spread[oy * columns + x] += map[oy * output[1] + ox] }
                }
            }
            for oy in 0..<output[0] {
                for y in window(oy, 0) {
                    for x in 0..<columns { expected[y * columns + x] += spread[oy * columns + x] }
                }
            }
            var actual = [Double](repeating: .nan, count: expected.count), scratch = [Double](repeating: .nan, count: spread.count)
            map.withUnsafeBufferPointer { map in
                VisualBackPropExplainer.adjointOfOnes(map.baseAddress!, into: &actual, stage: stage, covers: .init(stage), spread: &scratch)
            }
            XCTAssertEqual(actual, expected, "\(shape)")
        }
    }

    /// The channel means the convolutions record during the suite's pass give the maps computed from the
    /// cached activations bit for bit, the observers are gone afterwards, and a pass of another size than
    /// the armed one falls back to the activations.
    func testVisualBackPropRecordedMeansGiveTheSameMaps() throws {
        for name in Self.cases {
            let (model, input) = try load(name)
            let explainer = try VisualBackPropExplainer(model: model)
            XCTAssertTrue(explainer.plan.stages.contains { $0.averaged == $0.convolution }, "\(name): no stage records")
            let direct = try explainer.explain(input, outputs: try model.forward(input)).maps[VisualBackPropExplainer.mask]!
            let suite = ExplanationSuite(model: model, objective: .output(index: 0, unit: 0), explainers: [explainer])
            let recorded = try XCTUnwrap(try suite.run(input)[MethodMap(method: .visualbackprop, kind: VisualBackPropExplainer.mask)])
            XCTAssertEqual(recorded.importance, direct.importance, name)
            XCTAssertEqual(recorded.display, direct.display, name)
            for stage in explainer.plan.stages {
                XCTAssertNil((model.layer(named: stage.convolution) as? Conv2D)?.outputChunkObserver, "\(name) \(stage.convolution)")
            }
            explainer.willRunForward(items: 1)
            let mismatched = try explainer.explain(input, outputs: try model.forward(input)).maps[VisualBackPropExplainer.mask]!
            XCTAssertEqual(mismatched.importance, direct.importance, name)
        }
    }

    /// Mean vs sum of channels (a constant factor per layer) must not change the normalised map.
    func testVisualBackPropIsScaleInvariantWithoutEpsilon() throws {
        let (model, input) = try load("pilotnet_elu")
        let explainer = try VisualBackPropExplainer(model: model)
        _ = try model.forward(input)
        let activations = explainer.plan.stages.map { model.activation(of: $0.averaged)! }
        let tiny = activations.map { tensor in Tensor(shape: tensor.shape, scalars: tensor.scalars.map { $0 * 1e-3 }) }
        for item in 0..<input.shape[0] {
            let original = explainer.mask(item: item, activations: activations), scaled = explainer.mask(item: item, activations: tiny)
            XCTAssertLessThan(scaled.max()!, 1e-6)
            let normalise = { (values: [Double]) in values.map { ($0 - values.min()!) / (values.max()! - values.min()!) } }
            for (a, b) in zip(normalise(original), normalise(scaled)) { XCTAssertEqual(a, b, accuracy: 1e-6) }  // Float rounding of the scaled activations
        }
    }

    func testVisualBackPropRefusesMergesAndPoolingBetweenConvolutions() throws {
        let conv = { (name: String) in
            try Conv2D(name: name, kernel: Tensor(shape: [3, 3, 2, 2], scalars: [Float](repeating: 0.1, count: 36)), bias: nil,
                       strides: (1, 1), padding: .same, activation: .relu)
        }
        let pooled = try Model(inputShape: [8, 8, 2], layers: [try conv("a"), try MaxPooling2D(name: "pool", poolSize: (2, 2), strides: (2, 2), padding: .valid), try conv("b")])
        XCTAssertThrowsError(try VisualBackPropPlan(model: pooled)) { error in
            XCTAssertEqual((error as? SaliencyError)?.kind, .usage)
            XCTAssertTrue((error as? SaliencyError)?.message.contains("pool") ?? false, "\(error)")
        }
        let a = try conv("a"), b = try conv("b")
        let residual = try Model(inputs: [.init(name: "input", shape: [8, 8, 2])],
                                 nodes: [.init(a, inputs: ["input"]), .init(b, inputs: ["a"]), .init(Add(name: "add"), inputs: ["a", "b"]),
                                         .init(try conv("c"), inputs: ["add"])], outputs: ["c"])
        XCTAssertThrowsError(try VisualBackPropPlan(model: residual)) { error in
            XCTAssertTrue((error as? SaliencyError)?.message.contains("merges") ?? false, "\(error)")
        }
    }

    // MARK: SmoothGrad

    /// tf-keras-vis Saliency(smooth_samples=4, smooth_noise=0.2) with the fixture's noise supplied.
    func testSmoothGradMatchesTfKerasVisWithSuppliedNoise() throws {
        for name in Self.cases {
            let (model, input) = try load(name)
            let noise = try reference(name, "smoothgrad_noise")  // (S, N, H, W, C)
            let (samples, items, perItem) = (noise.shape[0], noise.shape[1], input.itemCount)
            let supplied: SmoothGradExplainer.NoiseSource = { item, count in
                precondition(count == samples * perItem)
                var values: [Float] = []
                for sample in 0..<samples {
                    let start: Int = (sample * items + item) * perItem
                    values += noise.values[start..<(start + perItem)]
                }
                return values
            }
            let explainer = try SmoothGradExplainer(model: model, objective: .output(index: 0, unit: 0), kinds: SaliencyMapKind.steering,
                                                    samples: samples, noiseLevel: 0.2, noise: supplied)
            let result = try explainer.explain(input, outputs: try model.forward(input))
            for kind in [SaliencyMapKind.increase, .decrease] {
                assertClose(result.maps[kind]!.display.scalars, try reference(name, "smoothgrad_\(kind.name)"), atol: 2e-4, "\(name) smoothgrad \(kind)")
            }
        }
    }

    func testNoiseGeneratorIsSeededPerImageAndStandardNormal() {
        var first = NoiseGenerator(seed: 7, item: 3), again = NoiseGenerator(seed: 7, item: 3), other = NoiseGenerator(seed: 7, item: 4)
        let values = first.normals(20_000)
        XCTAssertEqual(values, again.normals(20_000))
        XCTAssertNotEqual(Array(values.prefix(10)), other.normals(10))
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
    }

    // MARK: Integrated gradients

    func testIntegratedGradientsMatchTensorFlowAndCompleteness() throws {
        for name in Self.cases {
            let (model, input) = try load(name)
            let explainer = try IntegratedGradientsExplainer(model: model, objective: .output(index: 0, unit: 0), kinds: [.increase], steps: 16, baseline: .black)
            let result = try explainer.explain(input, outputs: try model.forward(input))
            let expected = try reference(name, "ig_attribution")
            let scale = expected.values.map(abs).max()!
            assertClose(explainer.lastAttribution!.scalars, expected, atol: 1e-3 * scale, "\(name) integrated gradients")
            // Completeness: the same error TensorFlow's attribution has (the rule's, not ours).
            let outputs = try reference(name, "ig_outputs")
            let errors = try XCTUnwrap(result.diagnostics["completeness_error"])
            let perItem = input.itemCount
            for item in 0..<input.shape[0] {
                let tfSum = expected.values[(item * perItem)..<((item + 1) * perItem)].reduce(0.0) { $0 + Double($1) }
                let tfError = abs(tfSum - Double(outputs.values[item * 2] - outputs.values[item * 2 + 1]))
                XCTAssertEqual(errors[item], tfError, accuracy: 1e-3 * max(1, abs(tfSum)), "\(name) item \(item)")
            }
        }
    }

    /// Completeness improves with steps: the trapezoid error shrinks as the path is sampled finer.
    func testIntegratedGradientsCompletenessErrorShrinksWithSteps() throws {
        let (model, input) = try load("pilotnet_elu")
        func error(_ steps: Int, _ baseline: IntegratedGradientsExplainer.Baseline) throws -> Double {
            let explainer = try IntegratedGradientsExplainer(model: model, objective: .output(index: 0, unit: 0), kinds: [.increase], steps: steps, baseline: baseline)
            return try explainer.explain(input, outputs: try model.forward(input)).diagnostics["completeness_error"]!.reduce(0, +)
        }
        for baseline in IntegratedGradientsExplainer.Baseline.allCases {
            let coarse = try error(2, baseline), fine = try error(64, baseline)
            XCTAssertLessThan(fine, coarse, "\(baseline)")
            XCTAssertLessThan(fine, 1e-3, "\(baseline)")
        }
    }

    // MARK: Occlusion

    /// Occluding a pixel the model never reads (a zero first-layer kernel column) changes nothing;
    /// the map equals the drop measured by hand for a patch covering the whole image.
    func testOcclusionOfTheWholeImageIsTheOutputDrop() throws {
        let (model, input) = try load("pilotnet_relu")
        let explainer = try OcclusionExplainer(model: model, objective: .output(index: 0, unit: 0), kinds: [.increase, .decrease], patch: 64, stride: 64)
        let outputs = try model.forward(input)
        let result = try explainer.explain(input, outputs: outputs)
        let original = outputs[0].scalars
        let filled = try model.forward(IntegratedGradientsExplainer.baseline(.mean, for: input))[0].scalars
        let count = input.shape[1] * input.shape[2]
        for item in 0..<input.shape[0] {
            let drop = original[item] - filled[item]
            XCTAssertEqual(result.maps[.increase]!.importance.scalars[item * count], max(drop, 0), accuracy: 1e-5)
            XCTAssertEqual(result.maps[.decrease]!.importance.scalars[item * count + count - 1], max(-drop, 0), accuracy: 1e-5)
        }
        XCTAssertEqual(OcclusionExplainer.positions(size: 66, patch: 16, stride: 8), [0, 8, 16, 24, 32, 40, 48, 50])
    }

    // MARK: Real third-party models (skipped without ../shared/data)

    func testVisualBackPropAndGradCAMOnRealPilotNet() throws {
        let model = try KerasModelLoader.load(from: try TestPaths.shared("models/naokishibuya-pilotnet-keras1.h5")).model
        let archive = try TestPaths.shared("reference/naokishibuya-pilotnet-keras1").appendingPathComponent("reference.npz")
        guard let pixels = try NPYArray.fromArchive(archive, member: "x") else { throw XCTSkip("unzip is not installed") }
        let count = pixels.values.count / pixels.shape[0]
        let input = Tensor(shape: [2] + Array(pixels.shape.dropFirst()), scalars: Array(pixels.values[0..<(2 * count)]))
        let outputs = try model.forward(input)
        let vbp = try VisualBackPropExplainer(model: model).explain(input, outputs: outputs)
        assertClose(vbp.maps[VisualBackPropExplainer.mask]!.display.scalars, try reference("shared", "naokishibuya_visualbackprop"), atol: 1e-4,
                    "naokishibuya visualbackprop")
        let cam = try GradCAMExplainer(model: model, objective: .output(index: 0, unit: 0), kinds: [.increase]).explain(input, outputs: outputs)
        assertClose(cam.maps[.increase]!.display.scalars, try reference("shared", "naokishibuya_gradcam_increase"), atol: 1e-3,
                    "naokishibuya gradcam increase")
    }

    /// svh2811's PilotNet resizes (a Lambda) between its crop and its first convolution: exit 64.
    func testVisualBackPropRefusesResizingBeforeTheFirstConvolution() throws {
        let model = try KerasModelLoader.load(from: try TestPaths.shared("models/svh2811-pilotnet-bn-keras2.h5")).model
        XCTAssertThrowsError(try VisualBackPropPlan(model: model)) { error in
            XCTAssertEqual((error as? SaliencyError)?.kind, .usage)
            XCTAssertTrue((error as? SaliencyError)?.message.contains("before the first convolution") ?? false, "\(error)")
        }
    }
}
