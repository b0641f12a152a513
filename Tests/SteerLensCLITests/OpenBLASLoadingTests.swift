import Foundation
import TestSupport
import XCTest

/// `steerlens` loads OpenBLAS itself (COpenBLAS/openblas.c): a library that is not the one it needs is
/// one line and exit 127 before anything runs, not a crash on the first `sgemm`.
final class OpenBLASLoadingTests: XCTestCase {
    func testALibraryWithoutTheBLASFunctionsIsOneLineAndExit127() throws {
        // Any real shared library under OpenBLAS's name: zlib, which this test process has mapped
        // (/proc/self/maps read to its end: procfs files report no size).
        let maps = String(decoding: FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        guard let zlib = maps.split(separator: "\n").compactMap({ $0.split(separator: " ").last }).first(where: { $0.contains("/libz.so") }) else {
            return XCTFail("zlib is not mapped into the test process")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("steerlens-fake-openblas-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(atPath: String(zlib), toPath: folder.appendingPathComponent("libopenblas.so.0").path)

        var environment = ProcessInfo.processInfo.environment
        environment["LD_LIBRARY_PATH"] = folder.path
        let result = try Command.run(SteerLensBinary.url.path, ["probe", "Datasets/demo/drive.mp4"], environment: environment)
        XCTAssertEqual(result.status, 127)
        XCTAssertEqual(result.stdout, "")
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.hasPrefix("steerlens: cannot load OpenBLAS: the library lacks cblas_sgemm"), result.stderr)
        XCTAssertTrue(result.stderr.contains("(hint: install it"), result.stderr)
    }
}
