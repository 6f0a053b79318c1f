import Foundation

/// A fixed set of threads for one stream, one per core: `start` hands them a round of items, which each
/// thread claims one at a time, and returns at once so that the caller can read the next round meanwhile;
/// `wait` blocks until the round is done. (GCD's concurrentPerform ran serially when called from the
/// command's async context, so Seed keeps its own threads here, as SeedTensor does for its kernels.)
final class WorkerPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var body: ((_ item: Int, _ thread: Int) -> Void)?
    private var count = 0
    private var next = 0
    private var finished = 0
    private var stopping = false
    let threadCount: Int

    init(threads: Int) {
        threadCount = max(1, threads)
        for t in 0..<threadCount {
            // Each thread keeps the pool alive until `shutdown` lets it leave its loop.
            let thread = Thread { self.loop(thread: t) }
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    func start(count: Int, _ body: @escaping (_ item: Int, _ thread: Int) -> Void) {
        condition.lock()
        self.body = body
        self.count = count
        next = 0
        finished = 0
        condition.broadcast()
        condition.unlock()
    }

    func wait() {
        condition.lock()
        while finished < count { condition.wait() }
        body = nil
        condition.unlock()
    }

    /// Ends the threads (after the current round); the pool must not be used afterwards, and without this
    /// call its threads would wait forever.
    func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop(thread: Int) {
        condition.lock()
        while true {
            while !stopping && (body == nil || next >= count) { condition.wait() }
            if stopping { break }
            let item = next
            next += 1
            let work = body!
            condition.unlock()
            work(item, thread)
            condition.lock()
            finished += 1
            if finished == count { condition.broadcast() }
        }
        condition.unlock()
    }
}
