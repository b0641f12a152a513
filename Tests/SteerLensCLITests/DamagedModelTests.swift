import Foundation
import TestSupport
import XCTest

/// Damaged (not truncated) model files: libhdf5 has no checksums, and some damage makes it fault or spin
/// inside its global-heap reader. Whatever the damage, `inspect` must end with exit 0 (the damage hit
/// weight values) or 65 with one line — never a crash, a backtrace or a hang.
final class DamagedModelTests: XCTestCase {
    func testDamageAnywhereInTheFileNeverCrashesOrHangs() throws {
        let source = try Data(contentsOf: TestPaths.kerasFixtures.appendingPathComponent("pilotnet_small/model.h5"))
        let directory = try TestPaths.scratchDirectory("damaged-models")
        var environment = ProcessInfo.processInfo.environment
        environment["STEERLENS_MODEL_LOAD_TIMEOUT"] = "3"
        var state: UInt64 = 0x5EED
        var outcomes: [Int32: Int] = [:]
        // 64 zero bytes at 40 evenly spaced offsets, then 64 pseudo-random bytes at 48 others.
        let damages = (0..<40).map { (source.count * $0 / 40, true) } + (0..<48).map { (source.count * $0 / 48, false) }
        for (position, (offset, zeros)) in damages.enumerated() {
            var bytes = source
            for index in offset..<min(offset + 64, bytes.count) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes[index] = zeros ? 0 : UInt8(truncatingIfNeeded: state >> 56)
            }
            let file = directory.appendingPathComponent("damaged-\(position).h5")
            try bytes.write(to: file)
            // `timeout` turns a hang into exit 124, so a regression fails the test instead of stalling CI.
            let result = try Command.run("timeout", ["60", SteerLensBinary.url.path, "inspect", file.path], environment: environment)
            outcomes[result.status, default: 0] += 1
            XCTAssertTrue([0, 65].contains(result.status), "offset \(offset): exit \(result.status): \(result.stderr.prefix(300))")
            if result.status == 65 {
                XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "offset \(offset): \(result.stderr.prefix(300))")
                XCTAssertTrue(result.stderr.hasPrefix("steerlens: ") && result.stderr.contains("hint: "), result.stderr)
            }
        }
        XCTAssertGreaterThan(outcomes[65, default: 0], 0, "some damage is detected: \(outcomes)")
    }
}
