import Foundation
import SteerLensSupport
import XCTest

/// Unforeseen errors map to exit 70; the litter of killed runs is cleaned up and nothing is lost.
final class FailureAndLitterTests: XCTestCase {
    private struct Foreign: Error {}

    func testForeignErrorsBecomeUnexpectedFailuresNamingTheStep() throws {
        XCTAssertThrowsError(try during("encoding run.json") { throw Foreign() }) { error in
            let failure = error as? UnexpectedFailure
            XCTAssertEqual(failure?.step, "encoding run.json")
            XCTAssertEqual(failure?.kind.exitCode, 70, "EX_SOFTWARE, never 1 (regression found)")
            XCTAssertTrue(failure?.message.hasPrefix("unexpected failure while encoding run.json") == true)
        }
        let known = OutputError(path: "x", kind: .ioError, reason: "disk full")
        XCTAssertThrowsError(try during("writing") { throw known }) { XCTAssertEqual(($0 as? OutputError)?.kind, .ioError) }
        XCTAssertEqual(try during("adding") { 2 + 2 }, 4)
        XCTAssertEqual(Set(FailureKind.allCases.map(\.exitCode)).count, FailureKind.allCases.count, "exit codes are distinct")
        XCTAssertFalse(FailureKind.allCases.map(\.exitCode).contains(1))
    }

    /// A run killed between renaming earlier results aside and moving its own into place: the next
    /// run puts the earlier results back and removes the dead run's staging directory.
    func testLitterOfADeadRunIsRemovedAndReplacedResultsAreRestored() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("litter-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let dead = try deadProcessID()
        let destination = folder.appendingPathComponent("report")
        let replaced = folder.appendingPathComponent(".report.replaced-\(dead)")
        let partial = folder.appendingPathComponent(".report.partial-\(dead)")
        let alive = folder.appendingPathComponent(".report.partial-\(getppid())")
        for directory in [replaced, partial, alive] { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        try Data("earlier".utf8).write(to: replaced.appendingPathComponent("run.json"))

        RunLitter.clean(besides: destination)
        XCTAssertEqual(try String(contentsOf: destination.appendingPathComponent("run.json"), encoding: .utf8), "earlier")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), [alive.lastPathComponent, "report"],
                       "a live run's staging is left alone")
    }

    func testCommitReplacesEarlierResultsWithoutLeavingThemBehind() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("commit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let destination = folder.appendingPathComponent("report")
        for text in ["first", "second"] {
            try OutputDirectory.produce(destination, overwrite: true) { staging in
                try Data(text.utf8).write(to: staging.appendingPathComponent("run.json"))
            }
        }
        XCTAssertEqual(try String(contentsOf: destination.appendingPathComponent("run.json"), encoding: .utf8), "second")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["report"])
    }

    /// The process ID of a child that has exited (and been reaped).
    private func deadProcessID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }
}
