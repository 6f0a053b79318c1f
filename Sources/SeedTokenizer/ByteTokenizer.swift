/// Turns bytes into token ids and back: what token shards are made with.
public protocol TextTokenizer: Sendable {
    var vocabularySize: Int { get }
    /// The token put between documents, if the tokenizer has one.
    var endOfTextId: Int32? { get }
    func encode(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int32]
    func decode(_ ids: [Int32]) -> [UInt8]
}

/// One token per byte, id = byte value: no training, no unknown input, 256 ids.
public struct ByteTokenizer: TextTokenizer, Equatable {
    public init() {}

    public var vocabularySize: Int { 256 }

    public var endOfTextId: Int32? { nil }

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

extension Tokenizer {
    /// The byte tokenizer as a `Tokenizer` (256 tokens, no merges), for models trained on raw bytes.
    public static let bytes: Tokenizer = {
        let model = try! BPEModel(tokens: (0..<256).map { [UInt8($0)] }, merges: [])
        return Tokenizer(model: model, pattern: .gpt2)
    }()

    /// `<|endoftext|>`, the GPT-2 convention that Seed's tokenizers follow.
    public var endOfTextId: Int32? { specialTokenId("<|endoftext|>") }
}
