import NeuralNet

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
    /// - Returns: `[N, H, W]` (or `[N, H, W, C]`) values in [0, 1].
    static func maps(gradient: UnsafeBufferPointer<Float>, items: Int, pixels: Int, channels: Int,
                     modifier: GradientModifier, keepChannels: Bool) -> [Float] {
        mapsAndImportance(gradient: gradient, items: items, pixels: pixels, channels: channels, modifier: modifier,
                          keepChannels: keepChannels, importance: false).maps
    }

    /// The maps (as ``maps(gradient:items:pixels:channels:modifier:keepChannels:)``) and, when asked, the
    /// importance of every pixel (as ``importance(gradient:pixels:channels:modifier:)``, `[N, H, W]`),
    /// each item's both computed by one lane while its gradient is in cache.
    static func mapsAndImportance(gradient: UnsafeBufferPointer<Float>, items: Int, pixels: Int, channels: Int,
                                  modifier: GradientModifier, keepChannels: Bool, importance: Bool = true) -> (maps: [Float], importance: [Float]) {
        precondition(gradient.count == items * pixels * channels, "gradient has \(gradient.count) values, expected \(items)×\(pixels)×\(channels)")
        let perItem = keepChannels ? pixels * channels : pixels
        var importances = [Float]()
        let maps = [Float](unsafeUninitializedCapacity: items * perItem) { maps, initialized in
            importances = [Float](unsafeUninitializedCapacity: importance ? items * pixels : 0) { importanceBuffer, importanceCount in
                let lanes = max(1, min(Parallelism.laneCount, items))
                Parallelism.forEachLane(lanes) { lane in
                    for item in (lane * items / lanes)..<((lane + 1) * items / lanes) {
                        let g = gradient.baseAddress! + item * pixels * channels
                        itemMap(g, into: maps.baseAddress! + item * perItem, pixels: pixels, channels: channels, keepChannels: keepChannels, modifier: modifier)
                        if importance { itemImportance(g, into: importanceBuffer.baseAddress! + item * pixels, pixels: pixels, channels: channels, modifier: modifier) }
                    }
                }
                importanceCount = importance ? items * pixels : 0
            }
            initialized = items * perItem
        }
        return (maps, importances)
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
        // keras-vis `utils.normalize`: (M − min)/(max − min + ε) in Double, one multiply per pixel (the
        // reciprocal is exact enough: < 1 ulp of Float).
        let low = Double(minimum), scale = 1 / (Double(maximum) - Double(minimum) + Double(GradientModifier.epsilon))
        for index in 0..<count { map[index] = Float((Double(map[index]) - low) * scale) }
    }

    /// The least and greatest of `count` finite values, bit for bit what running `min` and `max` over
    /// them in order give (Swift's `min` keeps the first of equal values, `max` the last; among finite
    /// floats only 0 and −0 are equal with different bits). Compared as integers whose order is the
    /// floats' order (sign bit set: the other bits flipped), which vectorises; a zero result then takes
    /// the sign of the first (minimum) or last (maximum) zero.
    static func range(_ values: UnsafePointer<Float>, count: Int) -> (minimum: Float, maximum: Float) {
        @inline(__always) func key(_ bits: Int32) -> Int32 { bits ^ ((bits >> 31) & 0x7FFF_FFFF) }  // its own inverse
        var low = Int32.max, high = Int32.min
        for index in 0..<count {
            let ordered = key(Int32(bitPattern: values[index].bitPattern))
            low = min(low, ordered)
            high = max(high, ordered)
        }
        var minimum = Float(bitPattern: UInt32(bitPattern: key(low))), maximum = Float(bitPattern: UInt32(bitPattern: key(high)))
        if minimum == 0 { minimum = (0..<count).lazy.map { values[$0] }.first { $0 == 0 }! }
        if maximum == 0 { maximum = (0..<count).reversed().lazy.map { values[$0] }.first { $0 == 0 }! }
        return (minimum, maximum)
    }

    /// The importance of each pixel: `max(maxᶜ m(g), 0)` with ``GradientModifier/apply(_:)`` (NaN → 0,
    /// ±∞ clamped), not normalised: the positive part of the modified gradient, the method's own
    /// attribution magnitude. `gradient` is `pixels × channels` values; returns `pixels` values.
    static func importance(gradient: UnsafeBufferPointer<Float>, pixels: Int, channels: Int, modifier: GradientModifier) -> [Float] {
        precondition(gradient.count == pixels * channels, "gradient has \(gradient.count) values, expected \(pixels)×\(channels)")
        return [Float](unsafeUninitializedCapacity: pixels) { result, initialized in
            itemImportance(gradient.baseAddress!, into: result.baseAddress!, pixels: pixels, channels: channels, modifier: modifier)
            initialized = pixels
        }
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
