import Foundation
import SteerLensSupport

/// What the road does just ahead of the car: the situations the demo models are scored on.
public enum RoadSituation: String, Sendable, CaseIterable {
    case straight
    case leftCurve = "left_curve"
    case rightCurve = "right_curve"

    /// A numeric code for NPY files: 0 straight, 1 left curve, 2 right curve.
    public var code: Int {
        switch self {
        case .straight: 0
        case .leftCurve: 1
        case .rightCurve: 2
        }
    }
}

/// The seeded layout of one drive: road curvature along its length, the car's lateral drift, roadside
/// objects and shadows, and the per-clip look (colours, light).
///
/// Units: metres along the road (`s`, increasing forward) and across it (`u`, positive to the right of
/// the dashed centre line); curvature in 1/m, positive for a right-hand curve.
public struct RoadPlan: Sendable {
    /// Curvature sampled every ``step`` metres from `s = 0`.
    let curvature: [Double]
    /// Road heading (radians, integral of curvature) at the same samples.
    let heading: [Double]
    static let step = 0.5

    /// Car speed in m/s.
    public let speed: Double
    /// Distance travelled before frame 0, so there is scenery behind the first frame.
    let startDistance = 40.0

    /// Sinusoids (amplitude m, wavelength m, phase rad) summed into the car's lateral offset.
    let drift: [(amplitude: Double, wavelength: Double, phase: Double)]

    /// Roadside objects: poles and trees at `(s, u)`.
    let poles: [(s: Double, u: Double)]
    let trees: [(s: Double, u: Double, size: Double)]
    /// Shadow ellipses on the ground: centre `(s, u)` and radii, sorted by `s`.
    let shadows: [(s: Double, u: Double, radiusS: Double, radiusU: Double)]

    /// Per-clip look.
    let look: SceneLook

    /// A plan long enough for `seconds` of driving plus the visible road ahead.
    public init(seed: UInt64, seconds: Double) {
        // One stream per component, so a longer clip extends the same drive instead of changing it.
        var random = SeededRandom(seed: seed)
        speed = random.uniform(18, 22)
        let length = startDistance + speed * seconds + 500

        // Curvature: segments of straight / left / right road, never the same kind twice in a row,
        // joined by linear curvature ramps (clothoids) of 40 m.
        var segments: [(kind: RoadSituation, length: Double, curvature: Double)] = [(.straight, 90, 0)]
        var total = 90.0
        while total < length {
            let previous = segments.last!.kind
            let options = RoadSituation.allCases.filter { $0 != previous }
            let kind = options[Int(random.next() % UInt64(options.count))]
            let segmentLength: Double
            let curvature: Double
            switch kind {
            case .straight:
                segmentLength = random.uniform(50, 120)
                curvature = 0
            case .leftCurve, .rightCurve:
                segmentLength = random.uniform(90, 170)
                let radius = random.uniform(130, 320)
                curvature = (kind == .rightCurve ? 1 : -1) / radius
            }
            segments.append((kind, segmentLength, curvature))
            total += segmentLength
        }
        let count = Int(length / Self.step) + 2
        var curvature = [Double](repeating: 0, count: count)
        var heading = [Double](repeating: 0, count: count)
        var segmentIndex = 0, segmentStart = 0.0
        let ramp = 40.0
        for index in 0..<count {
            let s = Double(index) * Self.step
            while segmentIndex + 1 < segments.count, s >= segmentStart + segments[segmentIndex].length {
                segmentStart += segments[segmentIndex].length
                segmentIndex += 1
            }
            let target = segments[segmentIndex].curvature
            let previous = segmentIndex > 0 ? segments[segmentIndex - 1].curvature : target
            let blend = min((s - segmentStart) / ramp, 1)
            curvature[index] = previous + (target - previous) * blend
            if index > 0 { heading[index] = heading[index - 1] + (curvature[index - 1] + curvature[index]) * 0.5 * Self.step }
        }
        self.curvature = curvature
        self.heading = heading

        random = SeededRandom(seed: seed &+ 0x0D21_F7)
        drift = [(random.uniform(0.18, 0.32), random.uniform(140, 260), random.uniform(0, 2 * .pi)),
                 (random.uniform(0.10, 0.22), random.uniform(60, 110), random.uniform(0, 2 * .pi)),
                 (random.uniform(0.04, 0.10), random.uniform(30, 50), random.uniform(0, 2 * .pi))]

        random = SeededRandom(seed: seed &+ 0x100C)
        look = SceneLook(random: &random)
        random = SeededRandom(seed: seed &+ 0x9013)

        var poles: [(s: Double, u: Double)] = []
        let poleSide: Double = random.unit() < 0.5 ? 1 : -1
        let poleSpacing = random.uniform(35, 55)
        var s = random.uniform(0, poleSpacing)
        while s < length {
            poles.append((s, poleSide * random.uniform(5.0, 5.6)))
            s += poleSpacing
        }
        self.poles = poles

        random = SeededRandom(seed: seed &+ 0x7EE5)
        var trees: [(s: Double, u: Double, size: Double)] = []
        var shadows: [(s: Double, u: Double, radiusS: Double, radiusU: Double)] = []
        s = 0
        while s < length {
            s += random.uniform(6, 28) * look.treeSpacing
            let side: Double = random.unit() < 0.5 ? 1 : -1
            let u = side * random.uniform(7.5, 16)
            let size = random.uniform(0.7, 1.3)
            trees.append((s, u, size))
            // The sun sits to one side: shadows fall across the road from that side's trees.
            shadows.append((s + 1.5, u + look.shadowOffset, 2.6 * size, 3.6 * size))
        }
        random = SeededRandom(seed: seed &+ 0x5AAD)
        // A few free shadows (clouds, bridges out of view) on the road itself.
        s = 0
        while s < length {
            s += random.uniform(60, 160)
            shadows.append((s, random.uniform(-3, 3), random.uniform(2, 5), random.uniform(2.5, 5)))
        }
        self.trees = trees
        self.shadows = shadows.sorted { $0.s < $1.s }
    }

