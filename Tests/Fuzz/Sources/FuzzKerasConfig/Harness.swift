import Foundation
import FuzzSupport
@testable import ModelImport

/// Keras model configs (`model_config` / `model.to_json()`) → layer graph, with real weights: the first
/// byte picks one of the fixture models' weight stores (read once), the rest is the architecture
/// JSON. Every config either builds a model or throws; nothing may trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKerasConfig(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = FuzzInput.bytes(start, count)
    guard let selector = bytes.first, !WeightStores.all.isEmpty else { return 0 }
    let json = String(decoding: bytes.dropFirst(), as: UTF8.self)
    guard let description = try? KerasArchitectureParser.parse(json: json, source: "fuzz") else { return 0 }
    let weights = WeightStores.all[Int(selector) % WeightStores.all.count]
    _ = try? KerasGraphBuilder(description: description, weights: weights, lambdaOverrides: [:]).build()
    return 0
}

/// The weight stores of the committed Keras fixtures, in name order (`FUZZ_KERAS_FIXTURES` = the
/// `Tests/Fixtures/keras` folder; `make fuzz` sets it).
enum WeightStores {
    static let all: [KerasWeightStore] = {
        guard let folder = ProcessInfo.processInfo.environment["FUZZ_KERAS_FIXTURES"],
              let cases = try? FileManager.default.contentsOfDirectory(atPath: folder).sorted() else {
            fatalError("set FUZZ_KERAS_FIXTURES to Tests/Fixtures/keras")
        }
        return cases.compactMap { name -> KerasWeightStore? in
            for file in ["model.h5", "weights.h5"] {
                let path = "\(folder)/\(name)/\(file)"
                guard FileManager.default.fileExists(atPath: path), let root = try? HDF5File(readingAt: path).rootGroup() else { continue }
                let group = root.isGroup("model_weights") ? (try? root.group("model_weights")) : root
                if let group, let store = try? KerasWeightStore.read(from: group) { return store }
            }
            return nil
        }
    }()
}
