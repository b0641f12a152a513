/// The rows of a separable filter's first pass that its second pass reads now, each computed when first
/// needed and kept in a ring (row `r` in slot `r mod capacity`, `rowLength` values a slot): the rows are
/// still in cache when read, and the first pass of a whole band of rows (megabytes at 4K or at large
/// scales) is never held. Used by ``CubicScale`` (Float rows) and ``Blur``'s separable filters (Int32 rows).
struct RowRing<Element: AdditiveArithmetic> {
    let rowLength: Int
    private(set) var storage: [Element] = []
    private var capacity = 0
    /// The rows the ring holds.
    private var held = 0..<0

    /// A ring of rows of `rowLength` values, with room for `capacity` rows before it first grows.
    init(rowLength: Int, capacity: Int = 0) {
        self.rowLength = rowLength
        if capacity > 0 { grow(to: capacity) }
    }

    /// Makes the ring hold rows `needed` (asked for in nondecreasing order), having `compute(rows, slot)`
    /// write the rows it does not hold yet (`slot(r)`: where row `r`'s values go); grows (and starts
    /// over) for a longer span than it has room for.
    mutating func hold(_ needed: ClosedRange<Int>, computing compute: (Range<Int>, (Int) -> UnsafeMutablePointer<Element>) -> Void) {
        if needed.count > capacity { grow(to: needed.count + 2) }
        if !(held.lowerBound...held.upperBound).contains(needed.lowerBound) { held = needed.lowerBound..<needed.lowerBound }
        let end = needed.upperBound + 1
        if held.upperBound < end {
            let (rowLength, capacity) = (rowLength, capacity)
            storage.withUnsafeMutableBufferPointer { buffer in
                compute(held.upperBound..<end) { buffer.baseAddress! + $0 % capacity * rowLength }
            }
            held = max(held.lowerBound, end - capacity)..<end
        }
    }

    /// Where row `row` (held) starts in `storage`.
    func offset(of row: Int) -> Int { row % capacity * rowLength }

    private mutating func grow(to rows: Int) {
        capacity = rows
        storage = [Element](repeating: .zero, count: capacity * rowLength)
        held = 0..<0
    }
}
