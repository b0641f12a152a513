import SteerLensSupport
import XCTest
@testable import NeuralNet

final class ModelTests: XCTestCase {
    /// image [6,6,2] → stem (conv 3x3 same, elu) → left (conv 1x1, tanh) and right (conv 3x3 same)
    /// → sum = Add(left, right) → cat = Concatenate(sum, stem) → pool → flat → steer (Dense 3, tanh)
    /// and right → gap → aux (Dense 1). Nodes are given out of order on purpose.
    func makeGraph(seed: UInt64 = 51) throws -> Model {
        var g = SeededRandom(seed: seed)
        func conv(_ name: String, _ k: Int, _ cin: Int, _ act: ActivationKind) throws -> Conv2D {
            try Conv2D(name: name, kernel: randomTensor([k, k, cin, 4], in: -0.5...0.5, using: &g),
                       bias: randomTensor([4], in: -0.1...0.1, using: &g), padding: .same, activation: act)
        }
        let nodes: [Model.Node] = [
            .init(try Dense(name: "steer", kernel: randomTensor([72, 3], in: -0.3...0.3, using: &g), activation: .tanh), inputs: ["flat"]),
            .init(Add(name: "sum"), inputs: ["left", "right"]),
            .init(try conv("stem", 3, 2, .elu(alpha: 1)), inputs: ["image"]),
            .init(try conv("left", 1, 4, .tanh), inputs: ["stem"]),
            .init(try conv("right", 3, 4, .linear), inputs: ["stem"]),
            .init(Concatenate(name: "cat"), inputs: ["sum", "stem"]),
            .init(try MaxPooling2D(name: "pool"), inputs: ["cat"]),
            .init(Flatten(name: "flat"), inputs: ["pool"]),
            .init(GlobalAveragePooling2D(name: "gap"), inputs: ["right"]),
            .init(try Dense(name: "aux", kernel: randomTensor([4, 1], using: &g), bias: Tensor(zeros: [1])), inputs: ["gap"]),
        ]
        return try Model(inputs: [.init(name: "image", shape: [6, 6, 2])], nodes: nodes, outputs: ["steer", "aux"])
    }

    func testShapeInferenceAndLayerInfo() throws {
        let model = try makeGraph()
        XCTAssertEqual(model.outputShapes, [[3], [1]])
        XCTAssertEqual(model.shape(ofNode: "cat"), [6, 6, 8])
        XCTAssertEqual(model.nodeNames.first, "image")
        let info = Dictionary(uniqueKeysWithValues: model.layerInfo.map { ($0.name, $0) })
        XCTAssertEqual(info["image"]?.typeName, "InputLayer")
        XCTAssertEqual(info["stem"]?.parameterCount, 3 * 3 * 2 * 4 + 4)
        XCTAssertEqual(info["steer"]?.outputShape, [3])
        XCTAssertEqual(info["sum"]?.inputs, ["left", "right"])
        XCTAssertEqual(model.parameterCount, model.layerInfo.reduce(0) { $0 + $1.parameterCount })
        // Topological: every node comes after its inputs.
        let order = Dictionary(uniqueKeysWithValues: model.nodeNames.enumerated().map { ($1, $0) })
        for row in model.layerInfo { for input in row.inputs { XCTAssertLessThan(order[input]!, order[row.name]!) } }
    }

    func testGradientsThroughTheWholeGraph() throws {
        let model = try makeGraph()
        var g = SeededRandom(seed: 52)
        let x = randomTensor([2, 6, 6, 2], using: &g)
        for output in 0..<2 {
            let report = finiteDifferenceReport(
                inputs: [x], forward: { try! model.forward($0[0])[output] },
                backward: { [model.backward(output: output, seed: $0)] }, samples: 40, step: 1e-2)
            assertReport(report, "model output \(output)")
        }
    }

