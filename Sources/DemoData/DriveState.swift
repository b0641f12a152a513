import Foundation

/// The car's state in one frame and the steering label derived from the road geometry.
///
/// The label is pure pursuit on the lane centre: the target point is the lane centre `lookahead` metres
/// ahead, in the car's frame `x_t = −d − ψ·L + c(L)` (lateral offset `d`, relative heading `ψ`, curve
/// displacement `c`), the commanded path curvature is `κ = 2·x_t / L²`, and
/// `steering = clamp(κ / κ_max, −1, 1)` with positive = right. Everything the label depends on is
/// visible in the frame (lane lines near the car and the curve ahead).
/// Reference: R. C. Coulter, "Implementation of the Pure Pursuit Path Tracking Algorithm", CMU-RI-TR-92-01.
public struct DriveState: Sendable {
    public static let lookahead = 15.0
    /// Path curvature (1/m) that maps to full lock (|steering| = 1).
    public static let maximumCurvature = 0.0125
    /// Lane width (m); the car drives in the right-hand lane of a two-lane road.
    static let laneWidth = 3.6
    /// Farthest road distance drawn (m).
    static let horizonDistance = 400.0
    /// Step of ``centreLine`` in metres.
    static let centreLineStep = 0.5

    public let index: Int
    public let time: Double
    /// Distance along the road (m).
    public let distance: Double
    /// Lateral offset from the lane centre (m, positive right).
    public let lateralOffset: Double
    /// Heading relative to the road (rad, positive right).
    public let relativeHeading: Double
    /// Road curvature at the lookahead point (1/m, positive right).
    public let curvatureAhead: Double
    public let steering: Double
    public let situation: RoadSituation
    /// World heading of the camera (rad), for the distant skyline.
    let cameraHeading: Double
    /// Brightness factor of the scene (about 0.85…1.15).
    let light: Double
    /// Lateral position (m, car frame, positive right) of the dashed centre line every
    /// ``centreLineStep`` metres ahead, up to ``horizonDistance``.
    let centreLine: [Float]

    public init(plan: RoadPlan, index: Int, frameRate: Double) {
        self.index = index
        let time = Double(index) / frameRate
        self.time = time
        distance = plan.startDistance + plan.speed * time
        let distance = self.distance
        let lateralOffset = plan.lateralOffset(at: distance)
        let relativeHeading = plan.relativeHeading(at: distance)
        self.lateralOffset = lateralOffset
        self.relativeHeading = relativeHeading
        let roadHeading = plan.heading(at: distance)
        cameraHeading = roadHeading + relativeHeading
        light = 1 + plan.look.light.reduce(0) { $0 + $1.0 * sin(2 * .pi * time / $1.1 + $1.2) }

        // Lateral displacement of the road ahead (small-angle integral of the relative road heading).
        let count = Int(Self.horizonDistance / Self.centreLineStep) + 2
        var line = [Float](repeating: 0, count: count)
        var curve = 0.0, previousAngle = 0.0
        var curveAtLookahead = 0.0
        let base = -(Self.laneWidth / 2 + lateralOffset)
        for step in 0..<count {
            let z = Double(step) * Self.centreLineStep
            let angle = plan.heading(at: distance + z) - roadHeading
            if step > 0 { curve += (previousAngle + angle) * 0.5 * Self.centreLineStep }
            previousAngle = angle
            if z == Self.lookahead { curveAtLookahead = curve }
            line[step] = Float(base - relativeHeading * z + curve)
        }
        centreLine = line
        let curvatureAhead = plan.curvature(at: distance + Self.lookahead)
        self.curvatureAhead = curvatureAhead
        let target = -lateralOffset - relativeHeading * Self.lookahead + curveAtLookahead
        let curvature = 2 * target / (Self.lookahead * Self.lookahead)
        steering = min(max(curvature / Self.maximumCurvature, -1), 1)
        if abs(curvatureAhead) < 1.0 / 600 {
            situation = .straight
        } else {
            situation = curvatureAhead > 0 ? .rightCurve : .leftCurve
        }
    }

    /// The centre line's lateral position `z` metres ahead.
    @inline(__always)
    func centreLine(at z: Float) -> Float {
        let position = z / Float(Self.centreLineStep)
        let index = min(Int(position), centreLine.count - 2)
        let fraction = position - Float(index)
        return centreLine[index] + (centreLine[index + 1] - centreLine[index]) * fraction
    }
}
