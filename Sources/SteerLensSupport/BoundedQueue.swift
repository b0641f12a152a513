import Foundation

/// A blocking first-in-first-out queue of limited capacity that connects pipeline stages running on
/// different threads: `put` waits while the queue is full (so a fast producer cannot run ahead and
/// memory stays flat), `take` waits while it is empty. `close` wakes everybody: afterwards `put`
/// refuses new elements and `take` drains what is left, then returns `nil`.
public final class BoundedQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var elements: [Element] = []
    private var closed = false
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity >= 1, "a queue needs room for one element")
        self.capacity = capacity
    }

    /// Appends `element`, waiting for room. Returns `false` (dropping it) once the queue is closed.
    @discardableResult
    public func put(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while elements.count >= capacity && !closed { condition.wait() }
        guard !closed else { return false }
        elements.append(element)
        condition.broadcast()
        return true
    }

    /// The oldest element, waiting for one; `nil` when the queue is closed and empty.
    public func take() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while elements.isEmpty && !closed { condition.wait() }
        guard !elements.isEmpty else { return nil }
        let element = elements.removeFirst()
        condition.broadcast()
        return element
    }

    /// No more elements: wakes waiting producers (their `put` fails) and consumers (they drain, then get `nil`).
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// A closure running on its own thread, joined with ``wait()``.
public final class BackgroundStage: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)

    /// Starts `body` on a new thread named `name`.
    public init(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [finished] in
            body()
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Waits until the closure has returned (once).
    public func wait() {
        finished.wait()
    }
}

/// A budget of bytes that pipeline stages may hold at once, for buffers whose count a queue cannot bound
/// (e.g. full-size frames waiting in a batch and then in the image queue). The stage that keeps a buffer
/// takes its bytes; the stage that drops it gives them back.
///
/// When nothing is held, any request is granted, so a single buffer larger than the whole budget still
/// passes (one at a time) instead of deadlocking.
public final class ByteBudget: @unchecked Sendable {
    private let condition = NSCondition()
    private var held = 0
    private var closed = false
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity >= 1, "a budget needs at least one byte")
        self.capacity = capacity
    }

    /// Takes `bytes` if they fit now; `false` (taking nothing) otherwise.
    public func tryTake(_ bytes: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return takeLocked(bytes)
    }

    /// Takes `bytes`, waiting until they fit. Returns `false` (taking nothing) once the budget is closed.
    public func take(_ bytes: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !closed {
            if takeLocked(bytes) { return true }
            condition.wait()
        }
        return false
    }

    /// Returns `bytes` taken earlier and wakes a waiting taker.
    public func giveBack(_ bytes: Int) {
        condition.lock()
        held = max(held - bytes, 0)
        condition.broadcast()
        condition.unlock()
    }

    /// Wakes every waiting taker; their ``take(_:)`` returns `false`.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Bytes taken and not yet given back.
    public var heldBytes: Int {
        condition.lock()
        defer { condition.unlock() }
        return held
    }

    private func takeLocked(_ bytes: Int) -> Bool {
        guard held == 0 || held + bytes <= capacity else { return false }
        held += bytes
        return true
    }
}
