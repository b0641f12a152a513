import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How the process's allocator treats the large buffers a pipeline frees batch after batch.
///
/// glibc's default moves its thresholds as it goes: blocks above the mmap threshold are mapped and
/// unmapped one by one, and free memory at the top of the heap beyond the trim threshold goes back to the
/// system. With two batches in flight (the network on one while another thread reads the previous
/// one's maps) each batch's buffers would land on freshly trimmed pages that the kernel zeroes again
/// (`analyze` of a 60 s 320×160 clip: 0.55–0.8 s of system time instead of 0.2). Fixed thresholds keep
/// freed buffers for the next batch instead.
public enum AllocatorPolicy {
    /// Buffers up to 32 MiB (glibc's largest mmap threshold) come from the heap, and up to 128 MiB of free
    /// heap stays mapped, for the rest of the process. `analyze` calls it before its pipeline starts;
    /// `stress`, whose batches do not overlap so, measured no gain (2–4 % less in two pairs) and keeps
    /// glibc's defaults.
    public static func keepFreedBatchBuffers() {
        #if canImport(Glibc)
        // `mallopt` and its parameters are in <malloc.h>, which the Glibc module does not export.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let (mmapThreshold, trimThreshold): (Int32, Int32) = (-3, -1)  // M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(trimThreshold, 128 << 20)
        #endif
    }
}
