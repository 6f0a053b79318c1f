import Foundation
import GRDB
@testable import SeedPrivacy
import XCTest

final class VaultTests: PrivacyTestCase {
    func request(_ type: EntityType, _ value: String, realistic: Bool = false) -> Vault.Request {
        Vault.Request(type: type, original: Array(value.utf8), realistic: realistic)
    }

    func text(_ bytes: [[UInt8]]) -> [String] { bytes.map { String(decoding: $0, as: UTF8.self) } }

    func testSurrogatesAreConsistentAcrossBatchesAndRuns() throws {
        let first = try vault()
        XCTAssertEqual(text(try first.surrogates(for: [request(.email, "a@x.com"), request(.email, "b@x.com"), request(.email, "a@x.com"),
                                                      request(.phone, "13812345678")])),
                       ["<EMAIL_1>", "<EMAIL_2>", "<EMAIL_1>", "<PHONE_1>"])
        let reopened = try vault()
        XCTAssertEqual(text(try reopened.surrogates(for: [request(.email, "b@x.com"), request(.email, "c@x.com")])), ["<EMAIL_2>", "<EMAIL_3>"])
        XCTAssertEqual(try reopened.original(type: .email, number: 1), Array("a@x.com".utf8))
        XCTAssertNil(try reopened.original(type: .email, number: 99))
    }

    /// A vault opened before another one added values still restores them: a surrogate it does not know
    /// sends it back to the file for the blocks committed since.
    func testValuesAddedByAnotherConnectionAreRestorable() throws {
        let reader = try vault(), writer = try vault()
        let surrogate = try writer.surrogates(for: [request(.iban, "DE89 3704 0044 0532 0130 00")])[0]
        XCTAssertEqual(text([surrogate]), ["<IBAN_1>"])
        XCTAssertEqual(try reader.original(type: .iban, number: 1), Array("DE89 3704 0044 0532 0130 00".utf8))
        XCTAssertEqual(try reader.count(), 1)
    }

    /// A vault of the earlier format (one row per value, no format mark) is refused with a message, not misread.
    func testEarlierFormatIsRefused() throws {
        let check = Data(key.digest(type: EntityType("VAULT"), value: UnsafeBufferPointer(start: nil, count: 0)))
        try DatabaseQueue(path: path("old.sqlite")).write { db in
            try db.execute(sql: "CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL)")
            try db.execute(sql: "INSERT INTO meta (name, value) VALUES ('key_check', ?)", arguments: [check])
        }
        XCTAssertThrowsError(try vault("old.sqlite")) { error in
            guard case let PrivacyError.vaultUnreadable(_, reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("earlier Seed"), reason)
        }
    }

