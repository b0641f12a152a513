import SteerLensSupport
import XCTest
@testable import NeuralNet

/// Convolution windows with valid and same padding, strides 1–3, 1–37 channels (kernel rows shorter
/// than, equal to and longer than one 16-float vector) and batches of 1–3, with their axes.
func convolutionWindows() throws -> [(item: (height: Int, width: Int, channels: Int, kernel: Int, stride: Int, padding: Padding, batch: Int),
                                   rows: AxisGeometry, columns: AxisGeometry)] {
    let cases: [(height: Int, width: Int, channels: Int, kernel: Int, stride: Int, padding: Padding, batch: Int)] = [
        (66, 200, 3, 5, 2, .valid, 2), (31, 98, 24, 5, 2, .valid, 1), (5, 22, 48, 3, 1, .valid, 3), (9, 11, 3, 3, 2, .same, 2),
        (7, 7, 1, 5, 1, .same, 1), (6, 13, 37, 4, 3, .same, 2), (4, 4, 16, 1, 1, .valid, 1), (3, 5, 2, 2, 1, .same, 3),
    ]
    return try cases.map { item in
        (item, try XCTUnwrap(AxisGeometry(input: item.height, kernel: item.kernel, stride: item.stride, padding: item.padding)),
         try XCTUnwrap(AxisGeometry(input: item.width, kernel: item.kernel, stride: item.stride, padding: item.padding)))
    }
}

/// `count` values drawn uniformly from −1 … 1.
func uniformValues(_ count: Int, _ generator: inout SeededRandom) -> [Float] {
    (0..<count).map { _ in Float(generator.uniform(-1, 1)) }
}
