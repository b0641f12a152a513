import Foundation

/// `count` bytes flush against a `PROT_NONE` page, after them (`flushEnd`) or before them, with another
/// such page on the far side: a read or write one byte outside faults and ends the test run. The bounds
/// check for vector kernels, which AddressSanitizer does not instrument (CVectorKernels' header loops).
public final class GuardedBytes {
    /// The first of the `count` bytes.
    public let pointer: UnsafeMutableRawPointer
    private let base: UnsafeMutableRawPointer, length: Int

    public init(count: Int, flushEnd: Bool) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE))), dataPages = (count + page - 1) / page
        length = (dataPages + 2) * page
        base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
        precondition(base != MAP_FAILED, "mmap failed")
        mprotect(base, page, PROT_NONE)
        mprotect(base + (dataPages + 1) * page, page, PROT_NONE)
        pointer = flushEnd ? base + (dataPages + 1) * page - count : base + page
    }

    deinit { munmap(base, length) }

    /// The bytes as `values.count` floats, filled with `values` (`count` must be `4 · values.count`).
    public func floats(_ values: [Float]) -> UnsafeMutablePointer<Float> {
        let target = pointer.bindMemory(to: Float.self, capacity: values.count)
        target.update(from: values, count: values.count)
        return target
    }
}
