import Foundation
import SteerLensSupport
import Synchronization
@testable import Transforms
import VideoIO
import XCTest

/// The weather transforms give the bytes of their definitions: each reference below is the plain
/// whole-frame loop of the transform's doc comment (the implementation before it learnt to compute only
/// a band of rows, to cache the fog field and to skip the night noise of the rows above), run on frames
/// whose rows have an odd byte count too (night draws its noise two values at a time across rows).
final class WeatherReferenceTests: XCTestCase {
    func frame(width: Int, height: Int, index: Int) -> Frame {
        var generator = SeededRandom(seed: UInt64(width * 31 + height))
        let pixels = (0..<(width * height * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Frame(index: index, time: 0, width: width, height: height, pixels: pixels)
    }

    let sizes = [(64, 48), (51, 37), (9, 5)]

    func testNightEqualsItsReference() throws {
        for (width, height) in sizes {
            for gamma in [1.5, 2.5, 4] {
                let source = frame(width: width, height: height, index: 7)
                XCTAssertEqual(try Night(gamma: gamma).apply(source).pixels, referenceNight(source, gamma: gamma), "night:\(gamma) on \(width)x\(height)")
            }
        }
    }

    /// Night's AVX-512 noise (approximate, with exact fallbacks near rounding boundaries) gives the portable
    /// loop's bytes: a million values per gamma, bands that start and end mid-draw, σ up to 20 grey levels.
    func testNightVectorizedEqualsThePortableLoop() throws {
        try XCTSkipUnless(VectorSupport.avx512, "needs AVX-512 (the portable loop is the only path here)")
        let source = frame(width: 641, height: 521, index: 3)
        for gamma in [1.0, 1.5, 2.5, 4, 10] {
            let night = Night(gamma: gamma)
            for rows in [0..<521, 197..<412, 5..<6] {
                XCTAssertEqual(try night.apply(source, rows: rows, vectorized: true).pixels, try night.apply(source, rows: rows, vectorized: false).pixels,
                               "night:\(gamma) rows \(rows)")
            }
        }
    }

    func testFogEqualsItsReference() throws {
        // One fog per density across the sizes: each size's field replaces the last one's.
        let fogs = [0.2, 0.7, 1].map { Fog(density: $0) }
        for (width, height) in sizes {
            for fog in fogs {
                let density = fog.density
                // Twice: the second frame of a size reads the cached field.
                for index in 0..<2 {
                    let source = frame(width: width, height: height, index: index)
                    XCTAssertEqual(try fog.apply(source).pixels, referenceFog(source, density: density), "fog:\(density) on \(width)x\(height)")
                }
            }
        }
    }

    /// Threads sharing one fog over frames of two sizes (the cache holds one size at a time).
    func testFogIsRightWhenThreadsShareIt() throws {
        let fog = Fog(density: 0.5)
        let frames = [frame(width: 64, height: 48, index: 0), frame(width: 51, height: 37, index: 0)]
        let expected = frames.map { referenceFog($0, density: 0.5) }
        let right = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 32) { run in
            if (try? fog.apply(frames[run % 2]).pixels) == expected[run % 2] { right.add(1, ordering: .relaxed) }
        }
        XCTAssertEqual(right.load(ordering: .relaxed), 32)
    }

    func testRainAndDirtEqualTheirReferences() throws {
        for (width, height) in sizes {
            let source = frame(width: width, height: height, index: 3)
            for amount in [0.3, 1] {
                XCTAssertEqual(try Rain(amount: amount).apply(source).pixels, referenceRain(source, amount: amount), "rain:\(amount) on \(width)x\(height)")
            }
            for blobs in [2, 9] {
                XCTAssertEqual(try LensDirt(blobs: blobs).apply(source).pixels, referenceDirt(source, blobs: blobs), "dirt:\(blobs) on \(width)x\(height)")
            }
        }
    }

    /// Bands of rows (odd and even first bytes, at both edges, past the frame, wholly outside it) hold the
    /// whole frame's rows.
    func testWeatherOnRowsEqualsTheWholeFrame() throws {
        for (width, height) in sizes {
            let source = frame(width: width, height: height, index: 5), rowLength = width * 3
            for transform in [Night(gamma: 2), Fog(density: 0.6), Rain(amount: 0.8), LensDirt(blobs: 6), Brightness(beta: 40)] as [any FrameTransform] {
                let full = try transform.apply(source)
                for rows in [0..<height, 0..<1, 1..<(height - 1), 3..<4, (height - 2)..<(height + 4), height..<(height + 2), 1..<1] {
                    let kept = rows.clamped(to: 0..<height)
                    XCTAssertEqual(try transform.apply(source, rows: rows).pixels,
                                   Array(full.pixels[(kept.lowerBound * rowLength)..<(kept.upperBound * rowLength)]),
                                   "\(transform.specification) on \(width)x\(height), rows \(rows)")
                }
            }
        }
    }

    func testSkipEqualsDrawing() {
        for count in [0, 1, 2, 7, 1000] {
            var drawn = SeededRandom(seed: 16), skipped = SeededRandom(seed: 16)
            for _ in 0..<count { _ = drawn.next() }
            skipped.skip(count)
            XCTAssertEqual(skipped.next(), drawn.next(), "after \(count)")
        }
    }

    // MARK: The definitions, as whole-frame loops

    func referenceNight(_ frame: Frame, gamma: Double) -> [UInt8] {
        let table = (0..<256).map { Float(255 * pow(Double($0) / 255, gamma)) }
        var random = SeededRandom(seed: 16 &+ UInt64(truncatingIfNeeded: frame.index))
        let sigma = 2 * gamma
        var output = [UInt8](repeating: 0, count: frame.pixels.count)
        var index = 0
        while index < output.count {
            let u1 = max(random.unit(), 1e-12), u2 = random.unit()
            let radius = (-2 * log(u1)).squareRoot() * sigma
            let noise = [Float(radius * cos(2 * .pi * u2)), Float(radius * sin(2 * .pi * u2))]
            for k in 0..<2 where index + k < output.count {
                output[index + k] = saturatedByte(table[Int(frame.pixels[index + k])] + noise[k])
            }
            index += 2
        }
        return output
    }

    func referenceFog(_ frame: Frame, density: Double) -> [UInt8] {
        let width = frame.width, height = frame.height
        let noise = SmoothNoise(seed: 14, cellSize: max(8, Double(width) / 8))
        let grey: [Float] = [205, 208, 212]
        var output = frame.pixels
        for y in 0..<height {
            let vertical = 1 - 0.6 * Double(y) / Double(max(height - 1, 1))
            for x in 0..<width {
                let amount = Float(min(1, max(0, density * (0.55 + 0.45 * noise.value(x: Double(x), y: Double(y))) * vertical)))
                let at = (y * width + x) * 3
                for c in 0..<3 { output[at + c] = saturatedByte(Float(output[at + c]) * (1 - amount) + grey[c] * amount) }
            }
        }
        return output
    }

    func referenceRain(_ frame: Frame, amount: Double) -> [UInt8] {
        let width = frame.width, height = frame.height
        let dim = Float(1 - 0.25 * min(max(amount, 0), 1))
        var output = frame.pixels.map { UInt8(Float($0) * dim) }
        var random = SeededRandom(seed: 15 &+ UInt64(truncatingIfNeeded: frame.index))
        let streaks = Int(min(max(amount, 0), 1) * Double(width * height) / 120)
        let streak: [Float] = [200, 205, 215]
        for _ in 0..<streaks {
            let x0 = random.uniform(0, Double(width)), y0 = random.uniform(0, Double(height))
            let steps = Int(random.uniform(0.04, 0.09) * Double(height))
            for step in 0..<steps {
                let x = Int(x0 + 0.25 * Double(step)), y = Int(y0 + Double(step))
                guard x >= 0, x < width, y >= 0, y < height else { break }
                let at = (y * width + x) * 3
                for c in 0..<3 { output[at + c] = saturatedByte(Float(output[at + c]) * 0.4 + streak[c] * 0.6) }
            }
        }
        return output
    }

    func referenceDirt(_ frame: Frame, blobs: Int) -> [UInt8] {
        let width = frame.width, height = frame.height
        var random = SeededRandom(seed: 17)
        var output = frame.pixels
        let dirt: [Float] = [58, 48, 38]
        for _ in 0..<blobs {
            let cx = random.uniform(0, Double(width)), cy = random.uniform(0, Double(height))
            let radius = random.uniform(0.03, 0.09) * Double(width)
            let opacity = random.uniform(0.55, 0.85)
            let x0 = max(0, Int(cx - radius)), x1 = min(width - 1, Int(cx + radius))
            let y0 = max(0, Int(cy - radius)), y1 = min(height - 1, Int(cy + radius))
            guard x0 <= x1, y0 <= y1 else { continue }
            for y in y0...y1 {
                for x in x0...x1 {
                    let distance = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot() / radius
                    guard distance < 1 else { continue }
                    let edge = distance < 0.5 ? 1 : 1 - (distance - 0.5) / 0.5
                    let alpha = Float(opacity * edge * edge * (3 - 2 * edge))
                    let at = (y * width + x) * 3
                    for c in 0..<3 { output[at + c] = saturatedByte(Float(output[at + c]) * (1 - alpha) + dirt[c] * alpha) }
                }
            }
        }
        return output
    }
}
