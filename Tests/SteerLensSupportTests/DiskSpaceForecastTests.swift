import Foundation
import XCTest
@testable import SteerLensSupport

final class DiskSpaceForecastTests: XCTestCase {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        func append(_ line: String) { lock.withLock { stored.append(line) } }
        var all: [String] { lock.withLock { stored } }
    }

    func forecast(expected: Int, free: Int?, lines: Lines) -> DiskSpaceForecast {
        DiskSpaceForecast(directory: URL(fileURLWithPath: "/data/report"), expectedFrames: expected, sampleFrames: 10, what: "the images",
                          hint: "write fewer", freeBytes: { _ in free }, warn: lines.append)
    }

    /// After the sample, the bytes per frame times the frames to go against the free space: one warning
    /// with the figures when they do not fit, none when they do, never a second one.
    func testWarnsOnceWhenTheRestWillNotFit() {
        let lines = Lines()
        let tight = forecast(expected: 1_000, free: 500_000_000, lines: lines)
        for _ in 0..<9 { tight.record(bytes: 1_000_000) }
        XCTAssertEqual(lines.all, [], "no forecast before the sample is complete")
        tight.record(bytes: 1_000_000)
        XCTAssertEqual(lines.all, ["steerlens: warning: the images need about 990 MB more (1.0 MB a frame over the first 10, 990 frames to go) "
                                   + "and 500 MB are free on /data/report: the run will stop, with nothing written, when the disk is full (hint: write fewer)"])
        for _ in 0..<100 { tight.record(bytes: 1_000_000) }
        XCTAssertEqual(lines.all.count, 1)

        let roomy = forecast(expected: 1_000, free: 1_000_000_000, lines: lines)
        for _ in 0..<20 { roomy.record(bytes: 1_000_000) }
        XCTAssertEqual(lines.all.count, 1, "990 MB fit in 1 GB")
    }

    /// Runs no longer than the sample, and file systems whose free space cannot be read, get no forecast.
    func testNoForecastForShortRunsOrUnknownSpace() {
        let lines = Lines()
        let short = forecast(expected: 10, free: 0, lines: lines)
        let unknown = forecast(expected: 1_000, free: nil, lines: lines)
        for _ in 0..<10 { short.record(bytes: 1 << 30); unknown.record(bytes: 1 << 30) }
        XCTAssertEqual(lines.all, [])
    }

    /// Writers on several threads: exactly one forecast from the sample's total.
    func testConcurrentWritersMakeOneForecast() {
        let lines = Lines()
        let shared = forecast(expected: 100_000, free: 1, lines: lines)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in for _ in 0..<50 { shared.record(bytes: 2_000) } }
        XCTAssertEqual(lines.all.count, 1)
        XCTAssertTrue(lines.all[0].contains("2.0 kB a frame over the first 10, 99990 frames to go"), lines.all[0])
    }

    /// statvfs of an existing folder, and of one that does not exist yet (its nearest existing ancestor's).
    func testAvailableBytesOfExistingAndFutureFolders() throws {
        let here = try XCTUnwrap(DiskSpaceForecast.availableBytes(URL(fileURLWithPath: NSTemporaryDirectory())))
        XCTAssertGreaterThan(here, 0)
        let future = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("not/yet/\(UUID().uuidString)")
        XCTAssertEqual(try XCTUnwrap(DiskSpaceForecast.availableBytes(future)), here, accuracy: 64 << 20)
    }

    func testDescribesBytesInDecimalUnits() {
        XCTAssertEqual(DiskSpaceForecast.describe(512), "512 bytes")
        XCTAssertEqual(DiskSpaceForecast.describe(1_500), "1.5 kB")
        XCTAssertEqual(DiskSpaceForecast.describe(226_000), "226 kB")
        XCTAssertEqual(DiskSpaceForecast.describe(412e9), "412 GB")
        XCTAssertEqual(DiskSpaceForecast.describe(3e15), "3000 TB")
    }
}
