import Foundation
import VideoIO

/// A rendered frame and its lane-marking mask (`width × height`, 1 where a lane marking covers at least
/// half of the pixel and is not hidden by an object or the car's bonnet, else 0).
public struct RenderedFrame: Sendable {
    public let frame: Frame
    public let laneMask: [UInt8]
    public let state: DriveState
}

/// Renders the forward camera of the demo drive: a pinhole camera 1.35 m above a flat road, sky and a
/// distant skyline, textured asphalt and verge, solid edge lines and a dashed centre line, poles,
/// trees and their shadows, haze, slow light changes and the car's bonnet.
///
/// Single-threaded Float arithmetic with analytic box-filter anti-aliasing (no random state): the same
/// plan and frame index give the same pixels in every run and build mode.
public struct SceneRenderer: Sendable {
    public let plan: RoadPlan
    public let size: PixelSize
    public let frameRate: Double

    /// Camera geometry in pixels and metres.
    let focal: Float
    let centreX: Float
    let horizonY: Float
    let cameraHeight: Float = 1.35

    public init(plan: RoadPlan, size: PixelSize, frameRate: Double = 30) {
        self.plan = plan
        self.size = size
        self.frameRate = frameRate
        focal = 0.866 * Float(size.width)             // 60° horizontal field of view
        centreX = Float(size.width) / 2
        horizonY = 0.40 * Float(size.height)
    }

    public func render(index: Int) -> RenderedFrame {
        let state = DriveState(plan: plan, index: index, frameRate: frameRate)
        let width = size.width, height = size.height
        var colour = [Float](repeating: 0, count: width * height * 3)
        var mask = [UInt8](repeating: 0, count: width * height)
        let light = Float(state.light)
        colour.withUnsafeMutableBufferPointer { pixels in
            mask.withUnsafeMutableBufferPointer { laneMask in
                drawSkyAndGround(state: state, light: light, pixels: pixels, mask: laneMask)
                drawObjects(state: state, light: light, pixels: pixels, mask: laneMask)
                drawBonnet(pixels: pixels, mask: laneMask)
            }
        }
        var bytes = [UInt8](repeating: 0, count: colour.count)
        for index in colour.indices { bytes[index] = UInt8(min(max(colour[index].rounded(), 0), 255)) }
        let frame = Frame(index: index, time: state.time, width: width, height: height, pixels: bytes)
        return RenderedFrame(frame: frame, laneMask: mask, state: state)
    }

    // MARK: - Sky, skyline and road surface

