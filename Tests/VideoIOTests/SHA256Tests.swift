import Foundation
import SteerLensSupport
import VideoIO
import XCTest

/// SHA-256 (libavutil) against the FIPS 180-4 examples and against coreutils' `sha256sum` on a file that spans
/// several read chunks and ends mid-block.
final class SHA256Tests: XCTestCase {
    func testFIPSExamples() {
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testSplitUpdatesEqualOneUpdate() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let hash = SHA256()
        for cut in stride(from: 0, to: bytes.count, by: 37) { hash.update(bytes[cut..<min(cut + 37, bytes.count)]) }
        XCTAssertEqual(hash.finalize(), SHA256.hex(bytes))
    }

    func testFileMatchesSha256sum() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sha256-\(getpid()).bin")
        defer { try? FileManager.default.removeItem(at: url) }
        var generator = SeededRandom(seed: 7)
        let bytes = (0..<(2 << 20) + 77).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        try Data(bytes).write(to: url)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", url.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(try SHA256.hex(file: url), String(output.prefix(64)))
        XCTAssertThrowsError(try SHA256.hex(file: url.appendingPathExtension("absent"))) {
            XCTAssertEqual(($0 as? SteerLensError)?.kind, .missingInput)
        }
    }
}
