import Foundation
import TestSupport
import XCTest

/// Issue 13's layout rule: no source file over 400 lines (Swift and the C kernels' headers alike), so
/// each file keeps to one concern. Split a file that grows past it along its concerns.
final class SourceLayoutTests: XCTestCase {
    static let lineLimit = 400

    func testNoSourceFileIsOver400Lines() throws {
        let sources = TestPaths.repository.appendingPathComponent("Sources")
        let enumerator = try XCTUnwrap(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: [.isRegularFileKey]))
        var counted = 0
        for case let url as URL in enumerator where ["swift", "h", "c"].contains(url.pathExtension) {
            let text = try String(contentsOf: url, encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count - (text.hasSuffix("\n") ? 1 : 0)
            XCTAssertLessThanOrEqual(lines, Self.lineLimit, "\(url.path.dropFirst(sources.path.count + 1)) has \(lines) lines")
            counted += 1
        }
        XCTAssertGreaterThan(counted, 100, "the walk found too few source files: is \(sources.path) the repository's?")
    }
}
