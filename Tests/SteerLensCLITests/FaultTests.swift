import Foundation
import SteerLensSupport
import TestSupport
import VideoIO
import XCTest

/// Faults while running and writing: signals, a closed standard output, a full or read-only disk, a
/// model that overflows. Each ends with one line and its documented exit code, writes no output that
/// looks complete, leaves no staging litter, and keeps earlier results.
final class FaultTests: XCTestCase {
    static let directory: URL = try! TestPaths.scratchDirectory("faults")
    static let model = TestPaths.kerasFixtures.appendingPathComponent("pilotnet_small/model.h5").path

    /// 20 s of 320×180 H.264: long enough to be stopped half-way.
    static let longClip: URL = {
        let url = directory.appendingPathComponent("long.mp4")
        try! TestClips.writeVideo(to: url, count: 600, size: PixelSize(width: 320, height: 180), encoding: .h264(frameRate: Rational(30, 1)))
        return url
    }()

    // MARK: Signals

    func testSIGTERMDuringAnalyzeKeepsEarlierResultsAndLeavesNoLitter() throws {
        try assertSignalKeepsEarlierResults(SIGTERM, command: ["analyze", Self.longClip.path, "--model", Self.model, "--batch-size", "8"])
    }

    func testSIGTERMDuringCompareKeepsEarlierResultsAndLeavesNoLitter() throws {
        try assertSignalKeepsEarlierResults(SIGTERM, command: ["compare", Self.longClip.path, "--baseline", Self.model, "--candidate", Self.model,
                                                               "--batch-size", "8"])
    }

    /// SIGKILL cannot be caught: the staging directory stays, earlier results too, and the next run
    /// that writes the same output removes the litter.
    func testSIGKILLDuringAnalyzeIsCleanedUpByTheNextRun() throws {
        let out = try assertSignalKeepsEarlierResults(SIGKILL, command: ["analyze", Self.longClip.path, "--model", Self.model, "--batch-size", "8"])
        let rerun = try SteerLensBinary.run(["analyze", Self.longClip.path, "--model", Self.model, "--out", out.path, "--overwrite", "--max-frames", "4"])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertEqual(try litter(besides: out), [])
    }