    func testUnitSeedGivesPerSampleGradients() throws {
        let model = try makeGraph()
        var g = SeededRandom(seed: 53)
        let x = randomTensor([3, 6, 6, 2], using: &g)
        _ = try model.forward(x)
        let gradient = model.backward(output: 0, unit: 1)
        XCTAssertEqual(gradient.shape, x.shape)
        // Sample n's slice is ∂y[n, 1]/∂x[n]: compare with finite differences of that one scalar.
        var checked = 0
        for (n, element) in [(0, 5), (1, 40), (2, 71), (1, 3), (0, 60), (2, 17), (1, 66), (0, 33)] {
            let index = n * 72 + element
            func numericDerivative(_ h: Float) throws -> Double {
                var plus = x, minus = x
                plus.scalars[index] += h
                minus.scalars[index] -= h
                return (Double(try model.forward(plus)[0].scalars[n * 3 + 1]) - Double(try model.forward(minus)[0].scalars[n * 3 + 1])) / Double(2 * h)
            }
            // Skip elements where a max-pool winner switches within the step (estimates disagree).
            let numeric = try numericDerivative(2e-3), finer = try numericDerivative(1e-3)
            guard abs(numeric - finer) <= 1e-3 + 1e-2 * abs(numeric) else { continue }
            checked += 1
            XCTAssertEqual(Double(gradient.scalars[index]), numeric, accuracy: 1e-3 + 1e-2 * abs(numeric), "sample \(n) element \(element)")
        }
        XCTAssertGreaterThanOrEqual(checked, 6)
    }

    func testIntermediateActivationsAndSeeds() throws {
        let model = try makeGraph()
        var g = SeededRandom(seed: 54)
        let x = randomTensor([2, 6, 6, 2], using: &g)
        let outputs = try model.forward(x)
        XCTAssertEqual(model.activation(of: "steer"), outputs[0])
        XCTAssertEqual(model.activation(of: "stem")?.shape, [2, 6, 6, 4])
        XCTAssertNil(model.activation(of: "nope"))
        let seed = randomTensor([2, 3], using: &g)
        // Chain rule: the gradient at "stem" seeded back from "stem" gives the gradient at the input.
        let both = try model.gradients(seeds: ["steer": seed], at: ["stem", "image"])
        let viaStem = try model.gradients(seeds: ["stem": both["stem"]!], at: ["image"])
        assertClose(viaStem["image"]!, both["image"]!.scalars, tolerance: 1e-5)
        assertClose(both["image"]!, model.backward(output: 0, seed: seed).scalars, tolerance: 1e-6)
        // A target the seed does not reach gets zeros; unknown names throw.
        XCTAssertEqual(try model.gradients(seeds: ["aux": Tensor(repeating: 1, shape: [2, 1])], at: ["left"])["left"], Tensor(zeros: [2, 6, 6, 4]))
        XCTAssertThrowsError(try model.gradients(seeds: ["steer": seed], at: ["missing"]))
        XCTAssertThrowsError(try model.gradients(seeds: ["steer": Tensor(zeros: [2, 4])], at: ["image"]))
    }

    func testSequentialModelAndErrors() throws {
        var g = SeededRandom(seed: 55)
        let model = try Model(inputShape: [8, 8, 3], layers: [
            try Cropping2D(name: "crop", top: 2, bottom: 1),
            Rescaling(name: "norm", scale: 1 / 127.5, offset: -1),
            try Conv2D(name: "conv1", kernel: randomTensor([3, 3, 3, 4], in: -0.3...0.3, using: &g), bias: Tensor(zeros: [4]), strides: (2, 2), activation: .elu(alpha: 1)),
            Flatten(name: "flatten"),
            Dropout(name: "drop"),
            try Dense(name: "out", kernel: randomTensor([24, 1], using: &g)),
        ])
        XCTAssertEqual(model.outputNames, ["out"])
        XCTAssertEqual(model.shape(ofNode: "conv1"), [2, 3, 4])
        let x = randomTensor([2, 8, 8, 3], in: 0...255, using: &g)
        XCTAssertEqual(try model.forward(x)[0].shape, [2, 1])
        let report = finiteDifferenceReport(inputs: [x], forward: { try! model.forward($0[0])[0] },
                                            backward: { [model.backward(output: 0, seed: $0)] }, samples: 30, step: 1)
        assertReport(report, "sequential model")

        XCTAssertThrowsError(try model.forward(randomTensor([2, 8, 7, 3], using: &g))) { error in
            guard case NeuralNetError.inputMismatch = error else { return XCTFail("\(error)") }
        }
        // Shape mismatch at construction names the layer.
        XCTAssertThrowsError(try Model(inputShape: [8, 8, 3], layers: [Flatten(name: "f"), try Dense(name: "head", kernel: Tensor(zeros: [10, 1]))])) { error in
            XCTAssertTrue("\(error)".contains("head"), "\(error)")
            XCTAssertEqual((error as? NeuralNetError)?.kind, .badInput)
        }
        XCTAssertThrowsError(try Model(inputShape: [4], layers: [Dropout(name: "d"), Dropout(name: "d")]))
        let shared = Dropout(name: "a")
        XCTAssertThrowsError(try Model(inputs: [.init(name: "x", shape: [4])], nodes: [.init(shared, inputs: ["x"]), .init(Dropout(name: "b"), inputs: ["nowhere"])], outputs: ["a"]))
        XCTAssertThrowsError(try Model(inputs: [.init(name: "x", shape: [4])],
                                       nodes: [.init(Dropout(name: "p"), inputs: ["q"]), .init(Dropout(name: "q"), inputs: ["p"])], outputs: ["p"])) { error in
            XCTAssertTrue("\(error)".contains("cycle"), "\(error)")
        }
    }

