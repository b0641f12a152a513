import Analysis
import Foundation
import ModelImport
import NeuralNet
import Saliency
import VideoIO
import XCTest

/// A committed demo model with the preprocessing from its `.steerlens.json` sidecar.
struct DemoModel {
    let loaded: LoadedModel
    let preprocess: Preprocess

    /// Loads `Datasets/models/<name>` with the sidecar of `sidecar` (default: its own).
    init(named name: String, sidecar: String? = nil) throws {
        let url = DemoPaths.models.appendingPathComponent(name)
        loaded = try KerasModelLoader.load(from: url)
        let sidecarModel = DemoPaths.models.appendingPathComponent(sidecar ?? name)
        preprocess = try Self.sidecarPreprocess(URL(fileURLWithPath: sidecarModel.path + ".steerlens.json"))
    }

    /// The sidecar's crop / resize / interpolation / colour as a ``Preprocess`` (the format
    /// Datasets/README.md documents; the CLI reads the same file through the same type).
    static func sidecarPreprocess(_ url: URL) throws -> Preprocess {
        let model = String(url.path.dropLast(".steerlens.json".count))
        return try XCTUnwrap(try ModelSidecar.load(forModel: model)).preprocess()
    }

    /// The frames after preprocessing as one `[N, H, W, 3]` tensor of 0…255 values.
    func batch(_ frames: [Frame]) throws -> Tensor {
        try ModelInput(inputShape: loaded.inputShape, preprocess: preprocess).batch(frames)
    }
}