    /// Curvature (1/m) at distance `s`, linearly interpolated.
    public func curvature(at s: Double) -> Double { Self.interpolate(curvature, s) }

    /// Road heading (radians) at distance `s`.
    func heading(at s: Double) -> Double { Self.interpolate(heading, s) }

    /// The car's lateral offset from its lane centre (m, positive right) at distance `s`.
    func lateralOffset(at s: Double) -> Double {
        drift.reduce(0) { $0 + $1.amplitude * sin(2 * .pi * s / $1.wavelength + $1.phase) }
    }

    /// The car's heading relative to the road (radians, positive right): the slope of the offset.
    func relativeHeading(at s: Double) -> Double {
        drift.reduce(0) { $0 + $1.amplitude * 2 * .pi / $1.wavelength * cos(2 * .pi * s / $1.wavelength + $1.phase) }
    }

    private static func interpolate(_ table: [Double], _ s: Double) -> Double {
        let position = max(0, s / step)
        let index = min(Int(position), table.count - 2)
        let fraction = min(position - Double(index), 1)
        return table[index] + (table[index + 1] - table[index]) * fraction
    }
}

/// Colours and light that vary from clip to clip (and, for the light, over time).
struct SceneLook: Sendable {
    var asphalt: (Float, Float, Float)
    var grass: (Float, Float, Float)
    var skyTop: (Float, Float, Float)
    var skyHorizon: (Float, Float, Float)
    var treeSpacing: Double
    /// Lateral shift of tree shadows (m): where the sun is.
    var shadowOffset: Double
    /// Slow brightness changes: (amplitude, period s, phase) pairs.
    var light: [(Double, Double, Double)]
    var noiseSalt: UInt64

    init(random: inout SeededRandom) {
        let grey = Float(random.uniform(82, 112))
        asphalt = (grey, grey, grey + Float(random.uniform(2, 8)))
        grass = (Float(random.uniform(70, 105)), Float(random.uniform(110, 135)), Float(random.uniform(45, 70)))
        let blue = Float(random.uniform(0, 25))
        skyTop = (95 + blue, 140 + blue, 215)
        skyHorizon = (185, 205, 228)
        treeSpacing = random.uniform(0.6, 1.6)
        shadowOffset = (random.unit() < 0.5 ? -1 : 1) * random.uniform(4, 8)
        light = [(random.uniform(0.05, 0.12), random.uniform(9, 19), random.uniform(0, 2 * .pi)),
                 (random.uniform(0.02, 0.05), random.uniform(3, 6), random.uniform(0, 2 * .pi))]
        noiseSalt = random.next()
    }
}
