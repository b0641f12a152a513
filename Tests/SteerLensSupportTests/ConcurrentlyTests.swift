import Foundation
import Synchronization
import XCTest
@testable import SteerLensSupport

/// `concurrently(_:)`: results in job order whatever order the jobs finish in, every job run, and the
/// first throwing job's error (in job order) rethrown.
final class ConcurrentlyTests: XCTestCase {
    private struct JobError: Error, Equatable { let job: Int }

    func testResultsComeInJobOrder() throws {
        // Earlier jobs sleep longer, so they finish last when the jobs overlap.
        let jobs: [@Sendable () throws -> Int] = (0..<6).map { index in
            { usleep(UInt32(6 - index) * 2_000); return index * index }
        }
        XCTAssertEqual(try concurrently(jobs), [0, 1, 4, 9, 16, 25])
        XCTAssertEqual(try concurrently([@Sendable () throws -> Int]()), [])
    }

    func testEveryJobRunsAndTheFirstErrorInJobOrderIsRethrown() {
        let ran = Mutex(Set<Int>())
        let jobs: [@Sendable () throws -> String] = (0..<5).map { index in
            {
                ran.withLock { _ = $0.insert(index) }
                if index == 1 { usleep(10_000) }  // the later failure finishes first
                if index == 1 || index == 3 { throw JobError(job: index) }
                return "\(index)"
            }
        }
        XCTAssertThrowsError(try concurrently(jobs)) { error in XCTAssertEqual(error as? JobError, JobError(job: 1)) }
        XCTAssertEqual(ran.withLock { $0 }, [0, 1, 2, 3, 4])
    }
}
