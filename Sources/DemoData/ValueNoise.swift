/// Lattice value noise: a hash per integer lattice point, bilinearly interpolated with a smoothstep fade.
/// Values lie in `[0, 1]`.
enum ValueNoise {
    /// Hash of a lattice point and a salt to `[0, 1)`.
    @inline(__always)
    static func lattice(_ x: Int, _ y: Int, _ salt: UInt64) -> Float {
        var h = UInt64(bitPattern: Int64(x)) &* 0x9E37_79B9_7F4A_7C15
        h ^= UInt64(bitPattern: Int64(y)) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= salt &* 0x1656_67B1_9E37_79F9
        h = (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return Float(h >> 40) * 0x1.0p-24
    }

    /// Smooth 2-D noise at `(x, y)` in lattice units.
    static func sample(_ x: Float, _ y: Float, salt: UInt64) -> Float {
        let fx = x.rounded(.down), fy = y.rounded(.down)
        let ix = Int(fx), iy = Int(fy)
        var tx = x - fx, ty = y - fy
        tx = tx * tx * (3 - 2 * tx)
        ty = ty * ty * (3 - 2 * ty)
        let a = lattice(ix, iy, salt), b = lattice(ix + 1, iy, salt)
        let c = lattice(ix, iy + 1, salt), d = lattice(ix + 1, iy + 1, salt)
        let top = a + (b - a) * tx, bottom = c + (d - c) * tx
        return top + (bottom - top) * ty
    }

    /// Smooth 1-D noise at `x` in lattice units.
    static func sample(_ x: Float, salt: UInt64) -> Float {
        let fx = x.rounded(.down)
        let ix = Int(fx)
        var t = x - fx
        t = t * t * (3 - 2 * t)
        let a = lattice(ix, 0, salt), b = lattice(ix + 1, 0, salt)
        return a + (b - a) * t
    }
}
