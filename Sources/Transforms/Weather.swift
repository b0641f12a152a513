import CVectorKernels
import Foundation
import SteerLensSupport
import VideoIO

/// Procedural fog (`fog:DENSITY`, 0…1): each pixel blends towards fog grey (205, 208, 212) by
/// `DENSITY · (0.55 + 0.45·n) · (1 − 0.6·y/(height − 1))` — thicker towards the horizon at the top — where `n`
/// is a fixed smooth value-noise field (seed 14), the same on every frame (a fog bank does not flicker).
public struct Fog: BandedTransform {
    public let density: Double
    /// The blend amount of each pixel, the same for every frame of a size: computed once per clip.
    private let amounts: FogAmounts

    public init(density: Double) { (self.density, amounts) = (density, FogAmounts(density: density)) }
    public var specification: String { "fog:\(TransformValue.format(density))" }

    public func apply(_ frame: Frame, rows wanted: Range<Int>) throws -> Frame {
        let width = frame.width, rows = wanted.clamped(to: 0..<frame.height)
        let amount = amounts.field(width: width, height: frame.height)
        let grey: [Float] = [205, 208, 212]
        var output = [UInt8](repeating: 0, count: rows.count * width * 3)
        output.withUnsafeMutableBufferPointer { target in
            frame.pixels.withUnsafeBufferPointer { source in
                for y in rows {
                    for x in 0..<width {
                        let pixel = y * width + x, blend = amount[pixel], at = (y - rows.lowerBound) * width * 3 + x * 3
                        for c in 0..<3 { target[at + c] = saturatedByte(Float(source[pixel * 3 + c]) * (1 - blend) + grey[c] * blend) }
                    }
                }
            }
        }
        return frame.replacingPixels(output, height: rows.count)
    }
}

/// One fog density's blend amount per pixel (`[H·W]`, row-major, 0…1) for the last frame size asked
/// (a clip's frames share one; frames of alternating sizes would recompute it each time):
/// `DENSITY · (0.55 + 0.45·n) · (1 − 0.6·y/(H − 1))` with `n` the value noise (seed 14, cells of
/// max(8, W/8) pixels), computed in Double and rounded to Float once. Thread-safe.
final class FogAmounts: @unchecked Sendable {
    let density: Double
    private let lock = NSLock()
    private var cached: (width: Int, height: Int, field: [Float])?

    init(density: Double) { self.density = density }

    func field(width: Int, height: Int) -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        if let cached, cached.width == width, cached.height == height { return cached.field }
        let noise = SmoothNoise(seed: 14, cellSize: max(8, Double(width) / 8))
        var field = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            let vertical = 1 - 0.6 * Double(y) / Double(max(height - 1, 1))
            for x in 0..<width {
                field[y * width + x] = Float(min(1, max(0, density * (0.55 + 0.45 * noise.value(x: Double(x), y: Double(y))) * vertical)))
            }
        }
        cached = (width, height, field)
        return field
    }
}

/// Procedural rain (`rain:AMOUNT`, 0…1): the scene darkened by `1 − 0.25·AMOUNT` and `AMOUNT · area/120`
/// bright slanted streaks (length 4 %–9 % of the height, 60 % opaque, colour (200, 205, 215)) whose
/// positions are drawn from the frame index (seed 15 + index), so rain falls from frame to frame.
public struct Rain: BandedTransform {
    public let amount: Double
    public init(amount: Double) { self.amount = amount }
    public var specification: String { "rain:\(TransformValue.format(amount))" }

    /// Only `rows`: every streak is drawn as on the whole frame and only its pixels in `rows` are kept.
    public func apply(_ frame: Frame, rows wanted: Range<Int>) throws -> Frame {
        let width = frame.width, height = frame.height, rows = wanted.clamped(to: 0..<height)
        let dim = Float(1 - 0.25 * min(max(amount, 0), 1))
        var output = frame.mappingBytes(rows: rows, through: (0..<256).map { UInt8(Float($0) * dim) }).pixels
        var random = SeededRandom(seed: 15 &+ UInt64(truncatingIfNeeded: frame.index))
        let streaks = Int(min(max(amount, 0), 1) * Double(width * height) / 120)
        let streak: [Float] = [200, 205, 215]
        for _ in 0..<streaks {
            let x0 = random.uniform(0, Double(width)), y0 = random.uniform(0, Double(height))
            let length = random.uniform(0.04, 0.09) * Double(height)
            let steps = Int(length)
            for step in 0..<steps {
                let x = Int(x0 + 0.25 * Double(step)), y = Int(y0 + Double(step))
                guard x >= 0, x < width, y >= 0, y < height else { break }
                guard rows.contains(y) else { continue }
                let at = ((y - rows.lowerBound) * width + x) * 3
                for c in 0..<3 { output[at + c] = saturatedByte(Float(output[at + c]) * 0.4 + streak[c] * 0.6) }
            }
        }
        return frame.replacingPixels(output, height: rows.count)
    }
}

/// Night / low light (`night:GAMMA`, ≥ 1): `255·(v/255)^GAMMA` per channel, then sensor noise, Gaussian
/// with σ = 2·GAMMA grey levels drawn per frame (seed 16 + index), rounded and saturated.
public struct Night: BandedTransform {
    public let gamma: Double
    public init(gamma: Double) { self.gamma = gamma }
    public var specification: String { "night:\(TransformValue.format(gamma))" }

    /// Only `rows`: the noise of the values before them is skipped, not drawn (two values per draw of two
    /// numbers, in byte order over the whole frame), so the rows hold the whole frame's bytes.
    public func apply(_ frame: Frame, rows wanted: Range<Int>) throws -> Frame {
        try apply(frame, rows: wanted, vectorized: VectorSupport.avx512)
    }

