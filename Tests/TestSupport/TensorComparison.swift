import Foundation
import SteerLensSupport

extension NPYArray {
    /// Reads `name.npy` from an `.npz` (zip) archive with the system `unzip`; nil when unzip is unavailable.
    public static func fromArchive(_ archive: URL, member name: String) throws -> NPYArray? {
        let candidates = ["/usr/bin/unzip", "/bin/unzip", "/opt/homebrew/bin/unzip", "/usr/local/bin/unzip"]
        guard let unzip = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: unzip)
        process.arguments = ["-p", archive.path, "\(name).npy"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw NPZError("unzip -p \(archive.lastPathComponent) \(name).npy failed") }
        return try NPYArray(data: data)
    }
}


/// `unzip -p` failed for an `.npz` member.
public struct NPZError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Element-wise comparison in the style of llm.c's test_gpt2.c: counts elements outside
/// `|a − b| ≤ atol + rtol·|b|`, reports the first mismatches and the max absolute difference.
public struct TensorComparison: CustomStringConvertible {
    public let label: String
    public let count: Int
    public let mismatches: Int
    public let maxAbsoluteDifference: Float
    /// max |a − b| / max |b|: the error relative to the tensor's scale.
    public let maxRelativeToScale: Float
    public let firstMismatches: [String]

    public init(_ label: String, actual: [Float], expected: [Float], shape: [Int], atol: Float = 1e-5, rtol: Float = 1e-4) {
        self.label = label
        count = expected.count
        var mismatches = 0
        var maxDifference: Float = 0
        var first: [String] = []
        let scale = expected.map(abs).max() ?? 0
        for index in 0..<min(actual.count, expected.count) {
            let difference = abs(actual[index] - expected[index])
            if !(difference <= maxDifference) { maxDifference = difference.isNaN ? .nan : max(maxDifference, difference) }
            if !(difference <= atol + rtol * abs(expected[index])) {
                mismatches += 1
                if first.count < 5 {
                    first.append("[\(Self.position(index, shape))] got \(actual[index]) expected \(expected[index])")
                }
            }
        }
        if actual.count != expected.count { mismatches += abs(actual.count - expected.count) }
        self.mismatches = mismatches
        maxAbsoluteDifference = maxDifference
        maxRelativeToScale = scale > 0 ? maxDifference / scale : maxDifference
        firstMismatches = first
    }

    public var passed: Bool { mismatches == 0 }

    public var description: String {
        "\(label): \(mismatches)/\(count) mismatches, max |diff| \(maxAbsoluteDifference), max |diff|/max|ref| \(maxRelativeToScale)"
            + (firstMismatches.isEmpty ? "" : "; first: " + firstMismatches.joined(separator: "; "))
    }

    private static func position(_ flat: Int, _ shape: [Int]) -> String {
        var index = flat
        var parts: [Int] = []
        for extent in shape.reversed() where extent > 0 {
            parts.append(index % extent)
            index /= extent
        }
        return parts.reversed().map(String.init).joined(separator: ",")
    }
}
