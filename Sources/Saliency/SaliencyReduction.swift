internal import CVectorKernels
import NeuralNet
import SteerLensSupport

/// Turns modified gradients into normalised maps, exactly as keras-vis `visualize_saliency` does:
/// channel reduction by signed maximum (`np.max(grads, axis=-1)`, unless channels are kept), then
/// `utils.normalize` per image: `S = (M − min M) / (max M − min M + ε)`.
///
/// Normalisation is computed in Double so that clamped infinities (see ``GradientModifier``) cannot
/// overflow `max − min`; values are then rounded to Float. A constant map normalises to all zeros.
/// Items are independent, so a batch is split over ``Parallelism/laneCount`` lanes.
enum SaliencyReduction {
    /// Maps for every item of a gradient batch.
    /// - Parameters:
    ///   - gradient: `g`, NHWC, `count = items × pixels × channels`.
    ///   - keepChannels: keep the channel axis (keras-vis `keepdims=True`) instead of the channel max.
    ///   - vectorized: run the AVX-512 loops where they apply (three channels, no `keepChannels`); the
    ///     same bits as the Swift loops.
    /// - Returns: `[N, H, W]` (or `[N, H, W, C]`) values in [0, 1].
    static func maps(gradient: UnsafeBufferPointer<Float>, items: Int, pixels: Int, channels: Int,
                     modifier: GradientModifier, keepChannels: Bool, vectorized: Bool = VectorSupport.avx512) -> [Float] {
        mapsAndImportance(gradient: gradient, items: items, pixels: pixels, channels: channels, modifiers: [modifier],
                          keepChannels: keepChannels, importance: false, vectorized: vectorized)[0].maps
    }

    /// Per modifier, the maps (as ``maps(gradient:items:pixels:channels:modifier:keepChannels:vectorized:)``)
    /// and, when asked, the importance of every pixel (`[N, H, W]`, see ``positivePart(_:_:_:_:_:)``).
    /// One pass over the batch split over the lanes: a lane computes every modifier's map and importance
    /// of an item while that item's gradient is in cache.
    static func mapsAndImportance(gradient: UnsafeBufferPointer<Float>, items: Int, pixels: Int, channels: Int, modifiers: [GradientModifier],
                                  keepChannels: Bool, importance: Bool = true,
                                  vectorized: Bool = VectorSupport.avx512) -> [(maps: [Float], importance: [Float])] {
        precondition(gradient.count == items * pixels * channels, "gradient has \(gradient.count) values, expected \(items)×\(pixels)×\(channels)")
        let perItem = keepChannels ? pixels * channels : pixels
        let counts = modifiers.flatMap { _ in [items * perItem, importance ? items * pixels : 0] }
        let arrays = uninitializedArrays(counts) { outputs in
            let lanes = max(1, min(Parallelism.laneCount, items))
            Parallelism.forEachLane(lanes) { lane in
                for item in (lane * items / lanes)..<((lane + 1) * items / lanes) {
                    let g = gradient.baseAddress! + item * pixels * channels
                    for (index, modifier) in modifiers.enumerated() {
                        itemMap(g, into: outputs[2 * index] + item * perItem, importance: importance ? outputs[2 * index + 1] + item * pixels : nil,
                                pixels: pixels, channels: channels, keepChannels: keepChannels, modifier: modifier, vectorized: vectorized)
                    }
                }
            }
        }
        return modifiers.indices.map { (arrays[2 * $0], arrays[2 * $0 + 1]) }
    }

    /// Arrays of `counts[i]` floats, all filled by one call of `body` with their storage (no zero-filling
    /// first: `body` must write every value).
    private static func uninitializedArrays(_ counts: [Int], _ body: ([UnsafeMutablePointer<Float>]) -> Void) -> [[Float]] {
        var finished: [[Float]] = []  // innermost first
        func nest(_ pointers: [UnsafeMutablePointer<Float>]) {
            guard pointers.count < counts.count else { return body(pointers) }
            let count = counts[pointers.count]
            finished.append([Float](unsafeUninitializedCapacity: max(count, 1)) { buffer, initialized in
                nest(pointers + [buffer.baseAddress!])
                initialized = count
            })
        }
        nest([])
        return finished.reversed()
    }

