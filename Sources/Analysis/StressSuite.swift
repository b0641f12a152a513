import Foundation
import Reporting
import SteerLensSupport
import Transforms

/// One transform setting of a stress suite: the transform and where it sits in the report's
/// transform × parameter grid.
public struct StressSetting: Sendable {
    /// Row of the heat map: the transform's name (`rotation`, `blur`, …).
    public let group: String
    /// Column label: the transform's value (`9`, `gaussian5`, …).
    public let parameter: String
    public let transform: any FrameTransform

    public var specification: String { transform.specification }

    public init(_ transform: any FrameTransform) {
        let specification = transform.specification
        let parts = specification.split(separator: ":", maxSplits: 1).map(String.init)
        (group, parameter) = (parts[0], parts.count > 1 ? parts[1] : "")
        self.transform = transform
    }
}

/// Reading the limits a stress run is judged by (``StressThresholds``, in Reporting with the report).
extension StressThresholds {
    /// Reads a thresholds file; unknown keys and values outside 0…1 are errors (exit 65).
    public static func load(_ url: URL) throws -> StressThresholds {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw StressSuiteError(path: url.path, detail: "cannot be read (\(error.localizedDescription))", kind: .missingInput)
        }
        return try decode(data, path: url.path)
    }

    static func decode(_ data: Data, path: String) throws -> StressThresholds {
        guard let object = try? JSONSerialization.jsonObject(with: data), let dictionary = object as? [String: Any] else {
            throw StressSuiteError(path: path, detail: "thresholds are not a JSON object")
        }
        let known = Set(StressThresholds.keys)
        if let unknown = dictionary.keys.sorted().first(where: { !known.contains($0) }) {
            throw StressSuiteError(path: path, detail: "unknown threshold '\(unknown)'")
        }
        let thresholds: StressThresholds
        do { thresholds = try JSONDecoder().decode(StressThresholds.self, from: data) } catch {
            throw StressSuiteError(path: path, detail: "thresholds must be numbers (\(error))")
        }
        for (name, value) in [("maxViolationRate", thresholds.maxViolationRate), ("maxSettingViolationRate", thresholds.maxSettingViolationRate),
                              ("maxFlipViolationRate", thresholds.maxFlipViolationRate), ("maxViolationRateIncrease", thresholds.maxViolationRateIncrease)] {
            if let value, !(0...1).contains(value) { throw StressSuiteError(path: path, detail: "\(name) must be a share within 0…1, got \(value)") }
        }
        return thresholds
    }
}

/// A grid of transform settings and the metamorphic relations' parameters: `--suite default`,
/// `--suite deeptest` or a JSON file.
///
/// DeepTest's grids (Tian et al., ICSE 2018, p = 1…10): translation (10p, 10p), scale 1 + 0.5p, shear
/// 0.1p, rotation 3p, contrast 1 + 0.2p, brightness 10p, and the ten blurs — 70 settings. `default` adds
/// fog, rain, night, lens dirt, JPEG and H.264 re-compression, camera roll and pitch, and the flip.
///
/// A suite file: `{"name": "…", "include": "deeptest", "transforms": ["fog:0.5", …], "lambda": 5,
/// "delta": 0.1, "thresholds": {"maxViolationRate": 0.2, …}}` (every key optional, at least one setting).
public struct StressSuite: Sendable {
    public var name: String
    public var settings: [StressSetting]
    /// DeepTest's λ: with labels a transformed frame violates when (θₜ − label)² > λ · MSE of the originals.
    public var lambda: Double
    /// Without labels a transformed frame violates when |θₜ − θₒ| > δ; the flip when |θ_flip + θₒ| > δ.
    public var delta: Double?
    public var thresholds: StressThresholds

    public init(name: String, settings: [StressSetting], lambda: Double = 5, delta: Double? = nil, thresholds: StressThresholds = StressThresholds()) {
        (self.name, self.settings, self.lambda, self.delta, self.thresholds) = (name, settings, lambda, delta, thresholds)
    }

    /// δ of the label-free relations: `--delta` (`flag`), else the suite file's `delta`, else the model
    /// sidecar's `stress.delta` (``ModelSidecar/StressDefaults``), else 0.1.
    public func delta(flag: Double?, sidecar: ModelSidecar.StressDefaults?) -> Double {
        flag ?? delta ?? sidecar?.delta ?? 0.1
    }

    /// DeepTest's 70 settings as `--transform` values.
    public static let deepTestSpecifications: [String] = {
        let p = Array(1...10)
        func number(_ value: Double) -> String { TransformValue.format(value) }
        return p.map { "translation:\(10 * $0),\(10 * $0)" } + p.map { "scale:\(number(1 + 0.5 * Double($0)))" }
            + p.map { "shear:\(number(Double($0) / 10))" } + p.map { "rotation:\(3 * $0)" }
            + p.map { "contrast:\(number(Double(10 + 2 * $0) / 10))" } + p.map { "brightness:\(10 * $0)" }
            + Blur.Kind.allCases.map { "blur:\($0.rawValue)" }
    }()

