import Dispatch
import SteerLensSupport
import XCTest

/// ``ByteBudget``: the backpressure that keeps full-size frames in flight bounded.
final class ByteBudgetTests: XCTestCase {
    func testGrantsWhatFitsAndOneOversizedBufferWhenNothingIsHeld() {
        let budget = ByteBudget(capacity: 100)
        XCTAssertTrue(budget.tryTake(60))
        XCTAssertFalse(budget.tryTake(50), "60 + 50 exceeds 100")
        XCTAssertTrue(budget.tryTake(40))
        XCTAssertEqual(budget.heldBytes, 100)
        budget.giveBack(100)
        XCTAssertTrue(budget.tryTake(250), "nothing held: an oversized buffer passes alone")
        XCTAssertFalse(budget.tryTake(1))
        budget.giveBack(250)
        XCTAssertEqual(budget.heldBytes, 0)
    }

    func testTakeWaitsUntilBytesComeBack() {
        let budget = ByteBudget(capacity: 10)
        XCTAssertTrue(budget.tryTake(8))
        let granted = expectation(description: "take returns after giveBack")
        let order = OrderLog()
        DispatchQueue.global().async {
            XCTAssertTrue(budget.take(5))
            order.append("taken")
            granted.fulfill()
        }
        Thread.sleep(forTimeInterval: 0.05)
        order.append("given back")
        budget.giveBack(8)
        wait(for: [granted], timeout: 5)
        XCTAssertEqual(order.entries, ["given back", "taken"])
        XCTAssertEqual(budget.heldBytes, 5)
    }

    func testCloseReleasesAWaitingTaker() {
        let budget = ByteBudget(capacity: 10)
        XCTAssertTrue(budget.tryTake(10))
        let refused = expectation(description: "take returns false once closed")
        DispatchQueue.global().async {
            XCTAssertFalse(budget.take(1))
            refused.fulfill()
        }
        Thread.sleep(forTimeInterval: 0.05)
        budget.close()
        wait(for: [refused], timeout: 5)
    }
}

/// Strings appended from several threads.
final class OrderLog: @unchecked Sendable {
    private let lock = NSLock()
    private var log: [String] = []
    func append(_ entry: String) { lock.withLock { log.append(entry) } }
    var entries: [String] { lock.withLock { log } }
}
