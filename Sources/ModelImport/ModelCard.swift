/// What `steerlens inspect` shows about a loaded model: provenance, the layer table as Keras describes it,
/// inputs/outputs, parameter count and how each Lambda layer was resolved.
public struct ModelCard: Sendable, Equatable {
    /// One row of the layer table, one per Keras layer (Lambda layers included even when they resolve to
    /// several or no NeuralNet layers).
    public struct LayerRow: Sendable, Equatable {
        public let name: String
        /// The Keras class name as written in the file (`Convolution2D`, `Conv2D`, `Lambda`, ...).
        public let className: String
        /// Output shape without the batch axis.
        public let outputShape: [Int]
        /// Stored weights used by this layer.
        public let parameterCount: Int
        /// The Keras layers feeding this one.
        public let inbound: [String]
    }

    /// The model file as given.
    public let file: String
    /// The architecture file when it came separately (`--architecture`), else nil.
    public let architectureFile: String?
    /// `Keras 1`, `Keras 2` or `Keras 3` (from the config's spelling).
    public let format: String
    /// The file's `keras_version` attribute, if any.
    public let kerasVersion: String?
    /// The file's `backend` attribute, if any (`tensorflow`, `theano`).
    public let backend: String?
    /// `Sequential`, `Model` or `Functional`.
    public let modelClass: String
    public let layers: [LayerRow]
    /// Input names and shapes (without batch).
    public let inputs: [(name: String, shape: [Int])]
    /// Output names and shapes (without batch), in model output order.
    public let outputs: [(name: String, shape: [Int])]
    public let totalParameters: Int
    public let lambdaResolutions: [LambdaLayerResolution]

    public static func == (a: ModelCard, b: ModelCard) -> Bool {
        a.file == b.file && a.architectureFile == b.architectureFile && a.format == b.format
            && a.kerasVersion == b.kerasVersion && a.backend == b.backend && a.modelClass == b.modelClass
            && a.layers == b.layers && a.inputs.map(\.name) == b.inputs.map(\.name) && a.inputs.map(\.shape) == b.inputs.map(\.shape)
            && a.outputs.map(\.name) == b.outputs.map(\.name) && a.outputs.map(\.shape) == b.outputs.map(\.shape)
            && a.totalParameters == b.totalParameters && a.lambdaResolutions == b.lambdaResolutions
    }
}
