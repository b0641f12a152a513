import Foundation
import XCTest
@testable import SteerLensSupport

final class StageClockTests: XCTestCase {
    /// Spins until this thread has used `milliseconds` of CPU time.
    private static func spin(milliseconds: UInt64) -> UInt64 {
        let start = StageClock.threadNow()
        var sink: UInt64 = 0
        while StageClock.threadNow() - start < milliseconds * 1_000_000 { sink &+= 1 }
        return sink
    }

    /// CPU time, not wall time: a block that spins is charged what it used, a block that sleeps nearly nothing.
    func testChargesThreadCPUTimeNotWallTime() {
        let clock = StageClock()
        clock.measure(.network) { _ = Self.spin(milliseconds: 40) }
        clock.measure(.writing) { Thread.sleep(forTimeInterval: 0.1) }
        let times = clock.snapshot()
        XCTAssertGreaterThanOrEqual(times.seconds[.network]!, 0.040)
        XCTAssertLessThan(times.seconds[.network]!, 0.060)
        XCTAssertLessThan(times.seconds[.writing]!, 0.010, "sleeping costs no CPU time")
        XCTAssertGreaterThanOrEqual(times.wallSeconds, 0.14)
        XCTAssertGreaterThanOrEqual(times.processSeconds, times.seconds[.network]!)
        XCTAssertEqual(times.seconds[.decode], 0)
    }

    /// Stages measured on several threads add up, and time charged with `add` counts too.
    func testSumsOverThreadsAndAddedTime() {
        let clock = StageClock()
        DispatchQueue.concurrentPerform(iterations: 2) { _ in clock.measure(.overlays) { _ = Self.spin(milliseconds: 20) } }
        clock.add(.encoding, nanoseconds: 1_500_000_000)
        let times = clock.snapshot()
        XCTAssertGreaterThanOrEqual(times.seconds[.overlays]!, 0.040)
        XCTAssertEqual(times.seconds[.encoding]!, 1.5, accuracy: 1e-9)
        XCTAssertEqual(times.unattributedSeconds, 0, "more charged than the process used leaves nothing unattributed")
    }

    /// An optional clock measures only when there is one; either way the block runs once and returns its value.
    func testOptionalClockRunsTheBlockAndChargesOnlyAClock() throws {
        var runs = 0
        let none: StageClock? = nil
        XCTAssertEqual(none.measure(.maps) { runs += 1; return 7 }, 7)
        let some: StageClock? = StageClock()
        XCTAssertEqual(some.measure(.maps) { runs += 1; _ = Self.spin(milliseconds: 5); return 8 }, 8)
        XCTAssertEqual(runs, 2)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(some?.snapshot().seconds[.maps]), 0.005)
        struct Failure: Error {}
        XCTAssertThrowsError(try none.measure(.maps) { throw Failure() }) { XCTAssertTrue($0 is Failure) }
    }

    /// The summary names every stage with its seconds and share, the unattributed rest and the frame cost.
    func testSummaryNamesEveryStage() {
        let times = StageTimes(seconds: [.decode: 1, .network: 2], processSeconds: 4, wallSeconds: 2)
        let line = times.summary(frames: 1000)
        XCTAssertTrue(line.hasPrefix("CPU time per stage over 1000 frames: decode 1.00 s (25%), preprocess 0.00 s (0%), network 2.00 s (50%)"), line)
        for stage in StageClock.Stage.allCases { XCTAssertTrue(line.contains("\(stage.rawValue) "), stage.rawValue) }
        XCTAssertTrue(line.contains("unattributed 1.00 s (25%)"), line)
        XCTAssertTrue(line.hasSuffix("process 4.00 s CPU in 2.00 s wall (2.00 cores busy, 4.000 CPU ms per frame)"), line)
    }
}
