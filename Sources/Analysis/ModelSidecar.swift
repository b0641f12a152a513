import Foundation
import Saliency
import SteerLensSupport
import VideoIO

/// Preprocessing stored next to a model, `<model file>.steerlens.json`, picked up automatically so
/// users never retype the flags of a model they use often. Every field is optional; command-line flags
/// override it field by field:
///
///     {"crop": ["37.5%", "10%", "0", "0"], "resize": "200x66", "interpolation": "area",
///      "color": "rgb", "output": 0, "bins": "-1:1:15"}
///
/// `crop` is TOP, BOTTOM, LEFT, RIGHT, each pixels or a percentage (the `--crop` syntax); `resize` is
/// WIDTHxHEIGHT; `interpolation` area|bilinear|nearest; `color` rgb|bgr|yuv|gray; `output` an index or a name;
/// `bins` MIN:MAX:N turns that (softmax) output into the expected angle (see ``AngleBins``); `scale`
/// and `offset` (numbers, or fractions such as `"1/255"`) map the 0…255 pixel values the way a
/// training script did outside the network — a DonkeyCar pilot: `{"scale": "1/255"}`, with
/// `ROI_CROP_TOP`/`ROI_CROP_BOTTOM` as `"crop": ["40", "0", "0", "0"]`. `mean` and `std` (one number, or
/// one per channel) then normalise each channel, `(value − mean) / std`, as torchvision's
/// `Normalize` after `ToTensor` does: `{"scale": "1/255", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}`.
/// `stress` holds the model's defaults for `steerlens stress` and `compare --stress`: `{"stress": {"delta": 0.05}}`
/// is δ of the label-free relation |θₜ − θₒ| ≤ δ in the model's output unit (`--delta` and a suite's
/// `delta` override it).
public struct ModelSidecar: Decodable, Equatable, Sendable {
    public var crop: [String]?
    public var resize: String?
    public var interpolation: Interpolation?
    public var color: ColorSpace?
    public var output: String?
    public var bins: String?
    public var scale: String?
    public var offset: String?
    public var mean: [Double]?
    public var std: [Double]?
    public var stress: StressDefaults?

    /// The `stress` object: defaults of the metamorphic relations for this model.
    public struct StressDefaults: Decodable, Equatable, Sendable {
        /// δ of |θₜ − θₒ| ≤ δ (and of the flip relation), in the model's output unit.
        public var delta: Double?
        public init(delta: Double? = nil) { self.delta = delta }
    }

    /// Where the sidecar of `modelPath` lives.
    public static func url(forModel modelPath: String) -> URL {
        URL(fileURLWithPath: modelPath + ".steerlens.json")
    }

    /// The sidecar beside `modelPath`, or `nil` when there is none.
    /// - Throws: ``SidecarError`` when the file exists but is not a valid sidecar.
    public static func load(forModel modelPath: String) throws -> ModelSidecar? {
        let url = url(forModel: modelPath)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            let sidecar = try JSONDecoder().decode(ModelSidecar.self, from: Data(contentsOf: url))
            _ = try sidecar.cropInsets()
            _ = try sidecar.size()
            _ = try sidecar.angleBins()
            _ = try sidecar.factors()
            _ = try sidecar.normalization()
            if let delta = sidecar.stress?.delta, !(delta >= 0 && delta.isFinite) {
                throw SidecarError(path: "", detail: "stress.delta must be a number ≥ 0, got \(delta)")
            }
            return sidecar
        } catch let error as SidecarError {
            throw SidecarError(path: url.path, detail: error.detail)
        } catch let DecodingError.dataCorrupted(context) {
            throw SidecarError(path: url.path, detail: context.debugDescription)
        } catch let DecodingError.typeMismatch(_, context) {
            throw SidecarError(path: url.path, detail: "'\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)")
        } catch {
            throw SidecarError(path: url.path, detail: "\(error)")
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        crop = try container.decodeIfPresent([String].self, forKey: .crop)
        resize = try container.decodeIfPresent(String.self, forKey: .resize)
        interpolation = try container.decodeIfPresent(Interpolation.self, forKey: .interpolation)
        color = try container.decodeIfPresent(ColorSpace.self, forKey: .color)
        if let index = try? container.decodeIfPresent(Int.self, forKey: .output) {
            output = String(index)
        } else {
            output = try container.decodeIfPresent(String.self, forKey: .output)
        }
        bins = try container.decodeIfPresent(String.self, forKey: .bins)
        func factor(_ key: CodingKeys) throws -> String? {
            if let value = try? container.decodeIfPresent(Double.self, forKey: key) { return String(value) }
            return try container.decodeIfPresent(String.self, forKey: key)
        }
        scale = try factor(.scale)
        offset = try factor(.offset)
        func numbers(_ key: CodingKeys) throws -> [Double]? {
            if let value = try? container.decodeIfPresent(Double.self, forKey: key) { return [value] }
            return try container.decodeIfPresent([Double].self, forKey: key)
        }
        mean = try numbers(.mean)
        std = try numbers(.std)
        stress = try container.decodeIfPresent(StressDefaults.self, forKey: .stress)
    }

