import Foundation

/// Runs jobs on one background thread in the order they are submitted, so a pipeline's producer (the
/// network) can start on the next batch while the previous one is consumed. At most `capacity` jobs
/// wait: `submit` blocks beyond that, which keeps memory flat. The first job that throws stops the
/// worker (later jobs are dropped) and its error comes back from the next ``submit(_:)`` or from
/// ``finish()``.
public final class SerialWorker: @unchecked Sendable {
    public typealias Job = @Sendable () throws -> Void
    private let queue: BoundedQueue<Job>
    private let failure = FirstFailure()
    private var stage: BackgroundStage?

    /// - Parameter niceIncrement: nice levels below normal at which the jobs run (``ThreadPriority``).
    public init(name: String, capacity: Int = 1, niceIncrement: Int32 = 0) {
        let queue = BoundedQueue<Job>(capacity: capacity)
        self.queue = queue
        let failure = failure
        stage = BackgroundStage(name: name) {
            ThreadPriority.lowerCurrentThread(by: niceIncrement)
            while let job = queue.take() {
                guard !failure.occurred else { continue }  // jobs queued before the failure closed the queue are dropped
                do { try job() } catch {
                    failure.record(error)
                    queue.close()
                }
            }
        }
    }

    /// Queues `job`, waiting while `capacity` jobs wait; rethrows the failure of an earlier job.
    public func submit(_ job: @escaping Job) throws {
        try failure.rethrow()
        if !queue.put(job) { try failure.rethrow() }
    }

    /// Runs what is queued, waits for it and rethrows the first failure.
    public func finish() throws {
        cancel()
        try failure.rethrow()
    }

    /// Stops after the queued jobs and waits for them (after an error elsewhere); failures are dropped.
    public func cancel() {
        queue.close()
        stage?.wait()
        stage = nil
    }
}
