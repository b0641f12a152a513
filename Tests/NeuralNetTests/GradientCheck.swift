import SteerLensSupport
import XCTest
@testable import NeuralNet

func randomTensor(_ shape: [Int], in range: ClosedRange<Float> = -1...1, using generator: inout SeededRandom) -> Tensor {
    Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float.random(in: range, using: &generator) })
}

/// Outcome of a finite-difference check: how many elements were compared, skipped near a kink, and
/// the ones that disagreed (described for the failure message).
struct GradientReport {
    var checked = 0
    var skippedAsKink = 0
    var mismatches: [String] = []
}

/// Compares an analytic input gradient with central finite differences of `L = Σ r·y` (Double sums).
///
/// For each sampled input element, the derivative is estimated with steps `h` and `h/2`; if the two
/// estimates disagree the element sits near a kink (relu at 0, max-pool switch) and is skipped.
/// Otherwise `|analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|)` must hold.
func finiteDifferenceReport(
    inputs: [Tensor],
    forward: ([Tensor]) -> Tensor,
    backward: (Tensor) -> [Tensor],
    samples: Int = 30, step: Float = 1e-2, rtol: Double = 1e-2, atol: Double = 1e-3, seed: UInt64 = 1
) -> GradientReport {
    var generator = SeededRandom(seed: seed)
    let output = forward(inputs)
    let projection = randomTensor(output.shape, using: &generator)
    let analytic = backward(projection)
    precondition(analytic.count == inputs.count)

    func loss(_ perturbed: [Tensor]) -> Double {
        let y = forward(perturbed)
        var sum = 0.0
        for i in 0..<y.count { sum += Double(y.scalars[i]) * Double(projection.scalars[i]) }
        return sum
    }

    var report = GradientReport()
    for (k, input) in inputs.enumerated() {
        XCTAssertEqual(analytic[k].shape, input.shape, "gradient shape of input \(k)")
        let indices = input.count <= samples ? Array(0..<input.count)
            : (0..<samples).map { _ in Int.random(in: 0..<input.count, using: &generator) }
        for index in indices {
            func derivative(_ h: Float) -> Double {
                var plus = inputs, minus = inputs
                plus[k].scalars[index] += h
                minus[k].scalars[index] -= h
                let actualStep = Double(plus[k].scalars[index]) - Double(minus[k].scalars[index])
                return (loss(plus) - loss(minus)) / actualStep
            }
            let coarse = derivative(step), fine = derivative(step / 2)
            let a = Double(analytic[k].scalars[index])
            func close(_ x: Double, _ y: Double) -> Bool { abs(x - y) <= atol + rtol * max(abs(x), abs(y)) }
            if !close(coarse, fine) {
                report.skippedAsKink += 1
                continue
            }
            report.checked += 1
            if !close(a, coarse) {
                report.mismatches.append("input \(k)[\(index)]: analytic \(a), numeric \(coarse)")
            }
        }
    }
    _ = forward(inputs)  // leave caches as they were
    return report
}

/// Asserts that a layer's backward matches finite differences for the given inputs.
func assertGradients(
    of layer: any Layer, inputs: [Tensor], samples: Int = 30, step: Float = 1e-2,
    rtol: Double = 1e-2, atol: Double = 1e-3, modifier: BackpropModifier? = nil,
    file: StaticString = #filePath, line: UInt = #line
) {
    let report = finiteDifferenceReport(
        inputs: inputs, forward: { layer.forward(inputs: $0) },
        backward: { layer.backward(outputGradient: $0, modifier: modifier) },
        samples: samples, step: step, rtol: rtol, atol: atol)
    assertReport(report, "\(layer.typeName) '\(layer.name)'", file: file, line: line)
}

func assertReport(_ report: GradientReport, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertTrue(report.mismatches.isEmpty,
                  "\(what): \(report.mismatches.count) of \(report.checked) mismatches, first: \(report.mismatches.prefix(5))",
                  file: file, line: line)
    XCTAssertGreaterThan(report.checked, 2 * report.skippedAsKink,
                         "\(what): too many elements skipped near kinks (\(report.skippedAsKink) vs \(report.checked) checked)",
                         file: file, line: line)
}

func assertClose(_ actual: Tensor, _ expected: [Float], shape: [Int]? = nil, tolerance: Float = 1e-5,
                 file: StaticString = #filePath, line: UInt = #line) {
    if let shape { XCTAssertEqual(actual.shape, shape, "shape", file: file, line: line) }
    XCTAssertEqual(actual.count, expected.count, "element count", file: file, line: line)
    let mismatches = zip(actual.scalars, expected).enumerated().filter { abs($0.element.0 - $0.element.1) > tolerance * max(1, abs($0.element.1)) }
    XCTAssertTrue(mismatches.isEmpty, "first mismatches (index, (actual, expected)): \(mismatches.prefix(5).map { ($0.offset, $0.element) })",
                  file: file, line: line)
}