    /// The settings `default` adds to DeepTest's.
    public static let beyondDeepTestSpecifications: [String] =
        ["fog:0.2", "fog:0.4", "fog:0.6", "fog:0.8", "fog:1", "rain:0.2", "rain:0.4", "rain:0.6", "rain:0.8", "rain:1",
         "night:1.5", "night:2", "night:2.5", "night:3", "night:4", "dirt:2", "dirt:4", "dirt:6", "dirt:8", "dirt:10",
         "jpeg:8", "jpeg:16", "jpeg:31", "h264:30", "h264:40", "h264:51", "roll:-3", "roll:3", "pitch:-20", "pitch:20", "flip"]

    /// What λ (the labelled relation's MSE factor) and δ (the unlabelled tolerance) may be, in a suite
    /// file or on the command line.
    public static let parameterRange: ClosedRange<Double> = 0...1e6

    /// `default`, `deeptest` or a JSON suite file.
    /// - Throws: ``StressSuiteError`` (exit 65; 66 when the file is missing) naming the file and the problem.
    public static func named(_ name: String) throws -> StressSuite {
        switch name {
        case "deeptest":
            return StressSuite(name: "deeptest", settings: try deepTestSpecifications.map { StressSetting(try TransformParser.parse($0)) })
        case "default":
            return StressSuite(name: "default", settings: try (deepTestSpecifications + beyondDeepTestSpecifications).map { StressSetting(try TransformParser.parse($0)) })
        default:
            return try load(URL(fileURLWithPath: name))
        }
    }

    static func load(_ url: URL) throws -> StressSuite {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw StressSuiteError(path: path, detail: "does not exist (suites are default, deeptest or a JSON file)", kind: .missingInput)
        }
        guard let data = try? Data(contentsOf: url) else { throw StressSuiteError(path: path, detail: "cannot be read", kind: .missingInput) }
        guard let object = try? JSONSerialization.jsonObject(with: data), let suite = object as? [String: Any] else {
            throw StressSuiteError(path: path, detail: "is not a JSON object")
        }
        let known: Set = ["name", "include", "transforms", "lambda", "delta", "thresholds"]
        if let unknown = suite.keys.sorted().first(where: { !known.contains($0) }) {
            throw StressSuiteError(path: path, detail: "unknown key '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        var specifications: [String] = []
        if let include = suite["include"] {
            switch include as? String {
            case "deeptest": specifications += deepTestSpecifications
            case "default": specifications += deepTestSpecifications + beyondDeepTestSpecifications
            default: throw StressSuiteError(path: path, detail: "include must be \"deeptest\" or \"default\"")
            }
        }
        if let transforms = suite["transforms"] {
            guard let list = transforms as? [String] else { throw StressSuiteError(path: path, detail: "transforms must be a list of \"NAME:VALUE\" strings") }
            specifications += list
        }
        guard !specifications.isEmpty else { throw StressSuiteError(path: path, detail: "has no transforms (give \"transforms\" or \"include\")") }
        let settings = try specifications.map { specification -> StressSetting in
            do { return StressSetting(try TransformParser.parse(specification)) } catch let error as TransformError {
                throw StressSuiteError(path: path, detail: error.message)
            }
        }
        func number(_ key: String, _ range: ClosedRange<Double>) throws -> Double? {
            guard let value = suite[key] else { return nil }
            guard let parsed = (value as? NSNumber)?.doubleValue, !(value is Bool), range.contains(parsed) else {
                throw StressSuiteError(path: path, detail: "\(key) must be a number within \(range.lowerBound)…\(range.upperBound)")
            }
            return parsed
        }
        var thresholds = StressThresholds()
        if let limits = suite["thresholds"] {
            guard JSONSerialization.isValidJSONObject(limits) else { throw StressSuiteError(path: path, detail: "thresholds must be a JSON object") }
            thresholds = try StressThresholds.decode(try JSONSerialization.data(withJSONObject: limits), path: path)
        }
        let name = suite["name"] as? String ?? url.deletingPathExtension().lastPathComponent
        return StressSuite(name: name, settings: settings, lambda: try number("lambda", parameterRange) ?? 5,
                           delta: try number("delta", parameterRange), thresholds: thresholds)
    }
}

/// A stress suite or thresholds file SteerLens cannot use.
public struct StressSuiteError: SteerLensError {
    public let path: String
    public let detail: String
    public var kind: FailureKind = .badInput

    public init(path: String, detail: String, kind: FailureKind = .badInput) {
        (self.path, self.detail, self.kind) = (path, detail, kind)
    }

    public var message: String { "stress suite '\(path)' \(detail.hasPrefix("does") || detail.hasPrefix("has") || detail.hasPrefix("is") || detail.hasPrefix("cannot") ? detail : "is invalid: " + detail)" }
    public var hint: String { "a suite is default, deeptest or JSON like {\"include\": \"deeptest\", \"transforms\": [\"fog:0.5\"], \"thresholds\": {\"maxViolationRate\": 0.2}} (see README, 'Stress testing')" }
}
