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
