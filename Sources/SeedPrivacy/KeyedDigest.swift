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
        var name = type.name
        return name.withUTF8 { mac(prefix: $0, value: value) }
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
        block[used] = 0x80
        let blocks = used + 9 <= 64 ? 1 : 2
        (block + used + 1).update(repeating: 0, count: 64 * blocks - used - 9)
        let bits = UInt64(totalBytes) * 8
        for k in 0..<8 { block[64 * blocks - 1 - k] = UInt8(truncatingIfNeeded: bits >> (8 * UInt64(k))) }
        compress(&state, block, blocks)
    }

    @inline(__always) private static func storeBigEndian(_ w: UInt32, _ p: UnsafeMutablePointer<UInt8>) {
        p[0] = UInt8(w >> 24)
        p[1] = UInt8(truncatingIfNeeded: w >> 16)
        p[2] = UInt8(truncatingIfNeeded: w >> 8)
        p[3] = UInt8(truncatingIfNeeded: w)
    }
}
