import Foundation
import Synchronization

/// A thread of its own for one SQLite connection, and a task executor: async code that prefers it
/// (`withTaskExecutorPreference`) runs on this thread, so a whole transaction, every statement of it, runs here
/// in one go instead of hopping to a thread pool and back for each statement.
///
/// Blocking libsqlite3 calls (a commit's `fsync`) therefore never run on an event loop or on Swift's cooperative
/// pool. The connection is reached only through ``withHandle(_:)``, which callers use from code running here.
final class SQLiteExecutorThread: TaskExecutor {
    private struct Queue {
        var jobs: [UnownedJob] = []
        var sleeping = false
        var stopped = false
    }

    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let handle: Mutex<SQLiteHandle>
    let name: String

    /// Opens the connection (on the caller's thread: opening does not wait on other connections) and starts the thread.
    init(path: String?, name: String) throws {
        self.handle = Mutex(try SQLiteHandle(path: path))
        self.name = name
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let wakeUp = queue.withLock { queue -> Bool in
            queue.jobs.append(job)
            guard queue.sleeping else { return false }
            queue.sleeping = false
            return true
        }
        if wakeUp { wake.signal() }
    }

    /// Runs `body` with the connection. Call it from code running on this thread (see the type's comment).
    func withHandle<T: Sendable>(_ body: (SQLiteHandle) throws -> T) rethrows -> T {
        try handle.withLock { try body($0) }
    }

    /// Runs `body` on this thread with the connection: one hop there and one back.
    func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteHandle) throws -> T) async throws -> T {
        try await withTaskExecutorPreference(self) {
            try self.withHandle(body)
        }
    }

    /// Closes the connection and ends the thread once the jobs queued so far have run.
    func stop() {
        withHandle { $0.close() }
        let wakeUp = queue.withLock { queue -> Bool in
            queue.stopped = true
            defer { queue.sleeping = false }
            return queue.sleeping
        }
        if wakeUp { wake.signal() }
    }

    private func run() {
        var batch: [UnownedJob] = []
        while true {
            let stop = queue.withLock { queue -> Bool in
                swap(&batch, &queue.jobs)
                guard batch.isEmpty else { return false }
                if queue.stopped { return true }
                queue.sleeping = true
                return false
            }
            if stop { return }
            if batch.isEmpty {
                wake.wait()
                continue
            }
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
