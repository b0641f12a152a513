import Synchronization

/// Values built once per key and shared by every thread that asks: the tables of a geometry (resize
/// taps, scale taps) that every frame of a clip reuses. Holds at most `capacity` entries and starts
/// over when full (a clip has a few geometries; a folder of images of many sizes must not grow it
/// without bound). A value two threads ask for at once may be built twice; both get an equal value.
public final class Memo<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: Value]>([:])
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity >= 1, "a memo holds at least one value")
        self.capacity = capacity
    }

    /// The value for `key`, built by `build` (outside the lock) the first time.
    public func value(for key: Key, build: () throws -> Value) rethrows -> Value {
        if let value = entries.withLock({ $0[key] }) { return value }
        let value = try build()
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll() }
            entries[key] = value
        }
        return value
    }

    /// How many values it holds now.
    public var count: Int { entries.withLock { $0.count } }
}
