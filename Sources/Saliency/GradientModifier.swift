/// keras-vis gradient modifiers: element-wise functions applied to `g = ∂y/∂x` before the channel
/// reduction (`vis.grad_modifiers`). `ε = 1e-7` (Keras `epsilon()`), arithmetic in Float32 like keras-vis.
///
/// Non-finite results never leave a modifier: `1/(g + ε)` at `g = −ε` is `±∞` in Float32 and is
/// clamped to `±Float.greatestFiniteMagnitude`; a NaN gradient maps to 0.
public enum GradientModifier: String, Sendable, CaseIterable, Hashable {
    /// `g` (keras-vis `grad_modifier=None`).
    case identity = "default"
    /// `−g`.
    case negate
    /// `|1 / (g + ε)|`: large where the output barely reacts to the pixel.
    case smallValues = "small_values"
    /// `|g|`.
    case absolute
    /// `max(g, 0)`.
    case relu
    /// `1 / (g + ε)` (signed).
    case invert

    /// keras-vis' `K.epsilon()`.
    public static let epsilon: Float = 1e-7

    /// The modified value of one gradient element.
    @inline(__always)
    public func apply(_ gradient: Float) -> Float {
        guard !gradient.isNaN else { return 0 }
        let value: Float
        switch self {
        case .identity: value = gradient
        case .negate: value = -gradient
        case .smallValues: value = abs(1 / (gradient + Self.epsilon))
        case .absolute: value = abs(gradient)
        case .relu: value = max(gradient, 0)
        case .invert: value = 1 / (gradient + Self.epsilon)
        }
        return value.isFinite ? value : (value > 0 ? .greatestFiniteMagnitude : -.greatestFiniteMagnitude)
    }
}
