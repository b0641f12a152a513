import Foundation

/// A Keras 3 `.keras` file: a zip holding `metadata.json` (`keras_version`), `config.json` (the model
/// config, as in `model.to_json()`) and `model.weights.h5` (see ``KerasV3Weights``).
///
/// The weights entry is extracted to a private temporary file (libhdf5 opens files by path) that is
/// deleted as soon as the weights are read; `--architecture` replaces `config.json` as for `.h5` files.
enum KerasArchive {
    static func read(_ url: URL, architecture: URL?) throws -> (KerasModelDescription, KerasWeightStore, String?, String?) {
        let path = url.path
        let archive: ZipArchive
        do {
            archive = try ZipArchive(url: url)
        } catch let failure as ZipArchive.Failure {
            throw ModelImportError.corrupt(path: path, detail: failure.description)
        }
        func entryData(_ name: String) throws -> Data? {
            guard let entry = archive.entry(named: name) else { return nil }
            do {
                return try archive.data(of: entry)
            } catch let failure as ZipArchive.Failure {
                throw ModelImportError.corrupt(path: path, detail: failure.description)
            }
        }
        var kerasVersion: String?
        if let metadata = try entryData("metadata.json"),
           let object = try? JSONSerialization.jsonObject(with: metadata) as? [String: Any] {
            kerasVersion = object["keras_version"] as? String
        }
        let json: String, source: String
        if let architecture {
            try KerasModelLoader.checkReadable(architecture)
            json = try KerasModelLoader.readArchitecture(architecture)
            source = architecture.path
        } else if let config = try entryData("config.json") {
            json = String(decoding: config, as: UTF8.self)
            source = "\(path):config.json"
        } else {
            throw ModelImportError.invalidArchitecture(path: path, detail: "the .keras archive has no config.json (entries: \(archive.entries.map(\.name).joined(separator: ", ")))")
        }
        let description = try KerasArchitectureParser.parse(json: json, source: source, kerasVersion: kerasVersion ?? "3")
        guard let weightsEntry = archive.entry(named: "model.weights.h5") else {
            throw ModelImportError.missingWeights(layer: "(model)", detail: "the .keras archive has no model.weights.h5")
        }
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("steerlens-\(UUID().uuidString).weights.h5")
        defer { try? FileManager.default.removeItem(at: temporary) }
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let output = try? FileHandle(forWritingTo: temporary) else {
            throw ModelImportError.unreadable(path: path, reason: "cannot create a temporary file in \(temporary.deletingLastPathComponent().path)")
        }
        do {
            defer { try? output.close() }
            try archive.extract(weightsEntry) { chunk in try output.write(contentsOf: Data(chunk)) }
        } catch let failure as ZipArchive.Failure {
            throw ModelImportError.corrupt(path: path, detail: failure.description)
        }
        let store = try KerasV3Weights.read(from: try HDF5File(readingAt: temporary.path).rootGroup(), description: description)
        return (description, store, kerasVersion, nil)
    }
}
