import Foundation
import GRDB

/// The map from surrogates back to originals: a SQLite file (WAL mode, so two processes can share it) with
/// one row per distinct value of a type. A row holds the HMAC of the original (the lookup key: the original
/// itself is never stored in clear), its number (`<EMAIL_17>`), its realistic surrogate if one was asked
/// for, and the original sealed with AES-GCM.
///
/// Rows are only ever appended, in id order, with an index on (type, number) that also grows at its end:
/// a batch of new values writes a few pages, not one page per value as a random-keyed index would. The
/// digest lookup ("was this value stored before?") is an in-memory index, brought up to date with the rows
/// other processes appended (id > last seen) at the start of every write transaction. Write transactions
/// are immediate, so writers take turns and two processes that meet the same value agree on its surrogate;
/// the unique constraints guard the rest. Memory: about 100 bytes per distinct value in the vault.
public final class Vault: @unchecked Sendable {
    public let path: String
    let key: VaultKey
    private let pool: DatabasePool
    private let lock = NSLock()
    private var originalCache: [NumberKey: [UInt8]] = [:]
    private var realisticIndex: [[UInt8]: RealisticEntry]?
    /// Every stored value by digest, as of row `syncedRow`.
    private var digestIndex: [DigestKey: StoredValue] = [:]
    private var takenRealistic: Set<RealisticKey> = []
    private var largestNumber: [EntityType: Int] = [:]
    private var syncedRow: Int64 = 0
    /// AES-GCM nonces: a random prefix per vault instance and a counter, so that no two seals share one.
    private var noncePrefix: [UInt8] = (0..<8).map { _ in UInt8.random(in: 0...255) }
    private var nonceCounter: UInt32 = 0
    /// Caches are dropped when they reach this many entries: their memory stays bounded.
    private let cacheLimit = 1 << 20

    struct DigestKey: Hashable {
        let type: EntityType
        let high: UInt64
        let low: UInt64

        init(type: EntityType, digest: some Collection<UInt8>) {
            self.type = type
            var h: UInt64 = 0, l: UInt64 = 0
            for (i, b) in digest.prefix(16).enumerated() {
                if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
            }
            high = h
            low = l
        }
    }

    struct StoredValue {
        var row: Int64
        var number: Int
        var realistic: String?
    }

    struct RealisticKey: Hashable {
        let type: EntityType
        let text: String
    }

    struct CacheKey: Hashable {
        let type: EntityType
        let value: [UInt8]

