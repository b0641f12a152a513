import Dispatch
import Synchronization

/// Runs independent jobs at once, one per free core, and returns their results in job order; when
/// jobs throw, the error of the first such job (in job order) is rethrown after all have finished.
/// For short serial tails such as a run's result files, which would otherwise keep one core idle.
public func concurrently<Value: Sendable>(_ jobs: [@Sendable () throws -> Value]) throws -> [Value] {
    let results = Mutex([Result<Value, Error>?](repeating: nil, count: jobs.count))
    DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
        let result = Result { try jobs[index]() }
        results.withLock { $0[index] = result }
    }
    return try results.withLock { $0 }.map { try $0!.get() }
}
