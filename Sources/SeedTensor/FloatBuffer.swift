import Foundation

/// A large, 64-byte aligned block of Float32 that kernels address through its raw pointer.
/// A class because parameters, gradients and activations are big, mutable and shared by reference.
public final class FloatBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int, zeroed: Bool = true) {
        self.count = count
        let bytes = max(1, count) * MemoryLayout<Float>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
        Self.adviseHugePages(raw, bytes: bytes)
        if zeroed { pointer.initialize(repeating: 0, count: count) }
    }

    deinit { pointer.deallocate() }

    /// Buffers from this size on ask Linux for 2 MB pages (transparent huge pages, which this kind of
    /// machine gives only where asked: `madvise` mode). Decoding streams every weight once per token, and
    /// with 4 KB pages that is a TLB miss every 4 KB, 120,000 per token of a GPT-2-small-sized model:
    /// with 2 MB pages it decoded at 40.7–48.4 tokens/s against 36.9–42.8 in four alternating pairs (Intel
    /// Xeon VM, 2 threads). Small buffers keep 4 KB pages: clearing a fresh 2 MB page costs more than a
    /// short-lived buffer saves (the vault's digest table measured that).
    static let hugePageMinimum = 32 << 20

    /// Advises the 2 MB-aligned part of a large buffer to use huge pages; does nothing elsewhere, or when
    /// the kernel refuses (the buffer then simply keeps 4 KB pages).
    private static func adviseHugePages(_ raw: UnsafeMutableRawPointer, bytes: Int) {
        #if os(Linux)
        guard bytes >= hugePageMinimum else { return }
        let huge = 2 << 20
        let start = (Int(bitPattern: raw) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: raw) + bytes) & ~(huge - 1)
        guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(aligned, end - start, MADV_HUGEPAGE)
        #endif
    }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    /// Zeroes the buffer, on all cores when it is large (a gradient buffer is cleared every step).
    public func zero(pool: ThreadPool = .shared) {
        let p = pointer
        let runner = count >= 1 << 18 ? pool : ThreadPool.inline
        runner.parallelRanges(count, minimum: 1 << 16) { range in
            (p + range.lowerBound).update(repeating: 0, count: range.count)
        }
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
}
