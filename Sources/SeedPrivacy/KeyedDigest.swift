import CSeedSHA256
import Crypto

/// HMAC-SHA256 of a type name, a zero byte and a value: the vault's lookup key for a value and the `hash`
/// operator. The same function as swift-crypto's `HMAC<SHA256>` (a test compares them) at a fraction of
/// its cost on short values, which a stream meets hundreds of thousands of times a second: the key's inner
/// and outer states are computed once, and a digest is two compressions on the stack, with no allocation.
struct KeyedDigest: Sendable {
    private let inner: SIMD8<UInt32>
    private let outer: SIMD8<UInt32>

    init(key: SymmetricKey) {
        var block = [UInt8](repeating: 0, count: 64)
        key.withUnsafeBytes { k in
            if k.count <= 64 {
                for (i, b) in k.enumerated() { block[i] = b }
            } else {
                for (i, b) in SHA256.hash(data: k).enumerated() { block[i] = b }
            }
        }
        inner = Self.compressed(Self.initial, block.map { $0 ^ 0x36 })
        outer = Self.compressed(Self.initial, block.map { $0 ^ 0x5c })
    }

    private static let initial = SIMD8<UInt32>(0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19)

    private static func compressed(_ state: SIMD8<UInt32>, _ block: [UInt8]) -> SIMD8<UInt32> {
        var s = state
        block.withUnsafeBufferPointer { b in compress(&s, b.baseAddress!, 1) }
        return s
    }

    @inline(__always) private static func compress(_ state: inout SIMD8<UInt32>, _ data: UnsafePointer<UInt8>, _ blocks: Int) {
        withUnsafeMutableBytes(of: &state) { seed_sha256_compress($0.baseAddress!.assumingMemoryBound(to: UInt32.self), data, blocks) }
    }

    /// HMAC(key, type name ‖ 0 ‖ value) as the eight words of the SHA-256 state.
    func mac(type: EntityType, value: UnsafeBufferPointer<UInt8>) -> SIMD8<UInt32> {
        mac(prefix: type.utf8, value: value)
    }

    private func mac(prefix: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> SIMD8<UInt32> {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buffer in
            let block = buffer.baseAddress!
            var state = inner
            var used = 0
            // Bytes into the block buffer, whole blocks of `value` straight from where they are.
            func absorb(_ bytes: UnsafeBufferPointer<UInt8>) {
                guard var p = bytes.baseAddress else { return }
                var left = bytes.count
                if used > 0 {
                    let take = min(left, 64 - used)
                    (block + used).update(from: p, count: take)
                    used += take
                    p += take
                    left -= take
                    guard used == 64 else { return }
                    Self.compress(&state, block, 1)
                    used = 0
                }
                if left >= 64 {
                    Self.compress(&state, p, left / 64)
                    p += left / 64 * 64
                    left %= 64
                }
                (block + used).update(from: p, count: left)
                used += left
            }
            var zero: UInt8 = 0
            absorb(prefix)
            withUnsafePointer(to: &zero) { absorb(UnsafeBufferPointer(start: $0, count: 1)) }
            absorb(value)
            let innerLength = 64 + prefix.count + 1 + value.count
            Self.finish(&state, block, used: used, totalBytes: innerLength)
            // The outer hash of the 32-byte inner digest: one block.
            for w in 0..<8 { Self.storeBigEndian(state[w], block + 4 * w) }
            state = outer
            Self.finish(&state, block, used: 32, totalBytes: 64 + 32)
            return state
        }
    }

    /// SHA-256 padding after `used` bytes in `block` (which has room for two blocks), then the last compressions.
    private static func finish(_ state: inout SIMD8<UInt32>, _ block: UnsafeMutablePointer<UInt8>, used: Int, totalBytes: Int) {
        compress(&state, block, pad(block, used: used, totalBytes: totalBytes))
    }

