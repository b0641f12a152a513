import Foundation

/// Runs jobs on one background thread in the order they are submitted, so a pipeline's producer (the
/// network) can start on the next batch while the previous one is consumed. At most `capacity` jobs
/// wait: `submit` blocks beyond that, which keeps memory flat. The first job that throws stops the
/// worker (later jobs are dropped) and its error comes back from the next ``submit(_:)`` or from
/// ``finish()``.
public final class SerialWorker: @unchecked Sendable {
    public typealias Job = @Sendable () throws -> Void
    private let queue: BoundedQueue<Job>
    private let lock = NSLock()
    private var failure: Error?
    private var stage: BackgroundStage?

    /// - Parameter niceIncrement: nice levels below normal at which the jobs run (``ThreadPriority``).
    public init(name: String, capacity: Int = 1, niceIncrement: Int32 = 0) {
        let queue = BoundedQueue<Job>(capacity: capacity)
        self.queue = queue
        stage = BackgroundStage(name: name) { [weak self] in
            ThreadPriority.lowerCurrentThread(by: niceIncrement)
            var failed = false
            while let job = queue.take() {
                guard !failed else { continue }  // jobs queued before the failure closed the queue are dropped
                do { try job() } catch {
                    failed = true
                    self?.lock.withLock { self?.failure = error }
                    queue.close()
                }
            }
        }
    }

    /// Queues `job`, waiting while `capacity` jobs wait; rethrows the failure of an earlier job.
    public func submit(_ job: @escaping Job) throws {
        try rethrowFailure()
        if !queue.put(job) { try rethrowFailure() }
    }

    /// Runs what is queued, waits for it and rethrows the first failure.
    public func finish() throws {
        cancel()
        try rethrowFailure()
    }

    /// Stops after the queued jobs and waits for them (after an error elsewhere); failures are dropped.
    public func cancel() {
        queue.close()
        stage?.wait()
        stage = nil
    }

    private func rethrowFailure() throws {
        if let failure = lock.withLock({ failure }) { throw failure }
    }
}