    /// Reads that sync the index (restores, counts) while the same vault adds values leave it whole.
    func testReadsWhileWritingOnOneVault() throws {
        let store = try vault()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            for k in 0..<200 { _ = try? store.surrogates(for: [self.request(.email, "w\(k)@example.com"), self.request(.phone, "+1 555 01\(k)")]) }
            done.signal()
        }
        var reads = 0
        while done.wait(timeout: .now()) == .timedOut {
            _ = try store.count()
            _ = try store.original(type: .email, number: 1)
            reads += 1
        }
        XCTAssertEqual(try store.count(), 400)
        XCTAssertEqual(text(try store.surrogates(for: (0..<200).map { request(.email, "w\($0)@example.com") })), (1...200).map { "<EMAIL_\($0)>" })
        for k in [1, 100, 200] { XCTAssertEqual(try vault().original(type: .email, number: k), Array("w\(k - 1)@example.com".utf8)) }
        XCTAssertGreaterThan(reads, 0)
    }

    func testDigestTableGrowsAndKeepsRealisticSurrogates() {
        // 100,000 values take the table through many growths (4,096 slots at first).
        let table = DigestTable()
        var rng = SplitMix(seed: 3)
        let digests = (0..<100_000).map { _ in VaultDigest(high: rng.next() & 0xFFFF_0000_0000_FFFF, low: rng.next()) }
        for (k, d) in digests.enumerated() { table.set(.init(number: k + 1, realistic: k % 1000 == 0 ? [UInt8(k % 251)] : nil), for: d) }
        XCTAssertEqual(table.count, 100_000)
        for (k, d) in digests.enumerated() {
            XCTAssertEqual(table[d]?.number, k + 1)
            XCTAssertEqual(table[d]?.realistic, k % 1000 == 0 ? [UInt8(k % 251)] : nil)
        }
        table.set(.init(number: 1, realistic: nil), for: digests[0])
        XCTAssertEqual(table[digests[0]]?.realistic, [0], "a value stored again without a realistic surrogate keeps its own")
        table.set(.init(number: 2, realistic: Array("x".utf8)), for: digests[1])
        XCTAssertEqual(table[digests[1]]?.realistic, Array("x".utf8))
        XCTAssertNil(table[VaultDigest(high: 1, low: 2)])
        XCTAssertEqual(table.count, 100_000)
    }

    /// Restore's cache of opened blocks finds each original by its type's run of numbers, keeps the blocks
    /// used last when it is full, and never drops the block it has just taken.
    func testOriginalCacheEvictsTheLeastRecentlyUsedBlock() {
        func block(_ numbers: ClosedRange<Int>, type: EntityType = .email) -> OpenedBlock {
            let entries = numbers.map { VaultBlock.Entry(type: type, number: $0, digest: VaultDigest(high: UInt64($0), low: 0), originalLength: 2, realistic: nil) }
            return OpenedBlock(entries: entries, originals: numbers.flatMap { [UInt8($0), 0xEE] })
        }
        func email(_ n: Int, _ block: Int64, _ cache: inout OriginalCache) -> [UInt8]? { cache.original(type: .email, number: n, in: block) }
        var cache = OriginalCache(limit: 20)
        cache.add(block: 1, block(1...10))
        cache.add(block: 2, block(11...20))
        XCTAssertEqual(email(5, 1, &cache), [5, 0xEE], "block 1 is now the most recently used")
        XCTAssertNil(email(11, 1, &cache), "a number is looked for in its own block only")
        cache.add(block: 3, block(21...30))
        XCTAssertNil(email(15, 2, &cache), "block 2, used least recently, left")
        XCTAssertEqual(email(5, 1, &cache), [5, 0xEE])
        XCTAssertEqual(email(30, 3, &cache), [30, 0xEE])
        XCTAssertNil(email(31, 3, &cache))
        cache.add(block: 4, block(31...80))
        XCTAssertEqual(email(80, 4, &cache), [80, 0xEE], "a block larger than the limit stays until the next one")
        XCTAssertNil(email(5, 1, &cache))

        // Runs: two types interleaved, and a number out of sequence (a realistic surrogate added later).
        var entries = block(1...3).entries + block(7...8, type: .phone).entries + block(4...5).entries
        entries.append(VaultBlock.Entry(type: .email, number: 2, digest: VaultDigest(high: 99, low: 0), originalLength: 1, realistic: [1]))
        let opened = OpenedBlock(entries: entries, originals: Array(0..<UInt8(2 * 7 + 1)))
        var mixed = OriginalCache(limit: 100)
        mixed.add(block: 9, opened)
        for (k, e) in entries.enumerated().dropLast() {
            XCTAssertEqual(mixed.original(type: e.type, number: e.number, in: 9), Array(opened.original(k)), "\(e.type) \(e.number)")
        }
        XCTAssertNil(mixed.original(type: .phone, number: 1, in: 9))
        XCTAssertNil(mixed.original(type: .email, number: 6, in: 9))
    }

    func testBlockEntriesRoundTrip() {
        let entries = [
            VaultBlock.Entry(type: .email, number: 7, digest: VaultDigest(high: 1, low: .max), originalLength: 12, realistic: nil),
            VaultBlock.Entry(type: .phone, number: 70_000, digest: VaultDigest(high: 3, low: 4), originalLength: 0, realistic: Array("+1 555 0100".utf8)),
            VaultBlock.Entry(type: .email, number: 8, digest: VaultDigest(high: 5, low: 6), originalLength: 300, realistic: nil),
        ]
        let bytes = VaultBlock.encode(entries)
        XCTAssertEqual(bytes.withUnsafeBytes { VaultBlock.decode($0) }, entries)
        XCTAssertNil(bytes.dropLast().withUnsafeBytes { VaultBlock.decode(UnsafeRawBufferPointer($0)) })
    }

    func testOriginalsAreEncryptedAtRest() throws {
        _ = try vault().surrogates(for: [request(.email, "very.secret.person@example.com")])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path("vault.sqlite")))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: path("vault.sqlite-wal")))) ?? Data()
        XCTAssertNil((bytes + wal).range(of: Data("very.secret.person".utf8)))
    }

    func testWrongKeyIsRefused() throws {
        _ = try vault()
        XCTAssertThrowsError(try Vault(path: path("vault.sqlite"), key: try VaultKey(bytes: Array(repeating: 1, count: 32)))) { error in
            XCTAssertEqual(error as? PrivacyError, .wrongKey(vault: path("vault.sqlite")))
        }
    }

    func testRealisticSurrogatesAreStableAndRestorable() throws {
        let store = try vault()
        let a = try store.surrogates(for: [request(.creditCard, "4111 1111 1111 1111", realistic: true)])[0]
        XCTAssertEqual(try vault().surrogates(for: [request(.creditCard, "4111 1111 1111 1111", realistic: true)])[0], a)
        XCTAssertTrue(Checksums.luhn(a.filter(isDigit)))
        XCTAssertEqual(try vault().realisticSurrogates().original(of: a)?.original, Array("4111 1111 1111 1111".utf8))
    }

    /// Many distinct names still get fakes of their own. The earlier lists held 13,000 Latin and 2,250
    /// Chinese names: past those, every new name took a thousand keyed hashes and ended as `<PERSON_n>`.
    func testManyDistinctNamesAllGetRealisticSurrogates() throws {
        let store = try vault()
        let latin = (0..<20_000).map { request(.person, "Person Number\($0)", realistic: true) }
        let chinese = (0..<4_000).map { request(.person, "测试\($0)", realistic: true) }
        var surrogates: [[UInt8]] = []
        for batch in stride(from: 0, to: latin.count + chinese.count, by: 4_000) {
            surrogates += try store.surrogates(for: Array((latin + chinese)[batch..<min(batch + 4_000, latin.count + chinese.count)]))
        }
        XCTAssertEqual(Set(surrogates).count, surrogates.count, "every fake is its own")
        XCTAssertFalse(surrogates.contains { $0.first == .lessThan }, "no name fell back to <PERSON_n>")
        XCTAssertTrue(surrogates.suffix(chinese.count).allSatisfy { $0.first! >= 0xE4 && $0.first! <= 0xE9 }, "Chinese names get Chinese fakes")
        let index = try vault().realisticSurrogates()
        for (k, r) in (latin + chinese).enumerated() { XCTAssertEqual(index.original(of: surrogates[k])?.original, r.original) }
    }

    /// Restore finds realistic surrogates by exact text, among many that begin alike (every fake IPv6 address
    /// begins `2001:db8:`), longest first and only as whole tokens.
    func testRealisticSurrogatesAreFoundAmongManyThatBeginAlike() throws {
        let store = try vault()
        let originals = (0..<3_000).map { "fe80::\(String($0, radix: 16))" }
        let fakes = text(try store.surrogates(for: originals.map { request(.ipv6, $0, realistic: true) }))
        let restorer = try Restorer(vault: store)
        for k in stride(from: 0, to: originals.count, by: 7) {
            XCTAssertEqual(try restorer.restore(text: "from \(fakes[k]), then \(fakes[k + 1])."), "from \(originals[k]), then \(originals[k + 1]).")
            XCTAssertEqual(try restorer.restore(text: "x\(fakes[k]) \(fakes[k])1"), "x\(fakes[k]) \(fakes[k])1", "not inside a token")
        }
    }

    /// `seed restore` opens its vault without the digest index: it restores numbered and realistic surrogates
    /// and counts the values alike, and refuses to pseudonymize.
    func testARestoreOnlyVaultRestoresWithoutTheDigestIndex() throws {
        let writer = try vault()
        let numbered = text(try writer.surrogates(for: [request(.email, "a@example.com"), request(.phone, "+49 30 12345678")]))
        let fake = try writer.surrogates(for: [request(.creditCard, "4111 1111 1111 1111", realistic: true)])[0]
        let reader = try Vault(path: path("vault.sqlite"), key: key, restoreOnly: true)
        XCTAssertEqual(try reader.count(), 3)
        XCTAssertEqual(try Restorer(vault: reader).restore(text: "\(numbered[0]) \(numbered[1]) \(String(decoding: fake, as: UTF8.self))"),
                       "a@example.com +49 30 12345678 4111 1111 1111 1111")
        XCTAssertThrowsError(try reader.surrogates(for: [request(.email, "a@example.com")])) {
            XCTAssertEqual($0 as? PrivacyError, .restoreOnlyVault(path: path("vault.sqlite")))
        }
        // Values added by another process after it opened are found too.
        let later = text(try writer.surrogates(for: [request(.email, "later@example.com")]))[0]
        XCTAssertEqual(try Restorer(vault: reader).restore(text: later), "later@example.com")
    }

    func testKeyLoading() throws {
        let hex = String(repeating: "0f", count: 32)
        XCTAssertNoThrow(try VaultKey.load(keyFile: nil, environment: ["SEED_VAULT_KEY": hex]))
        XCTAssertNoThrow(try VaultKey.load(keyFile: nil, environment: ["SEED_VAULT_KEY": Data(repeating: 9, count: 32).base64EncodedString()]))
        XCTAssertThrowsError(try VaultKey.load(keyFile: nil, environment: [:])) { XCTAssertEqual($0 as? PrivacyError, .missingKey) }
        XCTAssertThrowsError(try VaultKey.load(keyFile: nil, environment: ["SEED_VAULT_KEY": "short"]))
        let raw = path("key.bin")
        XCTAssertTrue(FileManager.default.createFile(atPath: raw, contents: Data(repeating: 5, count: 32)))
        XCTAssertNoThrow(try VaultKey.load(keyFile: raw, environment: [:]))
        XCTAssertTrue(PrivacyError.missingKey.description.contains("SEED_VAULT_KEY"))
        XCTAssertTrue(PrivacyError.missingKey.description.contains("--key-file"))
    }

    /// Two connections (as two processes would have) writing overlapping values at the same time agree on
    /// every surrogate, and every number maps to exactly one value.
    func testTwoWritersShareOneVault() throws {
        let a = try vault(), b = try vault()
        let values = (0..<400).map { "user\($0)@example.com" }
        let results = Results()
        let group = DispatchGroup()
        for (store, reversed) in [(a, false), (b, true)] {
            group.enter()
            DispatchQueue.global().async {
                var out: [String: String] = [:]
                let order = reversed ? Array(values.reversed()) : values
                for chunk in stride(from: 0, to: order.count, by: 20) {
                    let batch = order[chunk..<min(chunk + 20, order.count)].map { self.request(.email, $0) }
                    for (r, s) in zip(batch, try! store.surrogates(for: batch)) { out[String(decoding: r.original, as: UTF8.self)] = String(decoding: s, as: UTF8.self) }
                }
                results.set(reversed ? 1 : 0, values.map { out[$0]! })
                group.leave()
            }
        }
        group.wait()
        let resultA = results.get(0), resultB = results.get(1)
        XCTAssertEqual(resultA, resultB)
        XCTAssertEqual(Set(resultA).count, values.count)
        XCTAssertEqual(try a.count(), values.count)
    }
}

/// What each writer thread saw, behind a lock.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int: [String]] = [:]

    func set(_ k: Int, _ v: [String]) { lock.lock(); values[k] = v; lock.unlock() }
    func get(_ k: Int) -> [String] { lock.lock(); defer { lock.unlock() }; return values[k] ?? [] }
}
