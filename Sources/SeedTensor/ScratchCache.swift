import Foundation

/// Reuses large scratch buffers across kernel calls. A packed panel of a 50,257-row LM head is tens of MB:
/// allocating it per call means an mmap, page faults on every page and an munmap each time, which cost a
/// GPT-2-sized training step more system time than the packing itself.
final class ScratchCache: @unchecked Sendable {
    private var free: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []
    private let lock = NSLock()
    /// Buffers kept for reuse; beyond this the largest-but-one are released.
    private let keep = 4

    /// A buffer of at least `count` floats, 64-byte aligned, contents undefined.
    func take(_ count: Int) -> (pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        lock.lock()
        if let index = free.firstIndex(where: { $0.capacity >= count }) {
            let buffer = free.remove(at: index)
            lock.unlock()
            return buffer
        }
        lock.unlock()
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        return (raw.bindMemory(to: Float.self, capacity: count), count)
    }

    func give(_ buffer: (pointer: UnsafeMutablePointer<Float>, capacity: Int)) {
        lock.lock()
        free.append(buffer)
        free.sort { $0.capacity > $1.capacity }
        while free.count > keep { free.removeLast().pointer.deallocate() }
        lock.unlock()
    }
}