    /// One item's map and, with an `importance` pointer, its importance: the AVX-512 loop for three
    /// channels reduced to their maximum, else the Swift loops, specialised per modifier.
    private static func itemMap(_ g: UnsafePointer<Float>, into map: UnsafeMutablePointer<Float>, importance: UnsafeMutablePointer<Float>?,
                                pixels: Int, channels: Int, keepChannels: Bool, modifier: GradientModifier, vectorized: Bool) {
        guard pixels > 0 else { return }
        if vectorized && VectorSupport.avx512 && channels == 3 && !keepChannels {
            var (low, high) = (Int32(0), Int32(0))
            steerlens_saliency_channel_max_avx512(g, pixels, kernelCode(modifier), GradientModifier.epsilon,
                                                  map, importance, &low, &high)
            let (minimum, maximum) = range(lowKey: low, highKey: high, of: map, count: pixels)
            let (offset, scale) = normalisation(minimum: minimum, maximum: maximum)
            steerlens_saliency_normalise_avx512(map, pixels, offset, scale)
            return
        }
        itemMap(g, into: map, pixels: pixels, channels: channels, keepChannels: keepChannels, modifier: modifier)
        if let importance { itemImportance(g, into: importance, pixels: pixels, channels: channels, modifier: modifier) }
    }

    /// The modifier's number in saliency_kernels.h.
    private static func kernelCode(_ modifier: GradientModifier) -> Int32 {
        switch modifier {
        case .identity: Int32(STEERLENS_MODIFIER_IDENTITY)
        case .negate: Int32(STEERLENS_MODIFIER_NEGATE)
        case .smallValues: Int32(STEERLENS_MODIFIER_SMALL_VALUES)
        case .absolute: Int32(STEERLENS_MODIFIER_ABSOLUTE)
        case .relu: Int32(STEERLENS_MODIFIER_RELU)
        case .invert: Int32(STEERLENS_MODIFIER_INVERT)
        }
    }

    /// One item's map, specialised per modifier so the inner loops stay free of dispatch.
    private static func itemMap(_ g: UnsafePointer<Float>, into map: UnsafeMutablePointer<Float>, pixels: Int, channels: Int,
                                keepChannels: Bool, modifier: GradientModifier) {
        switch modifier {
        case .identity: reduce(g, map, pixels, channels, keepChannels, GradientModifier.Formula.identity)
        case .negate: reduce(g, map, pixels, channels, keepChannels, GradientModifier.Formula.negate)
        case .smallValues: reduce(g, map, pixels, channels, keepChannels, GradientModifier.Formula.smallValues)
        case .absolute: reduce(g, map, pixels, channels, keepChannels, GradientModifier.Formula.absolute)
        case .relu: reduce(g, map, pixels, channels, keepChannels, GradientModifier.Formula.relu)
        case .invert: reduce(g, map, pixels, channels, keepChannels, GradientModifier.Formula.invert)
        }
    }

    /// Applies `modify` (one of ``GradientModifier/Formula``) element-wise, takes the channel maximum,
    /// passes it through ``GradientModifier/guarded(_:)`` (±∞ → ±greatest finite, NaN → 0) and
    /// normalises the item with the map's range (``range(_:count:)``). For finite gradients each value
    /// before normalisation is therefore exactly the channel maximum of ``GradientModifier/apply(_:)``.
    /// Three passes (modify, range, normalise) with no reduction inside the first, so each stays a
    /// straight loop.
    @inline(__always)
    private static func reduce(_ g: UnsafePointer<Float>, _ map: UnsafeMutablePointer<Float>, _ pixels: Int, _ channels: Int,
                               _ keepChannels: Bool, _ modify: (Float) -> Float) {
        let count = keepChannels ? pixels * channels : pixels
        guard count > 0 else { return }
        if keepChannels || channels == 1 {
            for index in 0..<count { map[index] = GradientModifier.guarded(modify(g[index])) }
        } else if channels == 3 {
            for pixel in 0..<pixels {
                let source = g + pixel * 3
                map[pixel] = GradientModifier.guarded(max(max(modify(source[0]), modify(source[1])), modify(source[2])))
            }
        } else {
            for pixel in 0..<pixels {
                let source = g + pixel * channels
                var best = modify(source[0])
                for channel in 1..<channels { best = max(best, modify(source[channel])) }
                map[pixel] = GradientModifier.guarded(best)
            }
        }
        let (minimum, maximum) = range(map, count: count)
        let (low, scale) = normalisation(minimum: minimum, maximum: maximum)
        for index in 0..<count { map[index] = Float((Double(map[index]) - low) * scale) }
    }

