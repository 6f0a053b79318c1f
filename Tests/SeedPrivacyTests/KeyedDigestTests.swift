import CSeedSHA256
import Crypto
@testable import SeedPrivacy
import XCTest

final class KeyedDigestTests: XCTestCase {
    /// The vault's own HMAC is swift-crypto's HMAC-SHA256 of type name, zero byte and value, at every
    /// length around the block and padding boundaries.
    func testDigestIsHMACSHA256() throws {
        let key = try VaultKey(bytes: Array(0..<32))
        var rng = SplitMix(seed: 1)
        for length in [0, 1, 10, 48, 49, 50, 55, 56, 57, 63, 64, 65, 112, 119, 120, 128, 200, 1000] {
            let value = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for type in [EntityType.email, EntityType("EMPLOYEE_NUMBER_WITH_A_LONG_TYPE_NAME")] {
                let expected = Array(HMAC<SHA256>.authenticationCode(for: Array(type.name.utf8) + [0] + value, using: key.digestKey))
                let digest = value.withUnsafeBufferPointer { key.digest(type: type, value: $0) }
                XCTAssertEqual(digest, expected, "length \(length)")
                let short = value.withUnsafeBufferPointer { key.shortDigest(type: type, value: $0) }
                XCTAssertEqual(short.high, expected.prefix(8).reduce(0) { $0 << 8 | UInt64($1) })
                XCTAssertEqual(short.low, expected[8..<16].reduce(0) { $0 << 8 | UInt64($1) })
            }
        }
    }

    /// The SHA-extension path (when this CPU has it) against the portable one, over many blocks at once.
    func testCompressionPathsAgree() {
        var rng = SplitMix(seed: 2)
        for blocks in [1, 2, 7] {
            let data = (0..<(64 * blocks)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var a: [UInt32] = (0..<8).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) }
            var b = a
            data.withUnsafeBufferPointer { d in
                seed_sha256_compress(&a, d.baseAddress!, blocks)
                seed_sha256_compress_portable(&b, d.baseAddress!, blocks)
            }
            XCTAssertEqual(a, b, "\(blocks) blocks, extensions: \(seed_sha256_has_extensions())")
        }
    }

    /// Digests made in pairs (interleaved compressions) equal the ones made alone, for every mix of one-block,
    /// two-block and longer messages, and of types.
    func testPairedDigestsEqualSingleOnes() throws {
        let key = try VaultKey(bytes: Array(0..<32))
        var rng = SplitMix(seed: 4)
        let lengths = [0, 1, 48, 49, 55, 56, 63, 64, 100, 112, 113, 119, 120, 300]
        let types = [EntityType.email, EntityType("EMPLOYEE_NUMBER_WITH_A_LONG_TYPE_NAME")]
        for la in lengths {
            for lb in lengths {
                let a = (0..<la).map { _ in UInt8.random(in: 0...255, using: &rng) }
                let b = (0..<lb).map { _ in UInt8.random(in: 0...255, using: &rng) }
                let ta = types[la % 2], tb = types[(lb / 7) % 2]
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        let (x, y) = key.shortDigests((ta, pa), (tb, pb))
                        XCTAssertEqual(x, key.shortDigest(type: ta, value: pa), "lengths \(la), \(lb)")
                        XCTAssertEqual(y, key.shortDigest(type: tb, value: pb), "lengths \(la), \(lb)")
                    }
                }
            }
        }
    }

    func testPairedCompressionPathsAgree() {
        var rng = SplitMix(seed: 5)
        let data = (0..<128).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var a: [UInt32] = (0..<8).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) }
        var b: [UInt32] = (0..<8).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) }
        var a1 = a, b1 = b
        data.withUnsafeBufferPointer { d in
            seed_sha256_compress_pair(&a, d.baseAddress!, &b, d.baseAddress! + 64)
            seed_sha256_compress_portable(&a1, d.baseAddress!, 1)
            seed_sha256_compress_portable(&b1, d.baseAddress! + 64, 1)
        }
        XCTAssertEqual(a, a1)
        XCTAssertEqual(b, b1)
    }
}
