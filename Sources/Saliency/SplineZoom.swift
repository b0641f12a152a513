/// `scipy.ndimage.zoom(image, factors)` with its defaults — cubic B-spline (`order=3`), spline
/// prefilter on, `mode='constant'`, `grid_mode=False` — for 2-D maps, as keras-vis `visualize_cam`
/// zooms the Grad-CAM heat map to the model input.
///
/// With `grid_mode=False` the corner samples are aligned: output `o` reads input coordinate
/// `o · (n − 1) / (m − 1)` (0 when `n` or `m` is 1), always inside `[0, n − 1]`, where SciPy ≥ 1.6
/// treats `constant` like `mirror` (it prefilters with mirror boundaries and reads the coefficients
/// mirrored, `_get_spline_boundary_mode`). The prefilter is the exact causal/anticausal recursion with
/// the pole `z = √3 − 2` and mirror initialisation (Unser 1999, "Splines: a perfect fit", Box 2).
/// Arithmetic in Double; SciPy returns the input's dtype (float32), so results agree to Float rounding.
public enum SplineZoom {
    /// Zooms `map` (`height × width`, row-major) to `outputHeight × outputWidth`.
    public static func zoom(_ map: [Double], height: Int, width: Int, outputHeight: Int, outputWidth: Int) -> [Double] {
        precondition(map.count == height * width && height >= 1 && width >= 1 && outputHeight >= 1 && outputWidth >= 1)
        // Prefilter rows then columns (separable), then interpolate columns of each row and rows of each column.
        var coefficients = map
        for row in 0..<height {
            let filtered = prefilter(Array(coefficients[(row * width)..<((row + 1) * width)]))
            coefficients.replaceSubrange((row * width)..<((row + 1) * width), with: filtered)
        }
        for column in 0..<width {
            let filtered = prefilter((0..<height).map { coefficients[$0 * width + column] })
            for row in 0..<height { coefficients[row * width + column] = filtered[row] }
        }
        // Along x: height × outputWidth, then along y: outputHeight × outputWidth.
        let xTaps = taps(input: width, output: outputWidth), yTaps = taps(input: height, output: outputHeight)
        var across = [Double](repeating: 0, count: height * outputWidth)
        for row in 0..<height {
            for (column, tap) in xTaps.enumerated() {
                across[row * outputWidth + column] = zip(tap.indices, tap.weights).reduce(0) { $0 + coefficients[row * width + $1.0] * $1.1 }
            }
        }
        var result = [Double](repeating: 0, count: outputHeight * outputWidth)
        for (row, tap) in yTaps.enumerated() {
            for column in 0..<outputWidth {
                result[row * outputWidth + column] = zip(tap.indices, tap.weights).reduce(0) { $0 + across[$1.0 * outputWidth + column] * $1.1 }
            }
        }
        return result
    }

    /// The output shape SciPy gives for `input · factor` with `factor = target / input`: `round(input · factor)`.
    public static func outputSize(input: Int, target: Int) -> Int {
        Int((Double(input) * (Double(target) / Double(input))).rounded())
    }

    /// Cubic B-spline coefficients of a 1-D signal with mirror-symmetric boundaries.
    static func prefilter(_ signal: [Double]) -> [Double] {
        let n = signal.count
        guard n > 1 else { return signal }
        let z = 3.0.squareRoot() - 2, gain = (1 - z) * (1 - 1 / z)
        let c = signal.map { $0 * gain }
        // Causal initialisation for mirror boundaries: c⁺[0] = (Σₖ c[k](zᵏ + z^(2n−2−k)) − c[0] − z^(n−1)c[n−1] …) in closed form.
        var first = c[0] + pow(z, n - 1) * c[n - 1]
        for k in 1..<(n - 1) { first += (pow(z, k) + pow(z, 2 * n - 2 - k)) * c[k] }
        first /= 1 - pow(z, 2 * n - 2)
        var causal = [Double](repeating: 0, count: n)
        causal[0] = first
        for i in 1..<n { causal[i] = c[i] + z * causal[i - 1] }
        var result = [Double](repeating: 0, count: n)
        result[n - 1] = z / (z * z - 1) * (causal[n - 1] + z * causal[n - 2])
        for i in stride(from: n - 2, through: 0, by: -1) { result[i] = z * (result[i + 1] - causal[i]) }
        return result
    }

    /// The four coefficient indices (mirrored into range) and cubic B-spline weights of every output sample.
    static func taps(input: Int, output: Int) -> [(indices: [Int], weights: [Double])] {
        (0..<output).map { position in
            let x = input > 1 && output > 1 ? Double(position) * Double(input - 1) / Double(output - 1) : 0
            let floor = Int(x.rounded(.down))
            let indices = ((floor - 1)...(floor + 2)).map { $0 }
            return (indices.map { mirror($0, input) }, indices.map { cubicBSpline(x - Double($0)) })
        }
    }

    /// The centred cubic B-spline β³(t).
    static func cubicBSpline(_ t: Double) -> Double {
        let t = abs(t)
        if t < 1 { return 2.0 / 3 - t * t + t * t * t / 2 }
        if t < 2 { return (2 - t) * (2 - t) * (2 - t) / 6 }
        return 0
    }

    /// Mirror (whole-sample symmetric) extension: −1 → 1, n → n − 2.
    static func mirror(_ index: Int, _ count: Int) -> Int {
        guard count > 1 else { return 0 }
        let period = 2 * (count - 1)
        let folded = abs(index) % period
        return folded >= count ? period - folded : folded
    }

    private static func pow(_ base: Double, _ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<max(exponent, 0) { result *= base }
        return result
    }
}
