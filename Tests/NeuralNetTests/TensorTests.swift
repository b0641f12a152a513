import XCTest
@testable import NeuralNet

final class TensorTests: XCTestCase {
    /// `item(n)` copies batch item n's `itemCount` scalars, whatever the rank; the tensor is unchanged.
    func testItemIsOneBatchItemsScalars() {
        let tensor = Tensor(shape: [3, 2, 2, 2], scalars: (0..<24).map(Float.init))
        XCTAssertEqual(tensor.itemCount, 8)
        XCTAssertEqual(tensor.item(0), (0..<8).map(Float.init))
        XCTAssertEqual(tensor.item(1), (8..<16).map(Float.init))
        XCTAssertEqual(tensor.item(2), (16..<24).map(Float.init))
        XCTAssertEqual(Tensor(shape: [4, 1], scalars: [5, 6, 7, 8]).item(3), [8])
        XCTAssertEqual(tensor.scalars, (0..<24).map(Float.init))
    }
}