    private func drawSkyAndGround(state: DriveState, light: Float, pixels: UnsafeMutableBufferPointer<Float>,
                                  mask: UnsafeMutableBufferPointer<UInt8>) {
        let look = plan.look
        let width = size.width, height = size.height
        let heightScale = Float(height) / 360
        let haze: (Float, Float, Float) = (look.skyHorizon.0 * 0.92, look.skyHorizon.1 * 0.94, look.skyHorizon.2 * 0.96)
        let salt = look.noiseSalt
        let cameraHeading = Float(state.cameraHeading)
        let distance = Float(state.distance)

        // Skyline height above the horizon for each column (pixels), fixed to world directions.
        var skyline = [Float](repeating: 0, count: width)
        for x in 0..<width {
            let angle = cameraHeading + (Float(x) + 0.5 - centreX) / focal
            skyline[x] = horizonY - heightScale * (4 + 16 * ValueNoise.sample(angle * 5, salt: salt &+ 1)
                                                    + 5 * ValueNoise.sample(angle * 23, salt: salt &+ 2))
        }

        for y in 0..<height {
            let yc = Float(y) + 0.5
            let rowStart = y * width
            if yc < horizonY + 0.5 {
                let t = max(0, min(1, yc / horizonY))
                for x in 0..<width {
                    let angle = cameraHeading + (Float(x) + 0.5 - centreX) / focal
                    var r = look.skyTop.0 + (look.skyHorizon.0 - look.skyTop.0) * t
                    var g = look.skyTop.1 + (look.skyHorizon.1 - look.skyTop.1) * t
                    var b = look.skyTop.2 + (look.skyHorizon.2 - look.skyTop.2) * t
                    let cloud = max(0, ValueNoise.sample(angle * 6, yc / (40 * heightScale), salt: salt &+ 3) - 0.55) * 2.2
                    r += (245 - r) * cloud; g += (245 - g) * cloud; b += (248 - b) * cloud
                    // Distant tree line / hills, hazy; anti-aliased along its top edge.
                    let cover = max(0, min(1, yc + 0.5 - skyline[x]))
                    if cover > 0 {
                        let shade = 0.85 + 0.15 * ValueNoise.sample(angle * 60, yc / 3, salt: salt &+ 4)
                        r += (look.grass.0 * 0.55 * shade + 60 - r) * cover
                        g += (look.grass.1 * 0.55 * shade + 70 - g) * cover
                        b += (look.grass.2 * 0.55 * shade + 85 - b) * cover
                    }
                    let offset = (rowStart + x) * 3
                    pixels[offset] = r * light; pixels[offset + 1] = g * light; pixels[offset + 2] = b * light
                }
                continue
            }
            // Ground row: distance z of the row centre, its footprint along the road, lateral metres per pixel.
            let below = yc - horizonY
            let z = focal * cameraHeight / below
            let zNear = focal * cameraHeight / (below + 0.5)
            let zFar = focal * cameraHeight / max(below - 0.5, 0.05)
            let rowDepth = min(zFar - zNear, 60)
            let metresPerPixel = z / focal
            let fog = z / (z + 260)
            let roadS = distance + z
            let centre = z < Float(DriveState.horizonDistance) ? state.centreLine(at: z) : state.centreLine(at: Float(DriveState.horizonDistance) - 1)
            let dash = Self.periodicCoverage(roadS, period: 12, on: 4.5, footprint: rowDepth)
            let detail = max(0, 1 - metresPerPixel / 0.12)         // texture fades before it aliases
            let coarseDetail = max(0, 1 - metresPerPixel / 0.8)
            let activeShadows = plan.shadows.filter { abs(Float($0.s) - roadS) < Float($0.radiusS) + rowDepth / 2 }

            for x in 0..<width {
                let u = (Float(x) + 0.5 - centreX) * metresPerPixel - centre
                let half = metresPerPixel / 2
                let road = Self.overlap(u - half, u + half, -3.9, 3.9) / metresPerPixel
                let gravel = (Self.overlap(u - half, u + half, -4.7, -3.9) + Self.overlap(u - half, u + half, 3.9, 4.7)) / metresPerPixel
                let grass = max(0, 1 - road - gravel)
                let edge = (Self.overlap(u - half, u + half, -3.675, -3.525) + Self.overlap(u - half, u + half, 3.525, 3.675)) / metresPerPixel
                let centreMark = Self.overlap(u - half, u + half, -0.06, 0.06) / metresPerPixel * dash
                let marking = min(1, edge + centreMark)

                let fine = ValueNoise.sample(roadS * 2.8, u * 2.8, salt: salt)
                let patch = ValueNoise.sample(roadS * 0.15, u * 0.25, salt: salt &+ 5)
                let wear = Self.overlap(u - half, u + half, 0.9, 1.4) + Self.overlap(u - half, u + half, 2.2, 2.7)
                    + Self.overlap(u - half, u + half, -2.7, -2.2) + Self.overlap(u - half, u + half, -1.4, -0.9)
                let asphaltShade = 1 + (fine - 0.5) * 0.16 * detail + (patch - 0.5) * 0.10 - 0.07 * wear / metresPerPixel
                let grassShade = 1 + (fine - 0.5) * 0.35 * coarseDetail + (patch - 0.5) * 0.45
                let gravelShade = 1 + (fine - 0.5) * 0.25 * detail
                var r = look.asphalt.0 * asphaltShade * road + 150 * gravelShade * gravel + look.grass.0 * grassShade * grass
                var g = look.asphalt.1 * asphaltShade * road + 140 * gravelShade * gravel + look.grass.1 * grassShade * grass
                var b = look.asphalt.2 * asphaltShade * road + 120 * gravelShade * gravel + look.grass.2 * grassShade * grass
                let paint: (Float, Float, Float) = (228, 228, 218)
                r += (paint.0 - r) * marking * 0.93; g += (paint.1 - g) * marking * 0.93; b += (paint.2 - b) * marking * 0.93

                var shade: Float = 1
                for shadow in activeShadows {
                    let ds = (roadS - Float(shadow.s)) / Float(shadow.radiusS)
                    let du = (u - Float(shadow.u)) / Float(shadow.radiusU)
                    let inside = 1 - (ds * ds + du * du)
                    if inside > 0 { shade = min(shade, 1 - 0.42 * min(1, inside * 5)) }
                }
                let lit = light * shade
                r = r * lit + (haze.0 * light - r * lit) * fog
                g = g * lit + (haze.1 * light - g * lit) * fog
                b = b * lit + (haze.2 * light - b * lit) * fog
                let offset = (rowStart + x) * 3
                pixels[offset] = r; pixels[offset + 1] = g; pixels[offset + 2] = b
                mask[rowStart + x] = marking >= 0.5 && fog < 0.5 ? 1 : 0
            }
        }
    }