    func testTwoInputModel() throws {
        var g = SeededRandom(seed: 56)
        let model = try Model(
            inputs: [.init(name: "image", shape: [4, 4, 1]), .init(name: "speed", shape: [2])],
            nodes: [
                .init(Flatten(name: "flat"), inputs: ["image"]),
                .init(Concatenate(name: "joined"), inputs: ["flat", "speed"]),
                .init(try Dense(name: "out", kernel: randomTensor([18, 1], using: &g)), inputs: ["joined"]),
            ],
            outputs: ["out"])
        let image = randomTensor([2, 4, 4, 1], using: &g), speed = randomTensor([2, 2], using: &g)
        XCTAssertThrowsError(try model.forward(image))
        let y = try model.forward([image, speed])
        XCTAssertEqual(y[0].shape, [2, 1])
        let grads = try model.gradients(seeds: ["out": Tensor(repeating: 1, shape: [2, 1])], at: ["image", "speed"])
        XCTAssertEqual(grads["speed"]?.shape, [2, 2])
        XCTAssertEqual(model.backward(output: 0, unit: 0), grads["image"])
    }

    /// A model whose input only feeds a scalar `Rescaling` runs from a batch written already rescaled
    /// (`x·scale + offset`, multiply then add) to the same outputs, bit for bit; any other first layer,
    /// a per-channel rescaling, a second reader of the input or a rescaling that is the output has none.
    func testLeadingRescalingIsSkippedForAnAlreadyRescaledBatch() throws {
        var g = SeededRandom(seed: 57)
        let rescaling = Rescaling(name: "norm", scale: 1 / 127.5, offset: -1)
        let conv = try Conv2D(name: "conv", kernel: randomTensor([3, 3, 3, 4], in: -0.3...0.3, using: &g), bias: Tensor(zeros: [4]),
                              strides: (2, 2), activation: .elu(alpha: 1))
        let model = try Model(inputShape: [7, 9, 3], layers: [rescaling, conv, Flatten(name: "flat"), try Dense(name: "out", kernel: randomTensor([48, 2], using: &g))])
        let (scale, offset) = try XCTUnwrap(model.leadingRescaling)
        XCTAssertEqual(scale, Float(1 / 127.5))
        XCTAssertEqual(offset, -1)
        let pixels = (0..<(3 * 7 * 9 * 3)).map { _ in Float(Int.random(in: 0...255, using: &g)) }
        let expected = try model.forward(Tensor(shape: [3, 7, 9, 3], scalars: pixels))[0]
        let rescaled = Tensor(shape: [3, 7, 9, 3], scalars: pixels.map { $0 * scale + offset })
        XCTAssertEqual(try model.forward(rescaledInput: rescaled)[0], expected)
        XCTAssertNil(model.activation(of: "input"), "the skipped layer's input is not held")
        XCTAssertThrowsError(try model.forward(rescaledInput: Tensor(zeros: [3, 7, 8, 3])))

        let perChannel = try Rescaling(name: "norm", scale: [1, 2, 3], offset: [0])
        let secondReader = try Model(inputs: [.init(name: "x", shape: [2, 2, 3])],
                                     nodes: [.init(Rescaling(name: "r", scale: 2), inputs: ["x"]), .init(Add(name: "sum"), inputs: ["r", "x"])],
                                     outputs: ["sum"])
        for other in [try Model(inputShape: [7, 9, 3], layers: [conv]), try Model(inputShape: [2, 2, 3], layers: [perChannel, Flatten(name: "f")]),
                      secondReader, try Model(inputShape: [2, 2, 3], layers: [Rescaling(name: "only", scale: 2)])] {
            XCTAssertNil(other.leadingRescaling)
            XCTAssertThrowsError(try other.forward(rescaledInput: Tensor(zeros: [1] + other.inputs[0].shape)))
        }
    }
}
