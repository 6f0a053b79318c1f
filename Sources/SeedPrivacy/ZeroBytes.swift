import Foundation

extension Array where Element == UInt8 {
    /// Appends `n` zero bytes as a memory copy. `append(contentsOf: repeatElement(0, count: n))` wrote them
    /// one at a time, and the buffers sized that way (an unescaped string, a batch) showed in profiles.
    mutating func appendZeros(_ n: Int) {
        var left = n
        while left > 0 {
            let chunk = Swift.min(left, ZeroBytes.count)
            append(contentsOf: UnsafeBufferPointer(start: ZeroBytes.pointer, count: chunk))
            left -= chunk
        }
    }
}

private enum ZeroBytes {
    static let count = 1 << 16
    /// Allocated once and never written: small enough to stay in the cache while it is copied.
    nonisolated(unsafe) static let pointer: UnsafePointer<UInt8> = UnsafePointer(calloc(count, 1)!.assumingMemoryBound(to: UInt8.self))
}
