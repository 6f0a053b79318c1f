import Foundation
import GRDB

/// SQLite files that several Seed processes on one machine open at once (the privacy vault, the
/// teacher's budget, cache and ledger): WAL mode, a long busy timeout and one error wording.
public enum SharedDatabase {
    /// Opens (or creates) a WAL database at `path`. Two processes creating one new file at once race to
    /// switch it to WAL, and SQLite answers the loser SQLITE_BUSY at once: the busy timeout does not cover
    /// the journal-mode switch. So the open itself is retried for up to `patience` seconds.
    public static func openPool(path: String, configuration: Configuration, patience: TimeInterval = 10) throws -> DatabasePool {
        let deadline = Date().addingTimeInterval(patience)
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
    }

    /// SQLite's own message ("database is locked", "file is not a database") without GRDB's wrapping.
    public static func describe(_ error: Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        return String(describing: error)
    }
}
