/// A large, 64-byte aligned block of Float32 that kernels address through its raw pointer.
/// A class because parameters, gradients and activations are big, mutable and shared by reference.
public final class FloatBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int, zeroed: Bool = true) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
        if zeroed { pointer.initialize(repeating: 0, count: count) }
    }

    deinit { pointer.deallocate() }

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
