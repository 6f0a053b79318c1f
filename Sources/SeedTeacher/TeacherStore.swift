import Foundation
import GRDB
import SeedStore

/// The SQLite file (WAL, so that several processes on one machine share it) behind a teacher's budget,
/// response cache and ledger. Everything that settles a request (the spend, the cached answer, the ledger
/// row) is written in one transaction: a crash leaves either all of it or none.
public final class TeacherStore: @unchecked Sendable {
    public let path: String
    let pool: DatabasePool

    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(60)
        // NORMAL in WAL mode: a commit survives the process being killed (kill -9); only a power loss can
        // drop the last transactions, which then reads as requests that were still in flight.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        do {
            pool = try SharedDatabase.openPool(path: path, configuration: configuration)
            try pool.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS budget (
                        name TEXT PRIMARY KEY,
                        limit_nano INTEGER, limit_tokens INTEGER,
                        spent_nano INTEGER NOT NULL DEFAULT 0, spent_tokens INTEGER NOT NULL DEFAULT 0,
                        reserved_nano INTEGER NOT NULL DEFAULT 0, reserved_tokens INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE IF NOT EXISTS reservation (
                        id INTEGER PRIMARY KEY, budget TEXT NOT NULL, nano INTEGER NOT NULL, tokens INTEGER NOT NULL,
                        pid INTEGER NOT NULL
                    );
                    CREATE TABLE IF NOT EXISTS cache (
                        key TEXT PRIMARY KEY, response BLOB NOT NULL, created TEXT NOT NULL
                    );
                    CREATE TABLE IF NOT EXISTS ledger (
                        id INTEGER PRIMARY KEY, created TEXT NOT NULL, teacher TEXT NOT NULL, requested_model TEXT NOT NULL,
                        served_model TEXT, system_fingerprint TEXT, host TEXT NOT NULL, request_sha256 TEXT NOT NULL,
                        prompt_tokens INTEGER, completion_tokens INTEGER, cost_nano INTEGER NOT NULL, latency_ms REAL,
                        status TEXT NOT NULL, terms TEXT NOT NULL, mode TEXT NOT NULL
                    );
                    CREATE INDEX IF NOT EXISTS ledger_request ON ledger(request_sha256);
                    """)
            }
        } catch {
            throw TeacherError.io(path: path, reason: "cannot open the teacher store: \(SharedDatabase.describe(error))")
        }
    }

    // MARK: Budget

    public struct BudgetState: Equatable, Sendable {
        public var limitNano: Int64?
        public var limitTokens: Int64?
        public var spentNano: Int64
        public var spentTokens: Int64
        public var reservedNano: Int64
        public var reservedTokens: Int64
        public var outstanding: Int

        public var spentUSD: Double { Double(spentNano) / 1e9 }
    }

    /// Sets the limits of a budget (the job's configuration is the authority) and charges the reservations
    /// that processes which no longer run left behind at their full amount: their requests may have been
    /// answered and billed.
    public func openBudget(_ name: String, limitNano: Int64?, limitTokens: Int64?) throws {
        try write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO budget (name) VALUES (?)", arguments: [name])
            try db.execute(sql: "UPDATE budget SET limit_nano = ?, limit_tokens = ? WHERE name = ?", arguments: [limitNano, limitTokens, name])
        }
        try reclaimAbandoned(name, includingOwnProcess: true)
    }

    /// Charges the reservations of processes that have ended (a process id this one had before, too, when
    /// it has just started: a killed run may have had the same id).
    public func reclaimAbandoned(_ name: String, includingOwnProcess: Bool) throws {
        try write { db in
            let me = Int(getpid())
            for row in try Row.fetchAll(db, sql: "SELECT id, nano, tokens, pid FROM reservation WHERE budget = ?", arguments: [name]) {
                let pid: Int = row[3]
                let ended = pid == me ? includingOwnProcess : kill(pid_t(pid), 0) != 0 && errno == ESRCH
                guard ended else { continue }
                try db.execute(sql: """
                    UPDATE budget SET spent_nano = spent_nano + ?, spent_tokens = spent_tokens + ?,
                        reserved_nano = reserved_nano - ?, reserved_tokens = reserved_tokens - ? WHERE name = ?
                    """, arguments: [row[1] as Int64, row[2] as Int64, row[1] as Int64, row[2] as Int64, name])
                try db.execute(sql: "DELETE FROM reservation WHERE id = ?", arguments: [row[0] as Int64])
            }
        }
    }

    public func budget(_ name: String) throws -> BudgetState {
        try read { db in try Self.state(db, name) }
    }

    private static func state(_ db: Database, _ name: String) throws -> BudgetState {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT limit_nano, limit_tokens, spent_nano, spent_tokens, reserved_nano, reserved_tokens,
                   (SELECT COUNT(*) FROM reservation WHERE budget = budget.name) FROM budget WHERE name = ?
            """, arguments: [name]) else {
            return BudgetState(limitNano: nil, limitTokens: nil, spentNano: 0, spentTokens: 0, reservedNano: 0, reservedTokens: 0, outstanding: 0)
        }
        return BudgetState(limitNano: row[0], limitTokens: row[1], spentNano: row[2], spentTokens: row[3], reservedNano: row[4],
                           reservedTokens: row[5], outstanding: row[6])
    }

    public struct Reservation: Sendable, Equatable {
        public let id: Int64
        public let budget: String
        public let nano: Int64
        public let tokens: Int64
    }

    public enum ReserveOutcome: Sendable, Equatable {
        case reserved(Reservation)
        /// It does not fit now; `outstanding` reservations may still free room when they settle.
        case wouldExceed(BudgetState)
    }

    /// Reserves the worst case of a request, or refuses if spent + reserved + this could pass a limit. The
    /// check and the reservation are one immediate transaction, so no two workers or processes both take
    /// the last room (LiteLLM's check-then-increment race).
    public func reserve(_ name: String, nano: Int64, tokens: Int64) async throws -> ReserveOutcome {
        try await writeSuspending { db in
            let s = try Self.state(db, name)
            if let limit = s.limitNano, s.spentNano + s.reservedNano + nano > limit { return .wouldExceed(s) }
            if let limit = s.limitTokens, s.spentTokens + s.reservedTokens + tokens > limit { return .wouldExceed(s) }
            try db.execute(sql: "UPDATE budget SET reserved_nano = reserved_nano + ?, reserved_tokens = reserved_tokens + ? WHERE name = ?",
                           arguments: [nano, tokens, name])
            try db.execute(sql: "INSERT INTO reservation (budget, nano, tokens, pid) VALUES (?, ?, ?, ?)",
                           arguments: [name, nano, tokens, Int(getpid())])
            return .reserved(Reservation(id: db.lastInsertedRowID, budget: name, nano: nano, tokens: tokens))
        }
    }

    private static func settle(_ db: Database, _ r: Reservation, nano: Int64, tokens: Int64) throws {
        try db.execute(sql: """
            UPDATE budget SET spent_nano = spent_nano + ?, spent_tokens = spent_tokens + ?,
                reserved_nano = reserved_nano - ?, reserved_tokens = reserved_tokens - ? WHERE name = ?
            """, arguments: [nano, tokens, r.nano, r.tokens, r.budget])
        try db.execute(sql: "DELETE FROM reservation WHERE id = ?", arguments: [r.id])
    }

    // MARK: Ledger and cache

    public struct LedgerEntry: Sendable, Equatable {
        public var created: String
        public var teacher: String
        public var requestedModel: String
        public var servedModel: String?
        public var systemFingerprint: String?
        public var host: String
        public var requestSHA256: String
        public var usage: Usage?
        public var costNano: Int64
        public var latencyMs: Double?
        /// `ok`, or what went wrong: `http 500`, `transport`, `malformed`, `insufficient_quota`. Cache hits
        /// are no calls and have no row.
        public var status: String
        public var terms: String
        /// `online` or `batch`.
        public var mode: String
    }

    /// Settles a finished request: the spend (at the reported usage, or at the reservation when the server
    /// reported none), the ledger row, and — for a complete answer — the cache entry.
    /// Without a reservation (an answer paid through the Batch API), the spend goes to `budget` directly.
    public func record(_ entry: LedgerEntry, reservation: Reservation?, chargedTokens: Int64, cacheKey: String?, response: Data?,
                       budget: String? = nil) async throws {
        try await writeSuspending { db in
            if let reservation {
                try Self.settle(db, reservation, nano: entry.costNano, tokens: chargedTokens)
            } else if let budget {
                try db.execute(sql: "INSERT OR IGNORE INTO budget (name) VALUES (?)", arguments: [budget])
                try db.execute(sql: "UPDATE budget SET spent_nano = spent_nano + ?, spent_tokens = spent_tokens + ? WHERE name = ?",
                               arguments: [entry.costNano, chargedTokens, budget])
            }
            try db.execute(sql: """
                INSERT INTO ledger (created, teacher, requested_model, served_model, system_fingerprint, host, request_sha256,
                    prompt_tokens, completion_tokens, cost_nano, latency_ms, status, terms, mode)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [entry.created, entry.teacher, entry.requestedModel, entry.servedModel, entry.systemFingerprint, entry.host,
                                 entry.requestSHA256, entry.usage?.promptTokens, entry.usage?.completionTokens, entry.costNano,
                                 entry.latencyMs, entry.status, entry.terms, entry.mode])
            if let cacheKey, let response {
                try db.execute(sql: "INSERT OR IGNORE INTO cache (key, response, created) VALUES (?, ?, ?)",
                               arguments: [cacheKey, response, entry.created])
            }
        }
    }

    /// Gives a reservation back uncharged: the request was refused before any work (429, 4xx, no connection).
    public func release(_ r: Reservation) async throws {
        try await writeSuspending { db in try Self.settle(db, r, nano: 0, tokens: 0) }
    }

    public struct CachedAnswer: Sendable {
        public var response: Data
        public var created: String
    }

    public func cached(_ key: String) async throws -> CachedAnswer? {
        try await readSuspending { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT response, created FROM cache WHERE key = ?"), arguments: [key])
                .map { CachedAnswer(response: $0[0], created: $0[1]) }
        }
    }

    public func ledger() throws -> [LedgerEntry] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM ledger ORDER BY id").map { row in
                let prompt: Int? = row["prompt_tokens"], completion: Int? = row["completion_tokens"]
                return LedgerEntry(created: row["created"], teacher: row["teacher"], requestedModel: row["requested_model"],
                                   servedModel: row["served_model"], systemFingerprint: row["system_fingerprint"], host: row["host"],
                                   requestSHA256: row["request_sha256"],
                                   usage: prompt.flatMap { p in completion.map { Usage(promptTokens: p, completionTokens: $0) } },
                                   costNano: row["cost_nano"], latencyMs: row["latency_ms"], status: row["status"], terms: row["terms"],
                                   mode: row["mode"])
            }
        }
    }

    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.writeWithoutTransaction { try Self.inImmediateTransaction($0, body) }
        } catch {
            throw translated(error)
        }
    }

    /// The forms for requests in flight: they suspend the task while SQLite's writer is busy instead of
    /// blocking one of the few cooperative threads that every worker's answers arrive on.
    private func writeSuspending<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.writeWithoutTransaction { try Self.inImmediateTransaction($0, body) }
        } catch {
            throw translated(error)
        }
    }

    /// An immediate transaction takes the write lock at its start, so that reservations and settlements
    /// from several processes are serialised instead of failing on a later upgrade.
    private static func inImmediateTransaction<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        var result: T?
        try db.inTransaction(.immediate) {
            result = try body(db)
            return .commit
        }
        return result!
    }

    /// The job's own errors pass through; SQLite's become one line naming the database.
    private func translated(_ error: Error) -> Error {
        if let error = error as? TeacherError { return error }
        return TeacherError.io(path: path, reason: SharedDatabase.describe(error))
    }

    private func readSuspending<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw TeacherError.io(path: path, reason: SharedDatabase.describe(error))
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch {
            throw TeacherError.io(path: path, reason: SharedDatabase.describe(error))
        }
    }
}
