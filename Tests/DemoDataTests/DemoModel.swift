import Foundation
import ModelImport
import NeuralNet
import VideoIO

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
    /// Datasets/README.md documents; the CLI reads the same file).
    static func sidecarPreprocess(_ url: URL) throws -> Preprocess {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let crop = (object["crop"] as! [String]).map { CropLength($0)! }
        let size = (object["resize"] as! String).split(separator: "x").map { Int($0)! }
        return Preprocess(crop: CropInsets(lengths: crop[0], crop[1], crop[2], crop[3]),
                          size: PixelSize(width: size[0], height: size[1]),
                          interpolation: Interpolation(rawValue: object["interpolation"] as! String)!,
                          colorSpace: ColorSpace(rawValue: object["color"] as! String)!)
    }

    /// The frames after preprocessing as one `[N, H, W, 3]` tensor of 0…255 values.
    func batch(_ frames: [Frame]) throws -> Tensor {
        let shape = loaded.inputShape
        let itemCount = shape.reduce(1, *)
        var scalars = [Float](repeating: 0, count: frames.count * itemCount)
        try scalars.withUnsafeMutableBufferPointer { buffer in
            for (index, frame) in frames.enumerated() {
                try preprocess.apply(to: frame, into: UnsafeMutableBufferPointer(rebasing: buffer[(index * itemCount)..<((index + 1) * itemCount)]))
            }
        }
        return Tensor(shape: [frames.count] + shape, scalars: scalars)
    }
}
