import Foundation
import SteerLensSupport
import XCTest

/// ``ThreadPriority``: background work a few nice levels down, and its hand-off back to the caller.
final class ThreadPriorityTests: XCTestCase {
    private static func niceValue() -> Int32 { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }

    func testRunLowersOnlyTheHelperThreadAndThreadsItStarts() throws {
        let own = Self.niceValue()
        let (helper, started) = try ThreadPriority.run(loweredBy: 3) { () -> (Int32, Int32) in
            // A thread started here (as libavcodec starts its decoder threads) inherits the lowered value.
            let inherited = OrderLog(), finished = DispatchSemaphore(value: 0)
            Thread { inherited.append("\(Self.niceValue())"); finished.signal() }.start()
            finished.wait()
            return (Self.niceValue(), Int32(inherited.entries[0])!)
        }
        XCTAssertEqual(helper, min(own + 3, 19))
        XCTAssertEqual(started, min(own + 3, 19))
        XCTAssertEqual(Self.niceValue(), own, "the caller keeps its priority")
        XCTAssertEqual(try ThreadPriority.run(loweredBy: 0) { Self.niceValue() }, own, "0 runs on the caller's thread")
    }

    func testRunReturnsValuesAndRethrowsManyTimesOver() throws {
        struct Planted: Error {}
        // The work closure must be let go before the caller returns (withoutActuallyEscaping traps
        // otherwise): thousands of hand-offs give a late release every chance to show.
        var total = 0
        for value in 0..<3000 { total += try ThreadPriority.run(loweredBy: 1) { value } }
        XCTAssertEqual(total, 3000 * 2999 / 2)
        XCTAssertThrowsError(try ThreadPriority.run(loweredBy: 1) { () throws -> Int in throw Planted() }) { XCTAssertTrue($0 is Planted) }
    }
}

/// ``SerialWorker``: jobs in order on one thread, bounded, the first failure stops it.
final class SerialWorkerTests: XCTestCase {
    func testJobsRunInOrderOffTheCallersThread() throws {
        let worker = SerialWorker(name: "test-worker", capacity: 2)
        let log = OrderLog(), caller = pthread_self()
        for index in 0..<200 {
            try worker.submit {
                XCTAssertEqual(pthread_equal(pthread_self(), caller), 0, "a job runs on the worker's thread")
                log.append("\(index)")
            }
        }
        try worker.finish()
        XCTAssertEqual(log.entries, (0..<200).map(String.init))
    }

    func testSubmitWaitsWhileTheQueueIsFull() throws {
        let worker = SerialWorker(name: "test-worker", capacity: 1)
        let release = DispatchSemaphore(value: 0), log = OrderLog()
        try worker.submit { release.wait(); log.append("first ran") }  // the worker holds this one
        try worker.submit { log.append("second ran") }  // waits in the queue
        let submitted = expectation(description: "third submit returns once the queue has room")
        DispatchQueue.global().async {
            try? worker.submit { log.append("third ran") }
            log.append("third submitted")
            submitted.fulfill()
        }
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertEqual(log.entries, [], "the third submit blocks while the first runs and the second waits")
        release.signal()
        wait(for: [submitted], timeout: 5)
        try worker.finish()
        XCTAssertEqual(log.entries.filter { $0.hasSuffix("ran") }, ["first ran", "second ran", "third ran"])
    }

    func testTheFirstFailureStopsTheWorkerAndComesBack() throws {
        struct Planted: Error, Equatable { let index: Int }
        let worker = SerialWorker(name: "test-worker", capacity: 1)
        let log = OrderLog()
        try worker.submit { log.append("0") }
        try worker.submit { throw Planted(index: 1) }
        // Later jobs are dropped; a submit after the failure or the finish rethrows it.
        var rethrown: Error?
        for index in 2..<50 {
            do { try worker.submit { log.append("\(index)") } } catch {
                rethrown = error
                break
            }
        }
        XCTAssertThrowsError(try worker.finish()) { XCTAssertEqual($0 as? Planted, Planted(index: 1)) }
        if let rethrown { XCTAssertEqual(rethrown as? Planted, Planted(index: 1)) }
        XCTAssertEqual(log.entries, ["0"], "nothing after the failing job runs")
    }
}
