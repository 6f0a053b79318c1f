import Foundation

/// A fixed set of threads for one stream, one per core, taking jobs from a queue in order. There is no
/// round barrier: on a shared machine a thread can lose its core for a while, and then only its own batch
/// waits, not every batch of a round. (GCD's concurrentPerform ran serially when called from the command's
/// async context, so Seed keeps its own threads here, as SeedTensor does for its kernels.)
final class WorkerPool: @unchecked Sendable {
    private let condition = NSCondition()
    /// Taken jobs are set to nil at once: a job holds its batch, and a queue of finished jobs kept dozens
    /// of megabytes alive, which made every new batch land in memory never touched before (a page fault
    /// per 4 KB read or written).
    private var jobs: [((_ thread: Int) -> Void)?] = []
    private var head = 0
    private var running = 0
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

    func submit(_ job: @escaping (_ thread: Int) -> Void) {
        condition.lock()
        if head > 64, head * 2 > jobs.count {
            jobs.removeFirst(head)
            head = 0
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Drops the jobs not yet started, waits for the running ones, and ends the threads; the pool must not
    /// be used afterwards, and without this call its threads would wait forever.
    func shutdown() {
        condition.lock()
        stopping = true
        jobs.removeAll()
        head = 0
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    private func loop(thread: Int) {
        condition.lock()
        while true {
            while !stopping && head == jobs.count { condition.wait() }
            if stopping { break }
            let job = jobs[head]!
            jobs[head] = nil
            head += 1
            running += 1
            condition.unlock()
            job(thread)
            condition.lock()
            running -= 1
            if stopping { condition.broadcast() }
        }
        condition.unlock()
    }
}

/// Results of the batches in flight, by sequence number, for the writer to take in input order.
final class OrderedResults: @unchecked Sendable {
    private let condition = NSCondition()
    private var results: [Int: Result<BatchResult, Error>] = [:]

    func set(_ sequence: Int, _ result: Result<BatchResult, Error>) {
        condition.lock()
        results[sequence] = result
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for the result of batch `sequence` and removes it.
    func take(_ sequence: Int) -> Result<BatchResult, Error> {
        condition.lock()
        defer { condition.unlock() }
        while results[sequence] == nil { condition.wait() }
        return results.removeValue(forKey: sequence)!
    }
}

/// Byte arrays that finished batches hand back (inputs once processed, outputs once written) for the next
/// batches to reuse. A new array of a batch's size is memory the process has never touched: a page fault
/// for every 4 KB read or written into it, about 4 µs each on the development VM, so a 65 MB stream paid
/// for some 30,000 of them. Keeps at most `limit` arrays.
final class BufferRecycler: @unchecked Sendable {
    private let lock = NSLock()
    private var buffers: [[UInt8]] = []
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    /// A buffer to reuse (count and contents as it was given back), or an empty array.
    func take() -> [UInt8] {
        lock.withLock { buffers.popLast() } ?? []
    }

    /// Takes `buffer`'s storage, leaving it empty: the recycler then holds the only reference, so that the
    /// next user writes into it in place.
    func give(_ buffer: inout [UInt8]) {
        var taken: [UInt8] = []
        swap(&taken, &buffer)
        guard taken.capacity > 0 else { return }
        lock.withLock { if buffers.count < limit { buffers.append(taken) } }
    }
}

/// A batch on its way to a worker: the job takes it out, so that the worker holds the only reference to
/// its bytes and can give them back for reuse.
final class BatchHandOver: @unchecked Sendable {
    private var batch: LineBatch?

    init(_ batch: LineBatch) { self.batch = batch }

    func take() -> LineBatch {
        defer { batch = nil }
        return batch!
    }
}