    /// A second SIGTERM while the run is still inside its first batch (the whole clip, one batch) ends the
    /// process at once with exit 130 and one line, without waiting for the batch; what it left is removed
    /// by the next run into the same output.
    func testSecondSIGTERMEndsTheRunAtOnce() throws {
        let out = Self.directory.appendingPathComponent("second-sigterm")
        try? FileManager.default.removeItem(at: out)
        let (process, errors) = try start(["analyze", Self.longClip.path, "--model", Self.model, "--batch-size", "600", "--out", out.path])
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, try !isStaging(out) { usleep(5_000) }
        XCTAssertTrue(try isStaging(out), "the run started")
        kill(process.processIdentifier, SIGTERM)
        usleep(100_000)
        XCTAssertTrue(process.isRunning, "one signal waits for the end of the batch")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 130, message)
        XCTAssertEqual(message.split(separator: "\n").count, 1, message)
        XCTAssertTrue(message.contains("interrupted again"), message)
        let rerun = try SteerLensBinary.run(["analyze", Self.longClip.path, "--model", Self.model, "--out", out.path, "--max-frames", "4"])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertEqual(try litter(besides: out), [])
    }

    /// Runs `command` once to completion into a fresh output, then again with `--overwrite` and
    /// `signal` sent half a second into the second run; returns the output directory.
    @discardableResult
    private func assertSignalKeepsEarlierResults(_ signalNumber: Int32, command: [String]) throws -> URL {
        let out = Self.directory.appendingPathComponent("signal-\(signalNumber)-\(command[0])")
        let first = try SteerLensBinary.run(command + ["--out", out.path, "--max-frames", "6"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let earlier = try snapshot(of: out)
        XCTAssertFalse(earlier.isEmpty)

        let (process, errors) = try start(command + ["--out", out.path, "--overwrite"])
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, try !isStaging(out) { usleep(20_000) }
        XCTAssertTrue(try isStaging(out), "the second run started")
        usleep(500_000)
        XCTAssertTrue(process.isRunning, "the second run is still working")
        kill(process.processIdentifier, signalNumber)
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)

        XCTAssertEqual(try snapshot(of: out), earlier, "earlier results are untouched")
        if signalNumber == SIGKILL {
            XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        } else {
            XCTAssertEqual(process.terminationStatus, 130, message)
            XCTAssertEqual(message.split(separator: "\n").filter { $0.hasPrefix("steerlens:") }.count, 1, message)
            XCTAssertTrue(message.contains("interrupted after"), message)
            XCTAssertEqual(try litter(besides: out), [], "no staging left behind")
        }
        return out
    }

    // MARK: Standard output

    /// `steerlens predict … | head -1`: the reader goes away; SteerLens says so and exits 74.
    func testClosedStandardOutputEndsWithOneLineAndExit74() throws {
        let process = Process()
        process.executableURL = SteerLensBinary.url
        process.arguments = ["predict", Self.longClip.path, "--model", Self.model, "--max-frames", "40"]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        try output.fileHandleForReading.close()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationReason, .exit, "ended by itself, not by SIGPIPE")
        XCTAssertEqual(process.terminationStatus, 74, message)
        XCTAssertEqual(message.split(separator: "\n").count, 1, message)
        XCTAssertTrue(message.contains("standard output") && message.contains("broken pipe"), message)
    }

    /// `steerlens predict … 2>&1 | head -1`, and a failing command whose standard error nobody reads: the
    /// failure line cannot be shown, but the exit code still tells what happened (a failed write to standard
    /// error trapped before: SIGILL instead of 74, 66 or 65).
    func testClosedStandardErrorStillEndsWithTheExitCode() throws {
        for (arguments, status) in [(["predict", Self.longClip.path, "--model", Self.model, "--max-frames", "40"], Int32(74)),
                                    (["probe", "/nonexistent/clip.mp4"], 66),
                                    (["predict", Self.longClip.path, "--model", Self.model, "--transform", "blur:huge"], 64)] {
            let process = Process()
            process.executableURL = SteerLensBinary.url
            process.arguments = arguments
            let both = Pipe()
            process.standardOutput = both
            process.standardError = both
            try process.run()
            try both.fileHandleForReading.close()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .exit, "\(arguments): ended by itself, not by a signal")
            XCTAssertEqual(process.terminationStatus, status, "\(arguments)")
        }
    }

    // MARK: Disks

    /// A 256 KiB tmpfs fills up while overlays are written (by the image writers) or raw maps (by the
    /// per-frame recorder, a batch behind the network): exit 74, nothing left on it.
    func testFullDiskEndsWithOneLineAndLeavesNothing() throws {
        for writes in [["--max-frames", "120"], ["--max-frames", "120", "--png-every", "0", "--save-maps", "npy"]] {
            let mount = try TemporaryMount(options: "size=256k")
            defer { mount.unmount() }
            let out = mount.url.appendingPathComponent("report")
            let result = try SteerLensBinary.run(["analyze", Self.longClip.path, "--model", Self.model, "--out", out.path] + writes)
            XCTAssertEqual(result.status, 74, "\(writes): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("No space left on device") && !result.stderr.contains("Domain="), result.stderr)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: mount.url.path), [], "no partial output")
        }
    }

    /// The disk fills while overlays of full-size frames are in flight: the image writers fail, the per-frame
    /// recorder fails on its next hand-off, and the decoder, waiting for the pixel bytes of frames nobody
    /// will draw now, must be released. Before, this run hung for ever (and ignored SIGTERM): a watchdog
    /// kills it after 60 s.
    func testFullDiskWithFramesInFlightEndsWithExit74() throws {
        let clip = TestPaths.repository.appendingPathComponent("Datasets/demo/drive.mp4").path  // 640×360: 48 frames fill the budget
        for size in ["2m", "8m"] {
            let mount = try TemporaryMount(options: "size=\(size)")
            defer { mount.unmount() }
            let (process, errors) = try start(["analyze", clip, "--model", Self.model, "--out", mount.url.appendingPathComponent("report").path,
                                               "--max-frames", "400"])
            let watchdog = DispatchWorkItem { kill(process.processIdentifier, SIGKILL) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
            process.waitUntilExit()
            watchdog.cancel()
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertEqual(process.terminationReason, .exit, "\(size): killed by the watchdog: the run hung")
            XCTAssertEqual(process.terminationStatus, 74, "\(size): \(message)")
            XCTAssertTrue(message.contains("No space left on device") && !message.contains("Domain="), message)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: mount.url.path), [], "no partial output")
        }
    }

    /// A disk with room for the first frames' images but not for the clip's: a warning with the forecast
    /// after 30 frames, long before the disk is full and the run ends (exit 74, nothing left).
    func testDiskThatWillFillUpIsForecast() throws {
        let mount = try TemporaryMount(options: "size=10m")
        defer { mount.unmount() }
        let result = try SteerLensBinary.run(["analyze", Self.longClip.path, "--model", Self.model, "--out", mount.url.appendingPathComponent("report").path])
        XCTAssertEqual(result.status, 74, result.stderr)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, result.stderr)
        XCTAssertTrue(lines[0].hasPrefix("steerlens: warning: the images need about ") && lines[0].contains("570 frames to go"), result.stderr)
        XCTAssertTrue(lines[0].contains("--png-every"), result.stderr)
        XCTAssertTrue(lines[1].contains("No space left on device") && !lines[1].contains("Domain="), result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: mount.url.path), [])
    }

    /// A read-only output folder: exit 73 before any work.
    func testReadOnlyOutputFolderEndsWithOneLine() throws {
        let mount = try TemporaryMount(options: "ro,size=64k")
        defer { mount.unmount() }
        let result = try SteerLensBinary.run(["analyze", Self.longClip.path, "--model", Self.model,
                                              "--out", mount.url.appendingPathComponent("report").path, "--max-frames", "4"])
        XCTAssertEqual(result.status, 73, result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("Read-only file system"), result.stderr)
    }

    // MARK: Models

    /// A model whose output overflows float32 is bad input (65), not a SteerLens bug and never the
    /// "regression found" exit 1 that a JSON encoding error used to produce.
    func testOverflowingModelIsBadInputInAnalyzeAndCompare() throws {
        let model = Self.directory.appendingPathComponent("overflow.h5")
        let config = KerasTestFiles.sequential([
            #"{"class_name": "Flatten", "config": {"name": "flatten", "batch_input_shape": [null, 4, 4, 3]}}"#,
            #"{"class_name": "Dense", "config": {"name": "d", "units": 1, "activation": "linear", "use_bias": true}}"#,
        ])
        try KerasTestFiles.writeModel(to: model, config: config, weights: ["d": [("d/kernel:0", [48, 1], [Float](repeating: 3e38, count: 48)),
                                                                                 ("d/bias:0", [1], [0])]])
        let analyze = try SteerLensBinary.run(["analyze", Self.longClip.path, "--model", model.path, "--max-frames", "2",
                                               "--out", Self.directory.appendingPathComponent("overflow-analyze").path])
        let compare = try SteerLensBinary.run(["compare", Self.longClip.path, "--baseline", Self.model, "--candidate", model.path, "--max-frames", "2",
                                               "--out", Self.directory.appendingPathComponent("overflow-compare").path])
        for result in [analyze, compare] {
            XCTAssertEqual(result.status, 65, result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("infinite or NaN"), result.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.directory.appendingPathComponent("overflow-analyze").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.directory.appendingPathComponent("overflow-compare").path))
    }

    // MARK: Helpers

    /// Every file under `directory` with its bytes.
    private func snapshot(of directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else { return files }
        while let path = enumerator.nextObject() as? String {
            let url = directory.appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[path] = try Data(contentsOf: url)
            }
        }
        return files
    }

    /// Hidden `.NAME.partial-*` / `.NAME.replaced-*` siblings of `url`.
    private func litter(besides url: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
            .filter { $0.hasPrefix(".\(url.lastPathComponent).") }
    }

    /// The binary started with `arguments`, its standard output discarded and its standard error piped.
    private func start(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = SteerLensBinary.url
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        return (process, errors)
    }

    /// A run is writing `url`: its staging directory exists.
    private func isStaging(_ url: URL) throws -> Bool {
        try litter(besides: url).contains { $0.contains(".partial-") }
    }
}

/// A small tmpfs mounted for one test (needs root, which CI and `make test` on a fresh machine have).
private struct TemporaryMount {
    let url: URL

    init(options: String) throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a tmpfs needs root (CI runs as root)") }
        url = try TestPaths.scratchDirectory("mount")
        try TestClips.run("mount", ["-t", "tmpfs", "-o", options, "tmpfs", url.path])
    }

    func unmount() {
        _ = try? TestClips.run("umount", [url.path])
    }
}
