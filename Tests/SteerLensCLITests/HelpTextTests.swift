import Foundation
import TestSupport
import XCTest

/// Pins every subcommand's `--help` text (the README transcripts quote them). A change to an option's
/// help is deliberate: regenerate the pinned files with `make help-fixtures` and review the diff.
final class HelpTextTests: XCTestCase {
    static let commands = ["", "probe", "frames", "inspect", "predict", "analyze", "compare", "check", "merge", "sanity", "stress"]

    func testHelpTextIsPinned() throws {
        let folder = TestPaths.fixtures.appendingPathComponent("help")
        for command in Self.commands {
            let arguments = (command.isEmpty ? [] : [command]) + ["--help"]
            // A fixed width, as in a pipe: ArgumentParser wraps help to the terminal's.
            let result = try Command.run(SteerLensBinary.url.path, arguments, environment: ["COLUMNS": "80", "PATH": "/usr/bin:/bin"])
            XCTAssertEqual(result.status, 0, "steerlens \(command) --help: \(result.stderr)")
            let name = command.isEmpty ? "steerlens" : command
            let pinned = try String(contentsOf: folder.appendingPathComponent("\(name).txt"), encoding: .utf8)
            let actual = String(decoding: result.stdoutData, as: UTF8.self)
            if actual != pinned {
                let first = zip(actual.split(separator: "\n", omittingEmptySubsequences: false), pinned.split(separator: "\n", omittingEmptySubsequences: false))
                    .enumerated().first { $0.element.0 != $0.element.1 }
                XCTFail("steerlens \(command) --help differs from Tests/Fixtures/help/\(name).txt"
                        + (first.map { " at line \($0.offset + 1):\n  got:    \($0.element.0)\n  pinned: \($0.element.1)" } ?? " in length"))
            }
        }
    }
}
