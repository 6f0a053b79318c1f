import Crypto
import Foundation
import GRDB
import SeedStore

/// The map from surrogates back to originals: a SQLite file in WAL mode, so that two processes can share
/// it. Each write transaction appends one `block` row holding a batch of new values (see `VaultBlock`):
/// their types, numbers (`<EMAIL_17>`), keyed digests (the lookup key: an original is never stored in
/// clear) and realistic surrogates, with the originals sealed together by AES-GCM.
///
/// Every process keeps the blocks' entries in memory (about 100 bytes per distinct value) and brings them
/// up to date, in block order, at the start of each write transaction. Write transactions are immediate,
/// so writers take turns: a process numbers a new value only after it has read every block committed
/// before, and two processes that meet the same value give it the same surrogate.
///
/// Durability: `surrogates(for:)` returns only after the transaction holding any new value has
/// committed, so a caller that writes a surrogate after that never writes one the vault could lose to a
/// crash of the process (WAL with `synchronous = NORMAL` survives kill -9; a power cut may lose the last
/// commits).
public final class Vault: @unchecked Sendable {
    public let path: String
    let key: VaultKey
    private let pool: DatabasePool
    /// Guards `index`, `originalCache` and `realisticIndex`; never held during SQLite work.
    private let lock = NSLock()
    private var index: VaultIndex
    /// Two million originals (about 35 bytes each, a few hundred blocks): restore's memory stays bounded.
    private var originalCache = OriginalCache(limit: 2 << 20)
    private var realisticIndex: RealisticTable?
    /// Copies the WAL into the file off the writer (see `BackgroundCheckpointer`); nil for a restore-only vault.
    /// Started once the vault has opened: a vault refused (a wrong key, an old format) leaves no thread behind.
    private var checkpointer: BackgroundCheckpointer?
    static let format = "blocks-1"