    private enum CodingKeys: String, CodingKey { case crop, resize, interpolation, color, output, bins, scale, offset, mean, std, stress }

    /// The sidecar's per-channel normalisation, when `mean` or `std` is given.
    public func normalization() throws -> ChannelNormalization? {
        guard mean != nil || std != nil else { return nil }
        let mean = self.mean ?? [0], std = self.std ?? [1]
        guard (1...3).contains(mean.count), (1...3).contains(std.count), mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw SidecarError(path: "", detail: "mean and std must be a number or one per channel (std > 0), got mean \(mean) std \(std)")
        }
        return ChannelNormalization(mean: mean.map { Float($0) }, std: std.map { Float($0) })
    }

    /// The sidecar's `scale` and `offset`, when given.
    public func factors() throws -> (scale: Float?, offset: Float?) {
        func parse(_ text: String?, _ name: String) throws -> Float? {
            guard let text else { return nil }
            guard let value = Preprocess.parseFactor(text) else { throw SidecarError(path: "", detail: "\(name) must be a number or a fraction such as \"1/255\", got '\(text)'") }
            return value
        }
        return (try parse(scale, "scale"), try parse(offset, "offset"))
    }

    /// The classifier head's bins, if the sidecar declares them.
    public func angleBins() throws -> AngleBins? {
        guard let bins else { return nil }
        guard let parsed = AngleBins(parsing: bins) else { throw SidecarError(path: "", detail: "bins must be \(AngleBins.syntax), got '\(bins)'") }
        return parsed
    }

    public func cropInsets() throws -> CropInsets? {
        guard let crop else { return nil }
        let lengths = crop.map { CropLength($0) }
        guard lengths.count == 4, let top = lengths[0], let bottom = lengths[1], let left = lengths[2], let right = lengths[3] else {
            throw SidecarError(path: "", detail: "crop must be four values TOP,BOTTOM,LEFT,RIGHT (pixels or percentages), got \(crop)")
        }
        return CropInsets(lengths: top, bottom, left, right)
    }

    public func size() throws -> PixelSize? {
        guard let resize else { return nil }
        guard let size = PixelSize(parsing: resize) else { throw SidecarError(path: "", detail: "resize must be WIDTHxHEIGHT, got '\(resize)'") }
        return size
    }

    /// The sidecar's preprocessing on its own, with the defaults for absent fields.
    public func preprocess() throws -> Preprocess { try PreprocessOverrides().resolved(over: self) }
}

/// A model's `.steerlens.json` exists but cannot be used.
public struct SidecarError: SteerLensError {
    public let path: String
    public let detail: String
    public init(path: String, detail: String) {
        self.path = path
        self.detail = detail
    }
    public var kind: FailureKind { .badInput }
    public var message: String { "model sidecar '\(path)' is invalid: \(detail)" }
    public var hint: String { "fix or delete the sidecar, or pass --ignore-sidecar (see README, 'Model sidecar')" }
}