        // Hashing the bytes as one block, not byte by byte (Array's default), matters at a million lookups a second.
        func hash(into hasher: inout Hasher) {
            hasher.combine(type.name)
            value.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    struct NumberKey: Hashable {
        let type: EntityType
        let number: Int
    }

    /// Opens or creates the vault at `path`; throws `PrivacyError.wrongKey` if it was made with another key.
    public init(path: String, key: VaultKey) throws {
        self.path = path
        self.key = key
        var configuration = Configuration()
        configuration.busyMode = .timeout(60)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 8192")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    try db.execute(sql: """
                        CREATE TABLE IF NOT EXISTS entity (
                            id INTEGER PRIMARY KEY,
                            type TEXT NOT NULL,
                            number INTEGER NOT NULL,
                            digest BLOB NOT NULL,
                            sealed BLOB NOT NULL,
                            realistic TEXT,
                            UNIQUE (type, number)
                        );
                        CREATE UNIQUE INDEX IF NOT EXISTS entity_realistic ON entity(type, realistic) WHERE realistic IS NOT NULL;
                        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
                        """)
                    let check = Data(key.digest(type: EntityType("VAULT"), value: UnsafeBufferPointer(start: nil, count: 0)))
                    if let stored = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'key_check'") {
                        guard stored == check else { throw PrivacyError.wrongKey(vault: path) }
                    } else {
                        try db.execute(sql: "INSERT INTO meta (name, value) VALUES ('key_check', ?)", arguments: [check])
                    }
                    return .commit
                }
            }
        } catch let error as PrivacyError {
            throw error
        } catch {
            throw PrivacyError.vaultUnreadable(path: path, reason: describeDatabaseError(error))
        }
    }

    /// One value to pseudonymize.
    public struct Request: Hashable, Sendable {
        public var type: EntityType
        public var original: [UInt8]
        public var realistic: Bool

        public init(type: EntityType, original: [UInt8], realistic: Bool) {
            self.type = type
            self.original = original
            self.realistic = realistic
        }
    }

    /// The surrogate of every request, creating vault rows for values never seen before in one transaction.
    /// Digests and the encryption of new values are computed outside the lock, on the calling worker's core;
    /// values are sealed only once the index says they are new.
    public func surrogates(for requests: [Request]) throws -> [[UInt8]] {
        var results = [[UInt8]?](repeating: nil, count: requests.count)
        let digests = requests.map { r in r.original.withUnsafeBufferPointer { key.digest(type: r.type, value: $0) } }
        var missing: [Int] = []
        lock.lock()
        for (k, r) in requests.enumerated() {
            if let stored = digestIndex[DigestKey(type: r.type, digest: digests[k])], !r.realistic || stored.realistic != nil {
                results[k] = surrogate(r, stored)
            } else {
                missing.append(k)
            }
        }
        lock.unlock()
        guard !missing.isEmpty else { return results.map { $0! } }
        let sealed = try missing.map { k in try key.seal(requests[k].original, type: requests[k].type, nonce: nextNonce()) }
        lock.lock()
        defer { lock.unlock() }
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    try syncIndex(db)
                    digestIndex.reserveCapacity(digestIndex.count + missing.count)
                    for (k, blob) in zip(missing, sealed) {
                        results[k] = try store(requests[k], digest: digests[k], sealed: blob, db: db)
                    }
                    return .commit
                }
            }
        } catch let error as PrivacyError {
            throw error
        } catch {
            throw PrivacyError.vaultUnreadable(path: path, reason: describeDatabaseError(error))
        }
        return results.map { $0! }
    }

    private func surrogate(_ r: Request, _ stored: StoredValue) -> [UInt8] {
        if r.realistic, let realistic = stored.realistic { return Array(realistic.utf8) }
        return Self.placeholder(r.type, stored.number)
    }

    static func placeholder(_ type: EntityType, _ number: Int) -> [UInt8] { Array("<\(type.name)_\(number)>".utf8) }

    /// A nonce never used before by this vault instance: random prefix, counter (a new prefix if it wraps).
    private func nextNonce() -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        nonceCounter &+= 1
        if nonceCounter == 0 { noncePrefix = (0..<8).map { _ in UInt8.random(in: 0...255) } }
        let n = nonceCounter
        return noncePrefix + [UInt8(n >> 24), UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255)]
    }

    /// Adds the rows appended since the last sync (by this or another process) to the in-memory index.
    private func syncIndex(_ db: Database) throws {
        let rows = try Row.fetchCursor(db, sql: "SELECT id, type, number, digest, realistic FROM entity WHERE id > ? ORDER BY id", arguments: [syncedRow])
        while let row = try rows.next() {
            let type = EntityType(row[1] as String)
            let number: Int = row[2]
            let realistic: String? = row[4]
            digestIndex[DigestKey(type: type, digest: row[3] as Data)] = StoredValue(row: row[0], number: number, realistic: realistic)
            if let realistic { takenRealistic.insert(RealisticKey(type: type, text: realistic)) }
            largestNumber[type] = max(largestNumber[type] ?? 0, number)
            syncedRow = row[0]
        }
    }

    /// Inserts a value the index does not know (inside the write transaction), or gives a known one its
    /// realistic surrogate.
    private func store(_ r: Request, digest: [UInt8], sealed: Data, db: Database) throws -> [UInt8] {
        let digestKey = DigestKey(type: r.type, digest: digest)
        var stored: StoredValue
        if let existing = digestIndex[digestKey] {
            stored = existing
        } else {
            let number = (largestNumber[r.type] ?? 0) + 1
            try db.cachedStatement(sql: "INSERT INTO entity (type, number, digest, sealed) VALUES (?, ?, ?, ?)")
                .execute(arguments: [r.type.name, number, Data(digest), sealed])
            stored = StoredValue(row: db.lastInsertedRowID, number: number, realistic: nil)
            largestNumber[r.type] = number
            syncedRow = stored.row
        }
        if r.realistic && stored.realistic == nil {
            for attempt in 0..<1000 {
                let seed = key.surrogateSeed(type: r.type, value: r.original, attempt: attempt)
                let candidate = String(decoding: RealisticSurrogates.make(type: r.type, like: r.original, seed: seed), as: UTF8.self)
                guard takenRealistic.insert(RealisticKey(type: r.type, text: candidate)).inserted else { continue }
                try db.execute(sql: "UPDATE entity SET realistic = ? WHERE id = ?", arguments: [candidate, stored.row])
                stored.realistic = candidate
                break
            }
        }
        digestIndex[digestKey] = stored
        return surrogate(r, stored)
    }

    /// The originals behind `<TYPE_number>` surrogates (nil where the vault has none), read in one transaction.
    public func originals(for surrogates: [(type: EntityType, number: Int)]) throws -> [[UInt8]?] {
        var results = [[UInt8]?](repeating: nil, count: surrogates.count)
        var missing: [Int] = []
        lock.lock()
        for (k, s) in surrogates.enumerated() {
            if let cached = originalCache[NumberKey(type: s.type, number: s.number)] { results[k] = cached } else { missing.append(k) }
        }
        lock.unlock()
        guard !missing.isEmpty else { return results }
        do {
            let sealed: [Data?] = try pool.read { db in
                try missing.map { k in
                    try Data.fetchOne(db.cachedStatement(sql: "SELECT sealed FROM entity WHERE type = ? AND number = ?"),
                                      arguments: [surrogates[k].type.name, surrogates[k].number])
                }
            }
            lock.lock()
            defer { lock.unlock() }
            if originalCache.count > cacheLimit { originalCache.removeAll() }
            for (k, blob) in zip(missing, sealed) {
                guard let blob else { continue }
                let original = try key.open(blob, type: surrogates[k].type)
                originalCache[NumberKey(type: surrogates[k].type, number: surrogates[k].number)] = original
                results[k] = original
            }
            return results
        } catch {
            throw PrivacyError.vaultUnreadable(path: path, reason: describeDatabaseError(error))
        }
    }

    /// The original behind `<TYPE_number>`, or nil if the vault has no such surrogate.
    public func original(type: EntityType, number: Int) throws -> [UInt8]? {
        try originals(for: [(type, number)])[0]
    }

    public struct RealisticEntry: Sendable {
        public var type: EntityType
        public var original: [UInt8]
    }

    /// Every realistic surrogate with its original, read once (restore matches them by exact text).
    public func realisticSurrogates() throws -> [[UInt8]: RealisticEntry] {
        lock.lock()
        defer { lock.unlock() }
        if let index = realisticIndex { return index }
        do {
            var index: [[UInt8]: RealisticEntry] = [:]
            try pool.read { db in
                let rows = try Row.fetchCursor(db, sql: "SELECT type, realistic, sealed FROM entity WHERE realistic IS NOT NULL")
                while let row = try rows.next() {
                    let type = EntityType(row[0] as String)
                    let surrogate: String = row[1]
                    index[Array(surrogate.utf8)] = RealisticEntry(type: type, original: try key.open(row[2], type: type))
                }
            }
            realisticIndex = index
            return index
        } catch {
            throw PrivacyError.vaultUnreadable(path: path, reason: describeDatabaseError(error))
        }
    }

    /// Number of distinct values stored.
    public func count() throws -> Int {
        try pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM entity") ?? 0 }
    }
}

private func describeDatabaseError(_ error: Error) -> String {
    if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
    return String(describing: error)
}