    /// ``apply(_:rows:)`` with the loop in AVX-512 (`vectorized`, `steerlens_night_avx512`): 8 draws at a
    /// time, the noise approximated (`steerlens_night_noise_avx512`); a byte is kept only when the
    /// approximation error (below 10⁻¹³ of the Box–Muller radius, under 10⁻⁹ grey levels) cannot move its
    /// sum across a rounding boundary (the sum lies over 10⁻³ from any k + ½); the few others take glibc's
    /// exact noise, so the bytes are the portable loop's.
    func apply(_ frame: Frame, rows wanted: Range<Int>, vectorized: Bool) throws -> Frame {
        let rows = wanted.clamped(to: 0..<frame.height), rowLength = frame.width * 3
        let first = rows.lowerBound * rowLength, end = rows.upperBound * rowLength
        guard end > first else { return frame.replacingPixels([], height: 0) }
        let table = (0..<256).map { Float(255 * pow(Double($0) / 255, gamma)) }
        var random = SeededRandom(seed: 16 &+ UInt64(truncatingIfNeeded: frame.index))
        var index = first / 2 * 2
        random.skip(index)
        let sigma = 2 * gamma
        var output = [UInt8](repeating: 0, count: end - first)
        output.withUnsafeMutableBufferPointer { target in
            frame.pixels.withUnsafeBufferPointer { source in
                if vectorized {
                    return steerlens_night_avx512(source.baseAddress!, table, target.baseAddress!, first, index, end, random.currentState,
                                                  SeededRandom.increment, sigma)
                }
                while index < end {
                    let noise = Self.noise(max(random.unit(), 1e-12), random.unit(), sigma: sigma)
                    if index >= first { target[index - first] = saturatedByte(table[Int(source[index])] + noise.0) }
                    if index + 1 < end { target[index + 1 - first] = saturatedByte(table[Int(source[index + 1])] + noise.1) }
                    index += 2
                }
            }
        }
        return frame.replacingPixels(output, height: rows.count)
    }

    /// Box–Muller: two normal deviates of σ `sigma` from one draw of two uniforms, with glibc's log, cos and sin.
    static func noise(_ u1: Double, _ u2: Double, sigma: Double) -> (Float, Float) {
        let radius = (-2 * log(u1)).squareRoot() * sigma
        return (Float(radius * cos(2 * .pi * u2)), Float(radius * sin(2 * .pi * u2)))
    }
}

/// Dirt on the lens (`dirt:N`, blobs): N soft dark-brown blobs (colour (58, 48, 38), up to 85 % opaque,
/// radius 3 %–9 % of the width) at positions fixed by seed 17, the same on every frame.
public struct LensDirt: BandedTransform {
    public let blobs: Int
    public init(blobs: Int) { self.blobs = blobs }
    public var specification: String { "dirt:\(blobs)" }

    /// Only `rows`: every blob is placed as on the whole frame and drawn only where it meets `rows`.
    public func apply(_ frame: Frame, rows wanted: Range<Int>) throws -> Frame {
        let width = frame.width, height = frame.height, rows = wanted.clamped(to: 0..<height)
        var random = SeededRandom(seed: 17)
        var output = Array(frame.pixels[(rows.lowerBound * width * 3)..<(rows.upperBound * width * 3)])
        let dirt: [Float] = [58, 48, 38]
        for _ in 0..<blobs {
            let cx = random.uniform(0, Double(width)), cy = random.uniform(0, Double(height))
            let radius = random.uniform(0.03, 0.09) * Double(width)
            let opacity = random.uniform(0.55, 0.85)
            let x0 = max(0, Int(cx - radius)), x1 = min(width - 1, Int(cx + radius))
            let y0 = max(rows.lowerBound, Int(cy - radius)), y1 = min(rows.upperBound - 1, Int(cy + radius))
            guard x0 <= x1, y0 <= y1 else { continue }
            for y in y0...y1 {
                for x in x0...x1 {
                    let distance = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot() / radius
                    guard distance < 1 else { continue }
                    // Smooth edge: full opacity inside half the radius, fading to 0 at the rim.
                    let edge = distance < 0.5 ? 1 : 1 - (distance - 0.5) / 0.5
                    let alpha = Float(opacity * edge * edge * (3 - 2 * edge))
                    let at = ((y - rows.lowerBound) * width + x) * 3
                    for c in 0..<3 { output[at + c] = saturatedByte(Float(output[at + c]) * (1 - alpha) + dirt[c] * alpha) }
                }
            }
        }
        return frame.replacingPixels(output, height: rows.count)
    }
}

/// A smooth, seeded value-noise field in 0…1 (bilinear between random lattice values, smoothstep).
struct SmoothNoise {
    let cellSize: Double
    private let lattice: [Double]
    private let side = 64

    init(seed: UInt64, cellSize: Double) {
        var random = SeededRandom(seed: seed)
        lattice = (0..<(64 * 64)).map { _ in random.unit() }
        self.cellSize = cellSize
    }

    func value(x: Double, y: Double) -> Double {
        let gx = x / cellSize, gy = y / cellSize
        let ix = Int(gx), iy = Int(gy)
        let fx = gx - Double(ix), fy = gy - Double(iy)
        let sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy)
        func at(_ i: Int, _ j: Int) -> Double { lattice[(j % side) * side + (i % side)] }
        let top = at(ix, iy) + (at(ix + 1, iy) - at(ix, iy)) * sx
        let bottom = at(ix, iy + 1) + (at(ix + 1, iy + 1) - at(ix, iy + 1)) * sx
        return top + (bottom - top) * sy
    }
}