    /// Opens or creates the vault at `path`; throws `PrivacyError.wrongKey` if it was made with another key.
    /// A vault opened `restoreOnly` keeps no index of digests (32–64 bytes per distinct value), which only
    /// pseudonymizing needs: `surrogates(for:)` then throws `PrivacyError.restoreOnlyVault`.
    public init(path: String, key: VaultKey, restoreOnly: Bool = false) throws {
        self.path = path
        self.key = key
        index = VaultIndex(indexesDigests: !restoreOnly)
        var configuration = Configuration()
        configuration.busyMode = .timeout(60)
        configuration.prepareDatabase { db in
            // A block row is a few hundred kilobytes: 64 KB pages write it in a few calls instead of a hundred
            // (SQLite takes the page size only while it creates the file; an existing vault keeps its own).
            // The checkpointer's thread copies the WAL every 8 MB this process commits; a checkpoint inside a
            // commit is left only as a bound (1024 pages, 64 MB) that the commits of many short runs sharing
            // the vault with a long-lived one reach, which no checkpointer counts whole. The cache is small:
            // a stream never rereads a block, and a restore caches the originals it opens.
            try db.execute(sql: "PRAGMA page_size = 65536; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -8192; PRAGMA wal_autocheckpoint = 1024")
        }
        do {
            pool = try SharedDatabase.openPool(path: path, configuration: configuration)
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    try db.execute(sql: """
                        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
                        CREATE TABLE IF NOT EXISTS block (id INTEGER PRIMARY KEY, entries BLOB NOT NULL, sealed BLOB NOT NULL);
                        """)
                    let check = Data(key.digest(type: EntityType("VAULT"), value: UnsafeBufferPointer(start: nil, count: 0)))
                    if let stored = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'key_check'") {
                        guard stored == check else { throw PrivacyError.wrongKey(vault: path) }
                        let format = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'format'")
                        guard format == Self.format else {
                            throw PrivacyError.vaultUnreadable(path: path, reason: "it was written by an earlier Seed (one row per value); restore its data with that version, or start a new vault file")
                        }
                    } else {
                        try db.execute(sql: "INSERT INTO meta (name, value) VALUES ('key_check', ?), ('format', ?)", arguments: [check, Self.format])
                    }
                    return .commit
                }
                try sync(db)
            }
            if !restoreOnly { checkpointer = try BackgroundCheckpointer(path: path) }
        } catch let error as PrivacyError {
            throw error
        } catch {
            throw PrivacyError.vaultUnreadable(path: path, reason: SharedDatabase.describe(error))
        }
    }

    deinit { checkpointer?.stop() }

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

    /// A value to look up, and add if the vault lacks it: its original is a range of an arena that the
    /// caller passes along.
    struct NewValue {
        var type: EntityType
        var digest: VaultDigest
        var original: Range<Int>
        var realistic: Bool
    }

    /// The surrogate of every request. Values the vault does not hold yet are added in one transaction,
    /// which has committed when this returns.
    public func surrogates(for requests: [Request]) throws -> [[UInt8]] {
        // Each distinct value once (`add` takes every digest once), its original copied into one arena.
        var firstOf: [VaultDigest: Int] = [:]
        var values: [NewValue] = []
        var arena: [UInt8] = []
        let valueOf = requests.map { r -> Int in
            let digest = r.original.withUnsafeBufferPointer { key.shortDigest(type: r.type, value: $0) }
            if let u = firstOf[digest] {
                values[u].realistic = values[u].realistic || r.realistic
                return u
            }
            firstOf[digest] = values.count
            values.append(NewValue(type: r.type, digest: digest, original: arena.count..<(arena.count + r.original.count), realistic: r.realistic))
            arena.append(contentsOf: r.original)
            return values.count - 1
        }
        let stored = try arena.withUnsafeBufferPointer { try self.stored(values, originals: $0) }
        return requests.indices.map { stored[valueOf[$0]]!.surrogate(type: requests[$0].type, realistic: requests[$0].realistic) }
    }

    /// What each value (each digest once, its original a range of `originals`) is stored as: all looked up
    /// under one lock, and those the vault lacks (or holds without the realistic surrogate asked for) added
    /// in one transaction, which has committed when this returns.
    /// Every entry of the result is set.
    func stored(_ values: [NewValue], originals: UnsafeBufferPointer<UInt8>) throws -> [VaultIndex.Stored?] {
        guard index.indexesDigests else { throw PrivacyError.restoreOnlyVault(path: path) }
        var stored = [VaultIndex.Stored?](repeating: nil, count: values.count)
        let generation = lookUp(values, into: &stored)
        let missing = values.indices.filter { stored[$0]?.serves(realistic: values[$0].realistic) != true }
        let draws = missing.map { u in
            values[u].realistic ? VaultIndex.RealisticDraw(type: values[u].type, original: UnsafeBufferPointer(rebasing: originals[values[u].original]), key: key) : nil
        }
        for (u, s) in zip(missing, try add(missing, of: values, found: stored, originals: originals, asOf: generation, draws: draws)) { stored[u] = s }
        return stored
    }

    /// What the vault holds for each digest (nil where nothing): one lock for a batch. Returns the index's
    /// generation (its last block), for `add`.
    private func lookUp(_ values: [NewValue], into stored: inout [VaultIndex.Stored?]) -> Int64 {
        lock.withLock {
            let distance = VaultIndex.prefetchDistance
            for (k, v) in values.enumerated() {
                if k + distance < values.count { index.values.prefetch(values[k + distance].digest) }
                stored[k] = index.values[v.digest]
            }
            return index.syncedBlock
        }
    }

    /// Adds `values[missing]` in one write transaction (each digest at most once); returns what each one is
    /// stored as once the transaction has committed. Another process or worker may have added some of them
    /// meanwhile: the sync at the start of the transaction finds those, and they keep their surrogates.
    /// `found` is what `lookUp` saw at `generation`: if no block came since, the values need not be looked
    /// up again (a second miss in a large table).
    private func add(_ missing: [Int], of values: [NewValue], found: [VaultIndex.Stored?], originals: UnsafeBufferPointer<UInt8>,
                     asOf generation: Int64, draws: [VaultIndex.RealisticDraw?]) throws -> [VaultIndex.Stored] {
        guard !missing.isEmpty else { return [] }
        do {
            return try pool.writeWithoutTransaction { db in
                var block = VaultIndex.Pending()
                var bytes = 0
                try db.inTransaction(.immediate) {
                    try sync(db)
                    block = lock.withLock { index.pending(for: missing, of: values, found: found, originals: originals, asOf: generation, draws: draws) }
                    if !block.entries.isEmpty {
                        let entries = VaultBlock.encode(block.entries)
                        let sealed = try key.sealBlock(block.originals, entries: entries)
                        try db.execute(sql: "INSERT INTO block (entries, sealed) VALUES (?, ?)", arguments: [Data(entries), sealed])
                        block.id = db.lastInsertedRowID
                        bytes = entries.count + sealed.count
                    }
                    return .commit
                }
                checkpointer?.committed(bytes: bytes)
                // A concurrent read (a restore sharing this vault) may have synced the block already.
                lock.withLock { if block.id > index.syncedBlock { index.add(block.entries, block: block.id) } }
                return block.stored
            }
        } catch let error as PrivacyError {
            throw error
        } catch {
            throw PrivacyError.vaultUnreadable(path: path, reason: SharedDatabase.describe(error))
        }
    }

    /// Adds the blocks committed since the last sync (by this or another process) to the index.
    private func sync(_ db: Database) throws {
        let after = lock.withLock { index.syncedBlock }
        let rows = try Row.fetchCursor(db, sql: "SELECT id, entries FROM block WHERE id > ? ORDER BY id", arguments: [after])
        while let row = try rows.next() {
            let id: Int64 = row[0]
            let data: Data = row[1]
            guard let entries = data.withUnsafeBytes({ VaultBlock.decode($0) }) else { throw corrupt(block: id) }
            lock.withLock { if id > index.syncedBlock { index.add(entries, block: id) } }
        }
    }

    private func corrupt(block id: Int64) -> PrivacyError {
        PrivacyError.vaultUnreadable(path: path, reason: "block \(id) is damaged")
    }

    /// The originals behind `<TYPE_number>` surrogates (nil where the vault has none). A block is opened
    /// whole, and all its originals are cached: the surrogates of one answer were mostly made together.
    public func originals(for surrogates: [(type: EntityType, number: Int)]) throws -> [[UInt8]?] {
        var results = [[UInt8]?](repeating: nil, count: surrogates.count)
        do {
            for attempt in 0..<2 {
                // The surrogates still to find, by the block that holds each.
                var blocks: [Int64: [Int]] = [:]
                var unknown = false
                lock.withLock {
                    for (k, s) in surrogates.enumerated() where results[k] == nil {
                        if let block = index.block(of: s.type, number: s.number) {
                            if let cached = originalCache.original(type: s.type, number: s.number, in: block) {
                                results[k] = cached
                            } else {
                                blocks[block, default: []].append(k)
                            }
                        } else {
                            unknown = true
                        }
                    }
                }
                if !blocks.isEmpty {
                    let opened = try pool.read { db in try blocks.keys.map { ($0, try open(block: $0, db)) } }
                    lock.withLock {
                        for (block, contents) in opened {
                            // Answered right after caching: the block just added is never the one evicted.
                            originalCache.add(block: block, contents)
                            for k in blocks[block]! {
                                results[k] = originalCache.original(type: surrogates[k].type, number: surrogates[k].number, in: block)
                            }
                        }
                    }
                }
                // A surrogate from a block committed since the last sync (another process): read it and retry.
                guard unknown, attempt == 0 else { break }
                try pool.read { try sync($0) }
            }
        } catch let error as PrivacyError {
            throw error
        } catch {
            throw PrivacyError.vaultUnreadable(path: path, reason: SharedDatabase.describe(error))
        }
        return results
    }

    /// A block's entries with their originals, decrypted.
    private func open(block id: Int64, _ db: Database) throws -> OpenedBlock {
        guard let row = try Row.fetchOne(db, sql: "SELECT entries, sealed FROM block WHERE id = ?", arguments: [id]) else { throw corrupt(block: id) }
        let entriesData: Data = row[0], sealed: Data = row[1]
        guard let entries = entriesData.withUnsafeBytes({ VaultBlock.decode($0) }),
              let originals = try? key.openBlock(sealed, entries: entriesData),
              entries.reduce(0, { $0 + $1.originalLength }) == originals.count else { throw corrupt(block: id) }
        return OpenedBlock(entries: entries, originals: originals)
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
    public func realisticSurrogates() throws -> RealisticTable {
        if let cached = lock.withLock({ realisticIndex }) { return cached }
        do {
            let result = try pool.read { db -> RealisticTable in
                try sync(db)
                var builder = RealisticTable.Builder()
                for id in lock.withLock({ index.realisticBlocks }) {
                    let opened = try open(block: id, db)
                    for (k, e) in opened.entries.enumerated() {
                        if let r = e.realistic { builder.append(type: e.type, surrogate: r, original: opened.original(k)) }
                    }
                }
                return RealisticTable(builder)
            }
            lock.withLock { realisticIndex = result }
            return result
        } catch let error as PrivacyError {
            throw error
        } catch {
            throw PrivacyError.vaultUnreadable(path: path, reason: SharedDatabase.describe(error))
        }
    }

    /// Number of distinct values stored.
    public func count() throws -> Int {
        do {
            try pool.read { try sync($0) }
        } catch {
            throw PrivacyError.vaultUnreadable(path: path, reason: SharedDatabase.describe(error))
        }
        return lock.withLock { index.valueCount }
    }
}
