import Foundation

/// Locations of the committed demo material, relative to this file.
enum DemoPaths {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let datasets = repository.appendingPathComponent("Datasets")
    static let demo = datasets.appendingPathComponent("demo")
    static let clip = demo.appendingPathComponent("drive.mp4")
    static let labels = demo.appendingPathComponent("labels.csv")
    static let models = datasets.appendingPathComponent("models")

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("demodata-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `labels.csv` as (frame, steering) pairs.
    static func labels(_ url: URL = labels) throws -> [Int: Double] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var result: [Int: Double] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",")
            result[Int(fields[0])!] = Double(fields[2])!
        }
        return result
    }
}
