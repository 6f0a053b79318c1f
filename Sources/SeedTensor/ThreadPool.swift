import Foundation
import Synchronization

/// One compute pool for the whole process: one thread per core, the calling thread included.
///
/// Kernels split their work into `count` independent pieces and call `parallelFor`. Workers spin briefly
/// before sleeping, because training issues hundreds of kernels per step and a condition-variable wake-up
/// per kernel would cost more than the smaller kernels themselves. A `parallelFor` issued while the pool is
/// busy (from inside a body, or from a second thread) runs inline on the caller, so nesting cannot deadlock.
public final class ThreadPool: @unchecked Sendable {
    /// Every core, or `SEED_THREADS` of them when that is set (for single-thread figures, or to leave a
    /// core to other work).
    public static let shared = ThreadPool(threads: ProcessInfo.processInfo.environment["SEED_THREADS"].flatMap { Int($0) }
        ?? ProcessInfo.processInfo.activeProcessorCount)
    /// A pool of just the calling thread, for work too small to share.
    public static let inline = ThreadPool(threads: 1)

    public let threadCount: Int

    private let generation = Atomic<Int>(0)
    private let nextIndex = Atomic<Int>(0)
    private let workersRunning = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let wakeUp = NSCondition()
    private var job: ((Int) -> Void)?
    private var jobCount = 0

    public init(threads: Int) {
        threadCount = max(1, threads)
        for _ in 1..<threadCount {
            let thread = Thread { [unowned self] in self.workerLoop() }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count`, spread over the pool; returns when all have finished.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if count == 1 || threadCount == 1 || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            job = escapable
            jobCount = count
            nextIndex.store(0, ordering: .relaxed)
            workersRunning.store(threadCount - 1, ordering: .relaxed)
            wakeUp.lock()
            generation.add(1, ordering: .releasing)
            wakeUp.broadcast()
            wakeUp.unlock()
            drain(escapable, count: count)
            var spins = 0
            while workersRunning.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins > 1 << 14 { sched_yield() }
            }
            job = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Splits `0..<total` into about one contiguous range per thread (at least `minimum` long) and runs them.
    public func parallelRanges(_ total: Int, minimum: Int = 1, _ body: (Range<Int>) -> Void) {
        let pieces = max(1, min(threadCount, total / max(1, minimum)))
        if pieces == 1 { body(0..<total); return }
        parallelFor(pieces) { p in
            body((total * p / pieces)..<(total * (p + 1) / pieces))
        }
    }

    private func drain(_ body: (Int) -> Void, count: Int) {
        while true {
            let i = nextIndex.add(1, ordering: .relaxed).oldValue
            if i >= count { return }
            body(i)
        }
    }

    private func workerLoop() {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen && spins < 200_000 {
                spins += 1
                // Past the gaps between back-to-back kernels, the spin gives the core now and then to any
                // thread that is ready to run there (with none, `sched_yield` returns at once): in the
                // server, after each step that used the pool, the worker's spin held the core that the
                // HTTP side was waiting for (3–4 % of the samples with 8 streams of the demo model).
                if spins >= 1 << 16 && spins & 4095 == 0 { sched_yield() }
            }
            if generation.load(ordering: .acquiring) == seen {
                wakeUp.lock()
                while generation.load(ordering: .acquiring) == seen { wakeUp.wait() }
                wakeUp.unlock()
            }
            seen = generation.load(ordering: .acquiring)
            if let body = job { drain(body, count: jobCount) }
            workersRunning.subtract(1, ordering: .releasing)
        }
    }
}
