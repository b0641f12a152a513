import SteerLensSupport
import XCTest
@testable import NeuralNet

final class MergeTests: XCTestCase {
    func testAddAndConcatenate() throws {
        let a = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4]), b = Tensor(shape: [1, 1, 2, 1], scalars: [9, 8])
        assertClose(Add().forward(inputs: [a, a, a]), [3, 6, 9, 12])
        assertClose(Concatenate().forward(inputs: [a, b]), [1, 2, 9, 3, 4, 8], shape: [1, 1, 2, 3])
        XCTAssertEqual(try Concatenate().outputShape(forInputShapes: [[1, 2, 2], [1, 2, 1]]), [1, 2, 3])
        XCTAssertThrowsError(try Add(name: "sum").outputShape(forInputShapes: [[1, 2, 2], [1, 2, 1]])) { error in
            XCTAssertTrue("\(error)".contains("sum"))
        }
        XCTAssertThrowsError(try Concatenate().outputShape(forInputShapes: [[1, 2, 2], [2, 2, 1]]))

        var generator = SeededRandom(seed: 41)
        let x = randomTensor([2, 3, 3, 2], using: &generator), y = randomTensor([2, 3, 3, 2], using: &generator)
        let z = randomTensor([2, 3, 3, 5], using: &generator)
        assertGradients(of: Add(), inputs: [x, y])
        assertGradients(of: Concatenate(), inputs: [x, z, y])
    }
}