    // MARK: - Poles and trees

    private func drawObjects(state: DriveState, light: Float, pixels: UnsafeMutableBufferPointer<Float>,
                             mask: UnsafeMutableBufferPointer<UInt8>) {
        let distance = state.distance
        var objects: [(z: Float, u: Float, size: Float, isTree: Bool)] = []
        for pole in plan.poles where pole.s - distance > 2.5 && pole.s - distance < 220 {
            objects.append((Float(pole.s - distance), Float(pole.u), 1, false))
        }
        for tree in plan.trees where tree.s - distance > 2.5 && tree.s - distance < 220 {
            objects.append((Float(tree.s - distance), Float(tree.u), Float(tree.size), true))
        }
        objects.sort { $0.z > $1.z }                          // far to near
        let look = plan.look
        let haze = look.skyHorizon
        for object in objects {
            let scale = focal / object.z
            let screenX = centreX + (state.centreLine(at: object.z) + object.u) * scale
            let groundY = horizonY + cameraHeight * scale
            let fog = object.z / (object.z + 260)
            if object.isTree {
                let trunkHalf = 0.2 * object.size * scale, trunkTop = groundY - 2.4 * object.size * scale
                let trunk: (Float, Float, Float) = (85, 68, 50)
                fillRectangle(left: screenX - trunkHalf, right: screenX + trunkHalf, top: trunkTop, bottom: groundY,
                              colour: trunk, fog: fog, haze: haze, light: light, pixels: pixels, mask: mask)
                let radiusX = 2.3 * object.size * scale, radiusY = 2.8 * object.size * scale
                let centreY = groundY - 4.6 * object.size * scale
                let leaf: (Float, Float, Float) = (look.grass.0 * 0.45, look.grass.1 * 0.62, look.grass.2 * 0.55)
                fillCanopy(centreX: screenX, centreY: centreY, radiusX: radiusX, radiusY: radiusY, colour: leaf, fog: fog,
                           haze: haze, light: light, salt: look.noiseSalt &+ UInt64(bitPattern: Int64(object.u * 1000)),
                           pixels: pixels, mask: mask)
            } else {
                let half = 0.12 * scale
                fillRectangle(left: screenX - half, right: screenX + half, top: groundY - 7 * scale, bottom: groundY,
                              colour: (128, 122, 112), fog: fog, haze: haze, light: light, pixels: pixels, mask: mask)
                // Cross-arm.
                fillRectangle(left: screenX - 0.9 * scale, right: screenX + 0.9 * scale, top: groundY - 6.7 * scale,
                              bottom: groundY - 6.5 * scale, colour: (110, 104, 96), fog: fog, haze: haze, light: light, pixels: pixels, mask: mask)
            }
        }
    }

    private func fillRectangle(left: Float, right: Float, top: Float, bottom: Float, colour: (Float, Float, Float), fog: Float,
                               haze: (Float, Float, Float), light: Float, pixels: UnsafeMutableBufferPointer<Float>,
                               mask: UnsafeMutableBufferPointer<UInt8>) {
        let x0 = max(0, Int(left.rounded(.down))), x1 = min(size.width - 1, Int(right.rounded(.down)))
        let y0 = max(0, Int(top.rounded(.down))), y1 = min(size.height - 1, Int(bottom.rounded(.down)))
        guard x0 <= x1, y0 <= y1 else { return }
        let r = (colour.0 + (haze.0 - colour.0) * fog) * light
        let g = (colour.1 + (haze.1 - colour.1) * fog) * light
        let b = (colour.2 + (haze.2 - colour.2) * fog) * light
        for y in y0...y1 {
            let vertical = Self.overlap(Float(y), Float(y) + 1, top, bottom)
            for x in x0...x1 {
                let cover = vertical * Self.overlap(Float(x), Float(x) + 1, left, right)
                blend(x: x, y: y, cover: cover, colour: (r, g, b), pixels: pixels, mask: mask)
            }
        }
    }

