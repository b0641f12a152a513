import Foundation
import SteerLensSupport
import XCTest

/// Path arithmetic on untrusted text: POSIX answers, and no trap on the paths that crash Foundation.
final class PathTextTests: XCTestCase {
    func testComponentsLikePOSIX() {
        let cases: [(path: String, parent: String, last: String)] = [
            ("a/b/c.png", "a/b", "c.png"), ("a/b/", "a", "b"), ("/a", "/", "a"), ("a", "", "a"), ("/", "/", "/"),
            ("//x//y//", "//x", "y"), ("frames/%06d.png", "frames", "%06d.png"),
        ]
        for (path, parent, last) in cases {
            XCTAssertEqual(PathText.parent(of: path), parent, path)
            XCTAssertEqual(PathText.lastComponent(of: path), last, path)
        }
        XCTAssertEqual(PathText.pathExtension(of: "dir/img.PNG"), "PNG")
        XCTAssertEqual(PathText.pathExtension(of: ".hidden"), "")
        XCTAssertEqual(PathText.pathExtension(of: "noext"), "")
        XCTAssertEqual(PathText.appending("meta.json", to: "tub"), "tub/meta.json")
        XCTAssertEqual(PathText.appending("meta.json", to: "tub/"), "tub/meta.json")
    }

    /// The image path of a fuzzed driving_log.csv that makes `NSString.deletingLastPathComponent` trap
    /// (Tests/Fixtures/fuzz/FuzzLabels): separators, NULs and replacement characters.
    func testMalformedPathsThatTrapFoundationAreHandled() {
        let scalars: [UInt32] = [0x2F, 0x2F, 0, 0, 0, 0xFFFD, 0xFFFD, 0x69, 0x6F, 0x6E, 0x61, 0x6C, 0x2F, 0x2F, 2, 0, 0, 0, 0,
                                 0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0xFFFD, 0, 0xFFFD, 0x25, 0x2F]
        let path = String(String.UnicodeScalarView(scalars.compactMap(Unicode.Scalar.init)))
        XCTAssertEqual(PathText.parent(of: path), String(String.UnicodeScalarView(scalars[0..<19].compactMap(Unicode.Scalar.init))))
        XCTAssertEqual(PathText.lastComponent(of: path), "\u{FFFD}\u{0}\u{FFFD}%")
    }
}
