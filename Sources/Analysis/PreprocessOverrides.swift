import VideoIO

/// Preprocessing given on the command line: each field set here overrides the model sidecar's, and
/// fields neither sets take the defaults (no crop, the model's input size, area, RGB, values 0…255).
public struct PreprocessOverrides: Sendable {
    public var crop: CropInsets?
    public var size: PixelSize?
    public var interpolation: Interpolation?
    public var colorSpace: ColorSpace?
    public var scale: Float?
    public var offset: Float?

    public init(crop: CropInsets? = nil, size: PixelSize? = nil, interpolation: Interpolation? = nil, colorSpace: ColorSpace? = nil,
                scale: Float? = nil, offset: Float? = nil) {
        (self.crop, self.size, self.interpolation, self.colorSpace, self.scale, self.offset) = (crop, size, interpolation, colorSpace, scale, offset)
    }

    /// These overrides over `sidecar`'s fields over the defaults.
    public func resolved(over sidecar: ModelSidecar?) throws -> Preprocess {
        let (sidecarScale, sidecarOffset) = try sidecar?.factors() ?? (nil, nil)
        return Preprocess(crop: try crop ?? sidecar?.cropInsets() ?? .none, size: try size ?? sidecar?.size(),
                          interpolation: interpolation ?? sidecar?.interpolation ?? .area, colorSpace: colorSpace ?? sidecar?.color ?? .rgb,
                          scale: scale ?? sidecarScale ?? 1, offset: offset ?? sidecarOffset ?? 0)
    }
}
