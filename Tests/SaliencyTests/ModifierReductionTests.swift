import CVectorKernels
import SteerLensSupport
import TestSupport
import XCTest
@testable import Saliency

/// The fast reduction and the element-wise ``GradientModifier/apply(_:)`` share one formula per
/// modifier: for every modifier, with and without the channel maximum, the reduction equals keras-vis
/// `normalize(max_c apply(g))` computed here the slow way, bit for bit.
final class ModifierReductionTests: XCTestCase {
    func testReductionEqualsApplyThenNormalise() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1e6
        }
        let (items, pixels, channels) = (3, 17, 3)
        // Random gradients plus the edge cases: g = 0 and g = −ε (1/(g+ε) = ±∞, clamped).
        var gradient = (0..<(items * pixels * channels)).map { _ in random() * 1e-3 }
        gradient[4] = 0
        gradient[9] = -GradientModifier.epsilon
        for modifier in GradientModifier.allCases {
            for (keepChannels, vectorized) in [(false, false), (true, false), (false, VectorSupport.avx512)] {
                let fast = gradient.withUnsafeBufferPointer {
                    SaliencyReduction.maps(gradient: $0, items: items, pixels: pixels, channels: channels, modifier: modifier,
                                           keepChannels: keepChannels, vectorized: vectorized)
                }
                var slow: [Float] = []
                for item in 0..<items {
                    let values = gradient[(item * pixels * channels)..<((item + 1) * pixels * channels)].map(modifier.apply)
                    let map = keepChannels ? values : stride(from: 0, to: values.count, by: channels).map { values[$0..<($0 + channels)].max()! }
                    let low = Double(map.min()!), scale = 1 / (Double(map.max()!) - low + Double(GradientModifier.epsilon))
                    slow += map.map { Float((Double($0) - low) * scale) }
                }
                XCTAssertEqual(fast, slow, "\(modifier.rawValue), keepChannels \(keepChannels), vectorized \(vectorized)")
            }
        }
    }

    /// The importance computed beside the maps in one pass over the gradient (per lane, three channels
    /// unrolled) equals `max(0, max_c apply(g))` per pixel computed the slow way, bit for bit (signed
    /// zeros included), for every modifier, with NaN and ±∞ gradients, for three channels and for two;
    /// and the maps of the fused pass equal the maps alone.
    func testFusedImportanceEqualsTheSlowPositivePart() {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func random() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1e6
        }
        for channels in [3, 2] {
            let (items, pixels) = (5, 23)
            var gradient = (0..<(items * pixels * channels)).map { _ in random() * 1e-3 }
            for (index, value) in [(1, Float.nan), (5, .infinity), (8, -.infinity), (13, 0), (14, -0.0), (20, -GradientModifier.epsilon)] {
                gradient[index] = value
            }
            for modifier in GradientModifier.allCases {
                let fused = gradient.withUnsafeBufferPointer {
                    SaliencyReduction.mapsAndImportance(gradient: $0, items: items, pixels: pixels, channels: channels, modifiers: [modifier],
                                                        keepChannels: false, vectorized: false)[0]
                }
                let mapsAlone = gradient.withUnsafeBufferPointer {
                    SaliencyReduction.maps(gradient: $0, items: items, pixels: pixels, channels: channels, modifier: modifier, keepChannels: false)
                }
                let slow = (0..<(items * pixels)).map { pixel in
                    (0..<channels).reduce(Float(0)) { best, channel in max(best, modifier.apply(gradient[pixel * channels + channel])) }
                }
                XCTAssertEqual(fused.importance.map(\.bitPattern), slow.map(\.bitPattern), "\(modifier.rawValue), \(channels) channels")
                XCTAssertEqual(fused.maps.map(\.bitPattern), mapsAlone.map(\.bitPattern), "\(modifier.rawValue), \(channels) channels")
            }
        }
    }

    /// The AVX-512 loops give the Swift loops' bits for every modifier at every length around their 16
    /// pixels a vector (tails of 1…15), with NaN, ±∞, ±0, −ε, subnormal and huge gradients; several
    /// modifiers in one call give each modifier's maps and importance alone; all-zero and constant maps
    /// normalise alike.
    func testVectorLoopsEqualTheSwiftLoopsBitForBit() throws {
        try XCTSkipUnless(VectorSupport.avx512, "this CPU (or valgrind) does not run AVX-512; the Swift loops ran instead")
        var state: UInt64 = 0x853C_49E6_748F_EA9B
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        let specials: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, -GradientModifier.epsilon, GradientModifier.epsilon,
                                 .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 3e38, -3e38, 1e-30]
        let modifiers = GradientModifier.allCases
        for pixels in Array(1...49) + [250] {
            for pattern in 0..<3 {
                let items = 2, count = items * pixels * 3
                let gradient: [Float] = (0..<count).map { index in
                    switch pattern {
                    case 0: Float(Int64(next() % 2_000_001) - 1_000_000) * 1e-9
                    case 1: next() % 4 == 0 ? specials[Int(next() % UInt64(specials.count))] : Float(Int64(next() % 2_001) - 1_000) * 1e-3
                    default: index % 7 == 0 ? 0 : 0.25  // constant channel maxima: a map of one value
                    }
                }
                let (portable, vector) = gradient.withUnsafeBufferPointer { g in
                    (SaliencyReduction.mapsAndImportance(gradient: g, items: items, pixels: pixels, channels: 3, modifiers: modifiers, keepChannels: false, vectorized: false),
                     SaliencyReduction.mapsAndImportance(gradient: g, items: items, pixels: pixels, channels: 3, modifiers: modifiers, keepChannels: false, vectorized: true))
                }
                for (index, modifier) in modifiers.enumerated() {
                    let label = "\(modifier.rawValue), \(pixels) pixels, pattern \(pattern)"
                    XCTAssertEqual(vector[index].maps.map(\.bitPattern), portable[index].maps.map(\.bitPattern), label)
                    XCTAssertEqual(vector[index].importance.map(\.bitPattern), portable[index].importance.map(\.bitPattern), label)
                    let alone = gradient.withUnsafeBufferPointer {
                        SaliencyReduction.mapsAndImportance(gradient: $0, items: items, pixels: pixels, channels: 3, modifiers: [modifier], keepChannels: false)[0]
                    }
                    XCTAssertEqual(alone.maps.map(\.bitPattern), vector[index].maps.map(\.bitPattern), label)
                    XCTAssertEqual(alone.importance.map(\.bitPattern), vector[index].importance.map(\.bitPattern), label)
                }
            }
        }
    }

    /// The AVX-512 loops read and write only the pixels they are given: the gradient, the map and the
    /// importance each sit flush against an inaccessible page (after their end, then before their start),
    /// so a lane outside them faults. AddressSanitizer does not see into the header loops.
    func testVectorLoopsStayInTheirBuffers() throws {
        try XCTSkipUnless(VectorSupport.avx512, "this CPU (or valgrind) does not run AVX-512; the Swift loops ran instead")
        for flushEnd in [true, false] {
            for pixels in [1, 5, 15, 16, 17, 31, 33] {
                let gradientBytes = GuardedBytes(count: pixels * 3 * 4, flushEnd: flushEnd)
                let gradient = gradientBytes.floats((0..<(pixels * 3)).map { Float($0 % 5) - 2 })
                let mapBytes = GuardedBytes(count: pixels * 4, flushEnd: flushEnd), importanceBytes = GuardedBytes(count: pixels * 4, flushEnd: flushEnd)
                let map = mapBytes.pointer.bindMemory(to: Float.self, capacity: pixels)
                let importance = importanceBytes.pointer.bindMemory(to: Float.self, capacity: pixels)
                var (low, high) = (Int32(0), Int32(0))
                steerlens_saliency_channel_max_avx512(gradient, pixels, Int32(STEERLENS_MODIFIER_IDENTITY), GradientModifier.epsilon, map, importance, &low, &high)
                let last = (pixels - 1) * 3
                XCTAssertEqual(map[pixels - 1], ((last)..<(last + 3)).map { Float($0 % 5) - 2 }.max(), "\(pixels) pixels")
                steerlens_saliency_normalise_avx512(map, pixels, 0, 1)
                withExtendedLifetime((gradientBytes, mapBytes, importanceBytes)) {}
            }
        }
    }

    /// Each case's formula is the function of ``GradientModifier/Formula`` it names.
    func testApplyIsTheGuardedFormula() {
        for modifier in GradientModifier.allCases {
            for g: Float in [-2, -1e-7, 0, 1e-9, 0.5, 3] {
                XCTAssertEqual(modifier.apply(g), GradientModifier.guarded(modifier.formula(g)), "\(modifier.rawValue)(\(g))")
            }
            XCTAssertEqual(modifier.apply(.nan), 0)
        }
    }

    /// The vectorised range equals running Swift `min` and `max` over the values in order, bit for bit:
    /// the first of 0 and −0 for the minimum, the last for the maximum, at every position and length
    /// (short tails too), beside negative values, the clamped extremes and all-zero maps.
    func testRangeEqualsRunningMinAndMaxBitForBit() {
        var state: UInt64 = 0xD1B5_4A32_D192_ED03
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % bound
        }
        let pool: [Float] = [0, -0.0, 1, -1, 0.5, -2.5e-8, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
        for trial in 0..<2_000 {
            let count = 1 + next(trial < 200 ? 6 : 70)
            let zerosOnly = trial % 5 == 0
            let values = (0..<count).map { _ in zerosOnly ? [Float(0), -0.0][next(2)] : pool[next(pool.count)] }
            var low = Float.greatestFiniteMagnitude, high = -Float.greatestFiniteMagnitude
            for value in values { low = min(low, value); high = max(high, value) }
            let (minimum, maximum) = values.withUnsafeBufferPointer { SaliencyReduction.range($0.baseAddress!, count: count) }
            XCTAssertEqual(minimum.bitPattern, low.bitPattern, "minimum of \(values)")
            XCTAssertEqual(maximum.bitPattern, high.bitPattern, "maximum of \(values)")
        }
    }
}
