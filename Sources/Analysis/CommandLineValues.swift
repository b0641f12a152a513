import ModelImport
import VideoIO

// The command-line spellings of preprocessing and model-file settings, parsed into the typed values
// the pipeline takes. Each failure is a ``UsageError`` (exit 64) naming the flag and the value given.

extension PreprocessOverrides {
    /// Parses each flag given; nil leaves the field to the sidecar.
    /// - Parameters:
    ///   - crop: `TOP,BOTTOM,LEFT,RIGHT`, each pixels (`60`) or percent of the frame (`37.5%`).
    ///   - size: `WIDTHxHEIGHT` with positive integers.
    ///   - scale, offset: a number or a fraction such as `1/255`.
    public init(parsingCrop crop: String?, size: String?, interpolation: Interpolation?, colorSpace: ColorSpace?,
                scale: String?, offset: String?) throws {
        func factor(_ text: String?, _ flag: String) throws -> Float? {
            guard let text else { return nil }
            guard let value = Preprocess.parseFactor(text) else {
                throw UsageError(message: "--\(flag) takes a number or a fraction; got '\(text)'", hint: "e.g. 1/255")
            }
            return value
        }
        self.init(crop: try crop.map(Self.cropInsets), size: try size.map(Self.size), interpolation: interpolation, colorSpace: colorSpace,
                  scale: try factor(scale, "scale"), offset: try factor(offset, "offset"))
    }

    private static func cropInsets(_ text: String) throws -> CropInsets {
        let lengths = text.split(separator: ",", omittingEmptySubsequences: false).map { CropLength(String($0)) }
        guard lengths.count == 4, let top = lengths[0], let bottom = lengths[1], let left = lengths[2], let right = lengths[3] else {
            throw UsageError(message: "--crop takes four values TOP,BOTTOM,LEFT,RIGHT; got '\(text)'",
                             hint: "each pixels (60) or a percentage (37.5%), e.g. 60,25,0,0")
        }
        return CropInsets(lengths: top, bottom, left, right)
    }

    private static func size(_ text: String) throws -> PixelSize {
        guard let size = PixelSize(parsing: text) else {
            throw UsageError(message: "--resize takes WIDTHxHEIGHT with integers 1…16384; got '\(text)'", hint: "e.g. 200x66")
        }
        return size
    }
}

extension ModelFileOptions {
    /// Parses `--lambda NAME=EXPR` declarations and `--input NAME=VALUE` pairs (a later pair for the same
    /// name wins).
    public init(architecture: String?, lambdas: [String], inputs: [String]) throws {
        var overrides: [String: [LambdaOperation]] = [:]
        for declaration in lambdas {
            do {
                let (name, operations) = try LambdaExpression.parseDeclaration(declaration)
                overrides[name] = operations
            } catch {
                throw UsageError(message: "--lambda \(declaration): \(error.message)", hint: error.hint)
            }
        }
        var values: [String: Float] = [:]
        for declaration in inputs {
            let parts = declaration.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let value = Float(parts[1]), value.isFinite else {
                throw UsageError(message: "--input must be NAME=VALUE with a number; got '\(declaration)'", hint: "e.g. speed=0.5")
            }
            values[parts[0]] = value
        }
        self.init(architecture: architecture, lambdaOverrides: overrides, inputValues: values)
    }
}
