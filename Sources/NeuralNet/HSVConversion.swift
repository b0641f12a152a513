/// TensorFlow's `tf.image.rgb_to_hsv` and the gradient TensorFlow registers for it, per pixel.
///
/// Layout: `[..., 3]` RGB in, `[..., 3]` HSV out (H, S, V in [0, 1] for inputs in [0, 1]), Float32.
/// Forward (`core/kernels/image/colorspace_op.h`): `V = max`, `range = V − min`, `S = range/V` (0 when
/// V = 0), `H = (G − B)/(6·range)` when R is the maximum, `(B − R)/(6·range) + 2/6` when G is,
/// `(R − G)/(6·range) + 4/6` otherwise; `H = 0` when range = 0, and `H + 1` when negative.
/// Backward: TensorFlow's `_RGBToHSVGrad` (`python/ops/image_grad.py`) term by term, including its
/// tie-breaking (ties favour R over G over B for the maximum) and `div_no_nan` reciprocals.
enum HSVConversion {
    static func forward(_ x: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        var p = 0
        while p + 2 < x.count {
            let (r, g, b) = (x[p], x[p + 1], x[p + 2])
            let v = max(r, max(g, b))
            let range = v - min(r, min(g, b))
            let s: Float = v > 0 ? range / v : 0
            let norm = (1 / range) * Float(1.0 / 6.0)
            var h: Float = r == v ? norm * (g - b) : g == v ? norm * (b - r) + Float(2.0 / 6.0) : norm * (r - g) + Float(4.0 / 6.0)
            if !(range > 0) { h = 0 }
            if h < 0 { h += 1 }
            out[p] = h
            out[p + 1] = s
            out[p + 2] = v
            p += 3
        }
        return out
    }

    /// `dy` holds the gradient with respect to (H, S, V); returns it with respect to (R, G, B).
    static func backward(x: [Float], y: [Float], dy: [Float]) -> [Float] {
        func reciprocal(_ value: Float) -> Float { value == 0 ? 0 : 1 / value }
        func flag(_ condition: Bool) -> Float { condition ? 1 : 0 }
        var dx = [Float](repeating: 0, count: x.count)
        var p = 0
        while p + 2 < x.count {
            let (r, g, b) = (x[p], x[p + 1], x[p + 2])
            let (saturation, value) = (y[p + 1], y[p + 2])
            let redBiggest = flag(r >= b && r >= g), greenBiggest = flag(g > r && g >= b), blueBiggest = flag(b > r && b > g)
            let redSmallest = flag(r < b && r < g), greenSmallest = flag(g <= r && g < b), blueSmallest = flag(b <= r && b <= g)
            let (redPositive, greenPositive, bluePositive) = (flag(r > 0), flag(g > 0), flag(b > 0))

            let dsdr = redPositive * (redBiggest * (greenSmallest * g + blueSmallest * b) * reciprocal(r * r)
                + redSmallest * -1 * reciprocal(greenBiggest * g + blueBiggest * b))
            let dsdg = greenPositive * (greenBiggest * (redSmallest * r + blueSmallest * b) * reciprocal(g * g)
                + greenSmallest * -1 * reciprocal(redBiggest * r + blueBiggest * b))
            let dsdb = bluePositive * (blueBiggest * (greenSmallest * g + redSmallest * r) * reciprocal(b * b)
                + blueSmallest * -1 * reciprocal(greenBiggest * g + redBiggest * r))

            let hueScale = reciprocal(saturation * saturation) * reciprocal(value * value)
            var dhdr = 60 * (redPositive * redBiggest * -1 * (g - b) * hueScale)
            dhdr += 60 * (greenPositive * greenBiggest * redSmallest * (b - g) * reciprocal((r - g) * (r - g)))
            dhdr += 60 * (greenPositive * greenBiggest * blueSmallest * -1 * reciprocal(g - b))
            dhdr += 60 * (bluePositive * blueBiggest * redSmallest * (b - g) * reciprocal((b - r) * (b - r)))
            dhdr += 60 * (bluePositive * blueBiggest * greenSmallest * reciprocal(b - g))
            var dhdg = 60 * (greenPositive * greenBiggest * -1 * (b - r) * hueScale)
            dhdg += 60 * (redPositive * redBiggest * greenSmallest * (r - b) * reciprocal((r - g) * (r - g)))
            dhdg += 60 * (redPositive * redBiggest * blueSmallest * reciprocal(r - b))
            dhdg += 60 * (bluePositive * blueBiggest * greenSmallest * (r - b) * reciprocal((b - g) * (b - g)))
            dhdg += 60 * (bluePositive * blueBiggest * redSmallest * -1 * reciprocal(b - r))
            var dhdb = 60 * (bluePositive * blueBiggest * -1 * (r - g) * hueScale)
            dhdb += 60 * (redPositive * redBiggest * blueSmallest * (g - r) * reciprocal((r - b) * (r - b)))
            dhdb += 60 * (redPositive * redBiggest * greenSmallest * -1 * reciprocal(r - g))
            dhdb += 60 * (greenPositive * greenBiggest * blueSmallest * (g - r) * reciprocal((g - b) * (g - b)))
            dhdb += 60 * (greenPositive * greenBiggest * redSmallest * reciprocal(g - r))
            dhdr /= 360
            dhdg /= 360
            dhdb /= 360

            let (gh, gs, gv) = (dy[p], dy[p + 1], dy[p + 2])
            dx[p] = gv * redBiggest + gs * dsdr + gh * dhdr
            dx[p + 1] = gv * greenBiggest + gs * dsdg + gh * dhdg
            dx[p + 2] = gv * blueBiggest + gs * dsdb + gh * dhdb
            p += 3
        }
        return dx
    }
}