    /// Writes SHA-256's padding after `used` bytes of `block` for a message of `totalBytes`; returns the
    /// number of blocks (one or two) left to compress.
    private static func pad(_ block: UnsafeMutablePointer<UInt8>, used: Int, totalBytes: Int) -> Int {
        block[used] = 0x80
        let blocks = used + 9 <= 64 ? 1 : 2
        (block + used + 1).update(repeating: 0, count: 64 * blocks - used - 9)
        let bits = UInt64(totalBytes) * 8
        for k in 0..<8 { block[64 * blocks - 1 - k] = UInt8(truncatingIfNeeded: bits >> (8 * UInt64(k))) }
        return blocks
    }

    /// The MACs of two values at once: the SHA extensions' rounds wait on each other, so two interleaved
    /// messages cost little more than one (`seed_sha256_compress_pair`). A value too long for two blocks
    /// goes alone.
    func macPair(_ a: (type: EntityType, value: UnsafeBufferPointer<UInt8>), _ b: (type: EntityType, value: UnsafeBufferPointer<UInt8>)) -> (SIMD8<UInt32>, SIMD8<UInt32>) {
        let prefixA = a.type.utf8, prefixB = b.type.utf8
        let usedA = prefixA.count + 1 + a.value.count, usedB = prefixB.count + 1 + b.value.count
        guard usedA + 9 <= 128, usedB + 9 <= 128 else {
            return (mac(prefix: prefixA, value: a.value), mac(prefix: prefixB, value: b.value))
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer in
            let blockA = buffer.baseAddress!, blockB = blockA + 128
            let blocksA = Self.padInner(blockA, prefixA, a.value), blocksB = Self.padInner(blockB, prefixB, b.value)
            var stateA = inner, stateB = inner
            Self.compressPair(&stateA, blockA, &stateB, blockB)
            switch (blocksA, blocksB) {
            case (2, 2): Self.compressPair(&stateA, blockA + 64, &stateB, blockB + 64)
            case (2, _): Self.compress(&stateA, blockA + 64, 1)
            case (_, 2): Self.compress(&stateB, blockB + 64, 1)
            default: break
            }
            // The outer hashes of the 32-byte inner digests: one block each.
            for w in 0..<8 {
                Self.storeBigEndian(stateA[w], blockA + 4 * w)
                Self.storeBigEndian(stateB[w], blockB + 4 * w)
            }
            _ = Self.pad(blockA, used: 32, totalBytes: 64 + 32)
            _ = Self.pad(blockB, used: 32, totalBytes: 64 + 32)
            stateA = outer
            stateB = outer
            Self.compressPair(&stateA, blockA, &stateB, blockB)
            return (stateA, stateB)
        }
    }

    /// The inner message after the key block (prefix, a zero byte, the value), padded; returns its blocks.
    private static func padInner(_ block: UnsafeMutablePointer<UInt8>, _ prefix: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) -> Int {
        if let p = prefix.baseAddress { block.update(from: p, count: prefix.count) }
        block[prefix.count] = 0
        if let v = value.baseAddress { (block + prefix.count + 1).update(from: v, count: value.count) }
        let used = prefix.count + 1 + value.count
        return pad(block, used: used, totalBytes: 64 + used)
    }

    @inline(__always) private static func compressPair(_ a: inout SIMD8<UInt32>, _ dataA: UnsafePointer<UInt8>, _ b: inout SIMD8<UInt32>, _ dataB: UnsafePointer<UInt8>) {
        withUnsafeMutableBytes(of: &a) { pa in
            withUnsafeMutableBytes(of: &b) { pb in
                seed_sha256_compress_pair(pa.baseAddress!.assumingMemoryBound(to: UInt32.self), dataA, pb.baseAddress!.assumingMemoryBound(to: UInt32.self), dataB)
            }
        }
    }

    @inline(__always) private static func storeBigEndian(_ w: UInt32, _ p: UnsafeMutablePointer<UInt8>) {
        p[0] = UInt8(w >> 24)
        p[1] = UInt8(truncatingIfNeeded: w >> 16)
        p[2] = UInt8(truncatingIfNeeded: w >> 8)
        p[3] = UInt8(truncatingIfNeeded: w)
    }
}
