/// Turns bytes into token ids and back; the byte tokenizer and (later) BPE conform.
public protocol TextTokenizer: Sendable {
    var vocabularySize: Int { get }
    func encode(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int32]
    func decode(_ ids: [Int32]) -> [UInt8]
}

/// One token per byte, id = byte value: no training, no unknown input, 256 ids.
public struct ByteTokenizer: TextTokenizer, Equatable {
    public init() {}

    public var vocabularySize: Int { 256 }

    public func encode(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int32] {
        [Int32](unsafeUninitializedCapacity: bytes.count) { buffer, initialized in
            for i in 0..<bytes.count { buffer[i] = Int32(bytes[i]) }
            initialized = bytes.count
        }
    }

    /// Ids outside 0..<256 cannot come from this tokenizer; they keep their low byte.
    public func decode(_ ids: [Int32]) -> [UInt8] {
        ids.map { UInt8(truncatingIfNeeded: $0) }
    }
}
