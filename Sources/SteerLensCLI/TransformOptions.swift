import ArgumentParser
import Transforms

/// `--transform NAME:VALUE` (repeatable): metamorphic transformations of every decoded frame, before
/// the model's preprocessing (`frames`, `predict`, `analyze`).
struct TransformOptions: ParsableArguments {
    @Option(name: .customLong("transform"), help: ArgumentHelp(
        "Transform every frame before preprocessing, NAME:VALUE, repeatable, applied in order: translation:TX,TY, scale:S, shear:F, rotation:DEG, contrast:ALPHA, brightness:BETA, blur:mean3|mean4|mean5|mean6|gaussian3|gaussian5|gaussian7|median3|median5|bilateral, fog:DENSITY, rain:AMOUNT, night:GAMMA, dirt:BLOBS, jpeg:QSCALE, h264:CRF, roll:DEG, pitch:PX, flip.",
        valueName: "name:value"))
    var transforms: [String] = []

    /// The transforms in order, or nil when none is given.
    /// - Throws: ``TransformError`` (exit 64) for an unknown name or a bad value.
    func chain() throws -> TransformChain? {
        try TransformParser.chain(transforms)
    }
}
