import Foundation
import GRDB

/// Copies a WAL database's committed pages into its main file on a thread of its own, once enough have
/// been committed. SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so the
/// writer that commits it holds the write lock while megabytes are read back and written again: in the
/// privacy vault, where two workers take turns at the writer, a third of the time the writer was held went
/// to those commits. A passive checkpoint on another connection takes no write lock; writers append to the
/// WAL meanwhile. The connections that write should raise `wal_autocheckpoint` well above the threshold: it
/// stays as a bound on the WAL that other processes' commits, which this one does not count, also reach.
/// `stop` must be called before the instance is dropped.
public final class BackgroundCheckpointer: @unchecked Sendable {
    private let condition = NSCondition()
    private var committedBytes = 0
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    private let thresholdBytes: Int

    /// Opens a connection of its own to the WAL database at `path`, which must exist.
    public init(path: String, thresholdBytes: Int = 8 << 20) throws {
        self.thresholdBytes = thresholdBytes
        var configuration = Configuration()
        // The RESTART pass holds writers back while it waits for them and for readers: it gives up after
        // 50 ms (the next pass tries again), so that a long reader in another process never stalls writers.
        configuration.busyMode = .timeout(0.05)
        let connection = Connection(try DatabaseQueue(path: path, configuration: configuration))
        let thread = Thread { [self] in
            loop(connection.queue!)
            // Closed before `stop` returns, so that the vault's own last connection is the last one.
            connection.queue = nil
            finished.signal()
        }
        thread.name = "seed-checkpoint"
        thread.start()
    }

    /// Notes a commit of about `bytes` bytes; past the threshold, wakes the checkpoint.
    public func committed(bytes: Int) {
        condition.lock()
        committedBytes += bytes
        if committedBytes >= thresholdBytes { condition.signal() }
        condition.unlock()
    }

    /// Ends the thread, after the checkpoint it may be running. The last connection to close then
    /// checkpoints what is left and removes the WAL, as SQLite always does.
    public func stop() {
        condition.lock()
        let first = !stopping
        stopping = true
        condition.signal()
        condition.unlock()
        // A second call finds the thread gone.
        if first { finished.wait() }
    }

    private final class Connection: @unchecked Sendable {
        var queue: DatabaseQueue?
        init(_ queue: DatabaseQueue) { self.queue = queue }
    }

    private func loop(_ connection: DatabaseQueue) {
        while true {
            condition.lock()
            while committedBytes < thresholdBytes && !stopping { condition.wait() }
            if stopping {
                condition.unlock()
                return
            }
            committedBytes = 0
            condition.unlock()
            // A passive pass copies the bulk while writers go on appending, and ends behind them. Only a
            // WAL copied to its end is started over by the next writer: after passive passes alone the
            // WAL of a 195 MB run grew to the size of the whole vault. So a RESTART pass follows, which
            // holds writers back while it copies the little that came meanwhile. A failed pass (the file
            // is busy or gone) leaves the pages in the WAL, where they are safe; the next one, or the last
            // close, copies them.
            for mode in ["PASSIVE", "RESTART"] {
                _ = try? connection.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(\(mode))") }
            }
        }
    }
}
