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

    /// The modified value of one gradient element: ``formula`` behind ``guarded(_:)``, and 0 for a NaN
    /// gradient.
    @inline(__always)
    public func apply(_ gradient: Float) -> Float {
        guard !gradient.isNaN else { return 0 }
        return Self.guarded(formula(gradient))
    }

    /// The modifier's formula, unguarded; ``SaliencyReduction`` passes the same ``Formula`` functions
    /// to its specialised Swift loops. Its AVX-512 loop (`saliency_kernels.h`, three channels) is their
    /// vector twin, operation by operation, held to the same bits by `ModifierReductionTests`.
    @inline(__always)
    public func formula(_ gradient: Float) -> Float {
        switch self {
        case .identity: Formula.identity(gradient)
        case .negate: Formula.negate(gradient)
        case .smallValues: Formula.smallValues(gradient)
        case .absolute: Formula.absolute(gradient)
        case .relu: Formula.relu(gradient)
        case .invert: Formula.invert(gradient)
        }
    }

    /// Keeps non-finite values out of maps: NaN → 0, ±∞ → ±`Float.greatestFiniteMagnitude`.
    @inline(__always)
    public static func guarded(_ value: Float) -> Float {
        value.isNaN ? 0 : min(max(value, -.greatestFiniteMagnitude), .greatestFiniteMagnitude)
    }

    /// The keras-vis formulas, one function per modifier (Float32, `ε` = ``epsilon``).
    public enum Formula {
        @inline(__always) public static func identity(_ g: Float) -> Float { g }
        @inline(__always) public static func negate(_ g: Float) -> Float { -g }
        @inline(__always) public static func smallValues(_ g: Float) -> Float { abs(1 / (g + epsilon)) }
        @inline(__always) public static func absolute(_ g: Float) -> Float { abs(g) }
        @inline(__always) public static func relu(_ g: Float) -> Float { max(g, 0) }
        @inline(__always) public static func invert(_ g: Float) -> Float { 1 / (g + epsilon) }
    }
}