    /// keras-vis `utils.normalize`, `(M − min)/(max − min + ε)`, as `(M − low) · scale` in Double: one
    /// multiply per pixel (the reciprocal is exact enough: < 1 ulp of Float).
    private static func normalisation(minimum: Float, maximum: Float) -> (low: Double, scale: Double) {
        (Double(minimum), 1 / (Double(maximum) - Double(minimum) + Double(GradientModifier.epsilon)))
    }

    /// The least and greatest of `count` finite values, bit for bit what running `min` and `max` over
    /// them in order give (Swift's `min` keeps the first of equal values, `max` the last; among finite
    /// floats only 0 and −0 are equal with different bits). Compared as integers whose order is the
    /// floats' order (sign bit set: the other bits flipped), which vectorises; a zero result then takes
    /// the sign of the first (minimum) or last (maximum) zero.
    static func range(_ values: UnsafePointer<Float>, count: Int) -> (minimum: Float, maximum: Float) {
        var low = Int32.max, high = Int32.min
        for index in 0..<count {
            let ordered = orderKey(Int32(bitPattern: values[index].bitPattern))
            low = min(low, ordered)
            high = max(high, ordered)
        }
        return range(lowKey: low, highKey: high, of: values, count: count)
    }

    /// A float's bits as an integer whose order is the floats' order (sign bit set: the other bits
    /// flipped); its own inverse.
    @inline(__always)
    private static func orderKey(_ bits: Int32) -> Int32 { bits ^ ((bits >> 31) & 0x7FFF_FFFF) }

    /// The range from the least and greatest ``orderKey(_:)`` of `values`, a zero taking the sign of
    /// the first (minimum) or last (maximum) zero, as running `min` and `max` do.
    private static func range(lowKey low: Int32, highKey high: Int32, of values: UnsafePointer<Float>, count: Int) -> (minimum: Float, maximum: Float) {
        var minimum = Float(bitPattern: UInt32(bitPattern: orderKey(low))), maximum = Float(bitPattern: UInt32(bitPattern: orderKey(high)))
        if minimum == 0 { minimum = (0..<count).lazy.map { values[$0] }.first { $0 == 0 }! }
        if maximum == 0 { maximum = (0..<count).reversed().lazy.map { values[$0] }.first { $0 == 0 }! }
        return (minimum, maximum)
    }

    /// `pixels` importance values, specialised per modifier like ``itemMap``.
    private static func itemImportance(_ g: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, pixels: Int, channels: Int,
                                       modifier: GradientModifier) {
        switch modifier {
        case .identity: positivePart(g, out, pixels, channels, GradientModifier.Formula.identity)
        case .negate: positivePart(g, out, pixels, channels, GradientModifier.Formula.negate)
        case .smallValues: positivePart(g, out, pixels, channels, GradientModifier.Formula.smallValues)
        case .absolute: positivePart(g, out, pixels, channels, GradientModifier.Formula.absolute)
        case .relu: positivePart(g, out, pixels, channels, GradientModifier.Formula.relu)
        case .invert: positivePart(g, out, pixels, channels, GradientModifier.Formula.invert)
        }
    }

    /// `max(maxᶜ guarded(modify(g)), 0)` per pixel (NaN gradients count as 0, like ``GradientModifier/apply(_:)``:
    /// every formula keeps NaN, and `guarded` turns it into 0). The running maximum starts at 0 and takes
    /// the channels in order, so three channels, unrolled, give the same values bit for bit.
    @inline(__always)
    private static func positivePart(_ g: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ pixels: Int, _ channels: Int,
                                     _ modify: (Float) -> Float) {
        @inline(__always) func positive(_ value: Float) -> Float { GradientModifier.guarded(modify(value)) }
        if channels == 3 {
            for pixel in 0..<pixels {
                let source = g + pixel * 3
                out[pixel] = max(max(max(0, positive(source[0])), positive(source[1])), positive(source[2]))
            }
            return
        }
        for pixel in 0..<pixels {
            var best: Float = 0
            for channel in 0..<channels { best = max(best, positive(g[pixel * channels + channel])) }
            out[pixel] = best
        }
    }
}
