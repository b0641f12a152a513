import Dispatch
import SteerLensSupport
import XCTest

/// `Memo` builds a value once per key, shares it across threads, and starts over when full.
final class MemoTests: XCTestCase {
    final class Box: Sendable {
        let key: Int
        init(_ key: Int) { self.key = key }
    }

    func testBuildsOncePerKeyAndStartsOverWhenFull() {
        let memo = Memo<Int, Box>(capacity: 3)
        var builds = 0
        func value(_ key: Int) -> Box { memo.value(for: key) { builds += 1; return Box(key) } }
        let first = value(1)
        XCTAssertTrue(value(1) === first)
        XCTAssertEqual(builds, 1)
        _ = (value(2), value(3))
        XCTAssertEqual(memo.count, 3)
        XCTAssertEqual(builds, 3)
        XCTAssertTrue(value(2) === value(2))
        // A fourth key empties the memo first: it never holds more than its capacity.
        XCTAssertEqual(value(4).key, 4)
        XCTAssertEqual(memo.count, 1)
        XCTAssertEqual(builds, 4)
        XCTAssertFalse(value(1) === first, "key 1 was dropped when the memo started over")
        XCTAssertEqual(builds, 5)
    }

    func testThreadsAskingAtOnceGetTheValueOfTheirKey() {
        let memo = Memo<Int, Box>(capacity: 8)
        let keys = (0..<4_000).map { $0 % 5 }
        let results = UnsafeMutableBufferPointer<Int>.allocate(capacity: keys.count)
        defer { results.deallocate() }
        let shared = UncheckedResults(results)
        DispatchQueue.concurrentPerform(iterations: keys.count) { index in
            shared.buffer[index] = memo.value(for: keys[index]) { Box(keys[index]) }.key
        }
        XCTAssertEqual(Array(results), keys)
        XCTAssertEqual(memo.count, 5)
    }

    private struct UncheckedResults: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<Int>
        init(_ buffer: UnsafeMutableBufferPointer<Int>) { self.buffer = buffer }
    }
}