    private func fillCanopy(centreX: Float, centreY: Float, radiusX: Float, radiusY: Float, colour: (Float, Float, Float), fog: Float,
                            haze: (Float, Float, Float), light: Float, salt: UInt64, pixels: UnsafeMutableBufferPointer<Float>,
                            mask: UnsafeMutableBufferPointer<UInt8>) {
        let x0 = max(0, Int((centreX - radiusX * 1.2).rounded(.down))), x1 = min(size.width - 1, Int((centreX + radiusX * 1.2).rounded(.down)))
        let y0 = max(0, Int((centreY - radiusY * 1.2).rounded(.down))), y1 = min(size.height - 1, Int((centreY + radiusY * 1.2).rounded(.down)))
        guard x0 <= x1, y0 <= y1 else { return }
        let radius = min(radiusX, radiusY)
        for y in y0...y1 {
            for x in x0...x1 {
                let dx = (Float(x) + 0.5 - centreX) / radiusX, dy = (Float(y) + 0.5 - centreY) / radiusY
                let lump = 0.22 * (ValueNoise.sample(dx * 3 + 10, dy * 3 + 10, salt: salt) - 0.5)
                let q = (dx * dx + dy * dy).squareRoot() + lump
                let cover = max(0, min(1, (1 - q) * radius + 0.5))
                guard cover > 0 else { continue }
                let shade = 0.75 + 0.35 * ValueNoise.sample(dx * 7, dy * 7, salt: salt &+ 9) - 0.2 * dy
                let r = (colour.0 * shade + (haze.0 - colour.0 * shade) * fog) * light
                let g = (colour.1 * shade + (haze.1 - colour.1 * shade) * fog) * light
                let b = (colour.2 * shade + (haze.2 - colour.2 * shade) * fog) * light
                blend(x: x, y: y, cover: cover, colour: (r, g, b), pixels: pixels, mask: mask)
            }
        }
    }

    @inline(__always)
    private func blend(x: Int, y: Int, cover: Float, colour: (Float, Float, Float), pixels: UnsafeMutableBufferPointer<Float>,
                       mask: UnsafeMutableBufferPointer<UInt8>) {
        guard cover > 0 else { return }
        let offset = (y * size.width + x) * 3
        pixels[offset] += (colour.0 - pixels[offset]) * cover
        pixels[offset + 1] += (colour.1 - pixels[offset + 1]) * cover
        pixels[offset + 2] += (colour.2 - pixels[offset + 2]) * cover
        if cover >= 0.5 { mask[y * size.width + x] = 0 }
    }

    // MARK: - Bonnet

    private func drawBonnet(pixels: UnsafeMutableBufferPointer<Float>, mask: UnsafeMutableBufferPointer<UInt8>) {
        let height = Float(size.height)
        for x in 0..<size.width {
            let across = (Float(x) + 0.5 - centreX) / centreX
            let top = height * (0.905 + 0.05 * across * across)
            let first = max(0, Int(top.rounded(.down)))
            guard first < size.height else { continue }
            for y in first..<size.height {
                let cover = Self.overlap(Float(y), Float(y) + 1, top, height)
                let depth = (Float(y) + 0.5 - top) / (height - top + 1)
                let glare = 14 * max(0, 1 - abs(across + 0.3) * 3) * (1 - depth)
                blend(x: x, y: y, cover: cover, colour: (34 + glare, 37 + glare, 44 + glare), pixels: pixels, mask: mask)
            }
        }
    }

    // MARK: - Anti-aliasing helpers

    /// Length of the overlap of `[a0, a1]` and `[b0, b1]`.
    @inline(__always)
    static func overlap(_ a0: Float, _ a1: Float, _ b0: Float, _ b1: Float) -> Float {
        max(0, min(a1, b1) - max(a0, b0))
    }

    /// Share of `[position − footprint/2, position + footprint/2]` covered by a square wave that is on for
    /// `on` metres of every `period` (the dashes of the centre line).
    static func periodicCoverage(_ position: Float, period: Float, on: Float, footprint: Float) -> Float {
        func integral(_ x: Float) -> Float {
            let cycles = (x / period).rounded(.down)
            return cycles * on + min(x - cycles * period, on)
        }
        let width = max(footprint, 0.01)
        return (integral(position + width / 2) - integral(position - width / 2)) / width
    }
}
