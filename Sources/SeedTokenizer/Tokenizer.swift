import Foundation

/// A byte-level BPE tokenizer: special tokens, then the split pattern, then merges inside each piece.
/// Immutable and shareable across threads; each thread encodes through its own `Encoder` and cache.
public final class Tokenizer: TextTokenizer, @unchecked Sendable {
    public let model: BPEModel
    /// How text is cut into pieces; nil keeps each stretch between special tokens whole.
    public let pattern: SplitPattern?
    /// GPT-2 style `add_prefix_space`: a space goes before text that does not start with one.
    public let addsPrefixSpace: Bool
    /// Unicode NFC before splitting, as some tokenizer.json files (Qwen) ask.
    public let normalizesNFC: Bool
    public let specialTokens: [SpecialToken]
    /// Ids put around every text by `encode(_:addingSpecialTokens: true)`: a BOS token, usually.
    public let prefixIds: [Int32]
    public let suffixIds: [Int32]
    let preTokenizer: PreTokenizer?
    /// Every id's bytes for decoding, special tokens included: one lookup per id on the hot path.
    private let decodeTable: DecodeTable
    private let cachePool = PieceCachePool()

    public init(model: BPEModel, pattern: SplitPattern?, specialTokens: [SpecialToken] = [], addsPrefixSpace: Bool = false,
                normalizesNFC: Bool = false, prefixIds: [Int32] = [], suffixIds: [Int32] = []) {
        self.model = model
        self.pattern = pattern
        self.preTokenizer = pattern.map(PreTokenizer.init(pattern:))
        self.specialTokens = specialTokens
        self.addsPrefixSpace = addsPrefixSpace
        self.normalizesNFC = normalizesNFC
        self.prefixIds = prefixIds
        self.suffixIds = suffixIds
        self.decodeTable = DecodeTable(model: model, specialTokens: specialTokens)
    }

    /// Ids run from 0 to one less than this (special tokens included).
    public var vocabularySize: Int {
        max(model.idCount, (specialTokens.map { Int($0.id) }.max() ?? -1) + 1)
    }

    public func specialTokenId(_ content: String) -> Int32? {
        specialTokens.first { $0.content == content }?.id
    }

    // MARK: Encoding

    /// An encoder with an empty cache of its own, for a caller that keeps it (one per thread).
    public func makeEncoder(allowedSpecial: SpecialTokenPolicy = .none) -> Encoder {
        Encoder(tokenizer: self, matcher: SpecialTokenMatcher(specialTokens, policy: allowedSpecial), cache: PieceCache())
    }

    /// Runs `body` with an encoder whose cache was warmed by earlier calls on this tokenizer: corpus files,
    /// requests and batches are encoded one call at a time, and a cold cache would re-merge every word of
    /// every call.
    func withEncoder<T>(allowedSpecial: SpecialTokenPolicy = .none, _ body: (inout Encoder) -> T) -> T {
        var encoder = Encoder(tokenizer: self, matcher: SpecialTokenMatcher(specialTokens, policy: allowedSpecial),
                              cache: cachePool.take())
        defer { cachePool.give(encoder.cache) }
        return body(&encoder)
    }

    public func encode(_ text: String, allowedSpecial: SpecialTokenPolicy = .none, addingSpecialTokens: Bool = false) -> [Int32] {
        var ids = addingSpecialTokens ? prefixIds : []
        var text = text
        withEncoder(allowedSpecial: allowedSpecial) { encoder in
            text.withUTF8 { encoder.encode($0, into: &ids) }
        }
        if addingSpecialTokens { ids += suffixIds }
        return ids
    }

    /// `TextTokenizer`: plain text (no special tokens recognised), on every core for big inputs.
    public func encode(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int32] {
        encodeInParallel(bytes)
    }

    /// Encodes each text on its own; the texts are shared among the cores.
    public func encodeBatch(_ texts: [String], allowedSpecial: SpecialTokenPolicy = .none) -> [[Int32]] {
        var results = [[Int32]](repeating: [], count: texts.count)
        let workers = min(texts.count, ProcessInfo.processInfo.activeProcessorCount)
        guard workers > 1 else { return texts.map { encode($0, allowedSpecial: allowedSpecial) } }
        results.withUnsafeMutableBufferPointer { results in
            let results = results
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                withEncoder(allowedSpecial: allowedSpecial) { encoder in
                    for index in stride(from: worker, to: texts.count, by: workers) {
                        var text = texts[index]
                        var ids: [Int32] = []
                        text.withUTF8 { encoder.encode($0, into: &ids) }
                        results[index] = ids
                    }
                }
            }
        }
        return results
    }

    /// Encodes one big text on every core, special-token text included as plain text. The text is cut into
    /// slices only where no split pattern can join the bytes on either side (see `TextCuts.isSafeCut`),
    /// so the ids are exactly those of a single-threaded pass.
    public func encodeInParallel(_ text: UnsafeBufferPointer<UInt8>) -> [Int32] {
        let workers = ProcessInfo.processInfo.activeProcessorCount
        let sliceBytes = 1 << 20
        // Without a split pattern the whole text is one piece, which no cut may divide.
        guard workers > 1, text.count >= 2 * sliceBytes, pattern != nil else {
            return withEncoder { $0.encodeAll(text) }
        }
        let slices = TextCuts.cut(text, into: text.count / sliceBytes)
        var parts = [[Int32]](repeating: [], count: slices.count)
        parts.withUnsafeMutableBufferPointer { parts in
            let parts = parts
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                withEncoder { encoder in
                    for index in stride(from: worker, to: slices.count, by: workers) {
                        var ids: [Int32] = []
                        ids.reserveCapacity(slices[index].count / 3)
                        encoder.encode(UnsafeBufferPointer(rebasing: text[slices[index]]), into: &ids, continuingEarlierText: index > 0)
                        parts[index] = ids
                    }
                }
            }
        }
        return Self.concatenate(parts)
    }

    /// One copy per part: `Array(parts.joined())` walks a million ids one at a time through a generic iterator.
    static func concatenate(_ parts: [[Int32]]) -> [Int32] {
        let total = parts.reduce(0) { $0 + $1.count }
        return [Int32](unsafeUninitializedCapacity: total) { buffer, initialized in
            var position = 0
            for part in parts where !part.isEmpty {
                part.withUnsafeBufferPointer { (buffer.baseAddress! + position).update(from: $0.baseAddress!, count: $0.count) }
                position += part.count
            }
            initialized = total
        }
    }

    /// The last place in `text` where it may be cut without changing its tokens, nil if there is none:
    /// for feeding a big file to `encode` in blocks.
    public static func lastSafeCut(in text: UnsafeBufferPointer<UInt8>) -> Int? {
        TextCuts.lastSafeCut(in: text)
    }

    /// Encodes text with a cache of the pieces it has seen; one per thread.
    public struct Encoder {
        let tokenizer: Tokenizer
        let matcher: SpecialTokenMatcher
        fileprivate(set) var cache: PieceCache

        /// The model's single-byte tokens, held here so that the hot path touches no other model field
        /// (copying the model struct would retain each of its arrays for every piece).
        private let byteIds: [Int32]

        init(tokenizer: Tokenizer, matcher: SpecialTokenMatcher, cache: PieceCache) {
            self.tokenizer = tokenizer
            self.matcher = matcher
            self.cache = cache
            self.byteIds = tokenizer.model.byteIds
        }

        /// The ids of UTF-8 `text`.
        public mutating func encodeAll(_ text: UnsafeBufferPointer<UInt8>) -> [Int32] {
            var ids: [Int32] = []
            encode(text, into: &ids)
            return ids
        }

        /// Appends the ids of UTF-8 `text` to `ids`.
        public mutating func encode(_ text: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
            encode(text, into: &ids, continuingEarlierText: false)
        }

        /// `continuingEarlierText`: the text is a later slice of a longer one, so its start is not the start
        /// of a segment and gets no prefix space.
        mutating func encode(_ text: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], continuingEarlierText: Bool) {
            var start = 0
            var continuing = continuingEarlierText
            while let special = matcher.next(in: text, from: start) {
                encodeOrdinary(UnsafeBufferPointer(rebasing: text[start..<special.range.lowerBound]), into: &ids, continuing: continuing)
                ids.append(special.id)
                start = special.range.upperBound
                continuing = false
            }
            encodeOrdinary(UnsafeBufferPointer(rebasing: text[start...]), into: &ids, continuing: continuing)
        }

        private mutating func encodeOrdinary(_ text: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], continuing: Bool) {
            guard !text.isEmpty else { return }
            let prefixSpace = tokenizer.addsPrefixSpace && !continuing && text[0] != 0x20
            if tokenizer.normalizesNFC || prefixSpace {
                var prepared = prefixSpace ? [0x20] : [UInt8]()
                if tokenizer.normalizesNFC {
                    prepared += String(decoding: text, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8
                } else {
                    prepared += text
                }
                prepared.withUnsafeBufferPointer { encodePieces($0, into: &ids) }
            } else {
                encodePieces(text, into: &ids)
            }
        }

        private mutating func encodePieces(_ text: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
            guard let preTokenizer = tokenizer.preTokenizer else {
                encodePiece(text, into: &ids)
                return
            }
            preTokenizer.split(text) { range in
                encodePiece(UnsafeBufferPointer(rebasing: text[range]), into: &ids)
            }
        }

        @inline(__always) private mutating func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
            if piece.count == 1 {
                let id = byteIds[Int(piece[0])]
                if id >= 0 { ids.append(id) } else if let unknown = tokenizer.model.unknownId { ids.append(unknown) }
                return
            }
            let hash = PieceCache.hash(piece)
            if cache.appendCached(piece, hash: hash, to: &ids) { return }
            let first = ids.count
            tokenizer.model.encode(piece: piece, into: &ids)
            cache.insert(piece, hash: hash, ids: ids[first...])
        }
    }

    // MARK: Decoding

    /// The bytes of the tokens, concatenated; ids outside the vocabulary give nothing.
    public func decodeBytes(_ ids: [Int32], skipSpecialTokens: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = []
        ids.withUnsafeBufferPointer { decodeTable.append($0, skippingSpecial: skipSpecialTokens, to: &bytes) }
        return bytes
    }

    /// `TextTokenizer`: the raw bytes.
    public func decode(_ ids: [Int32]) -> [UInt8] { decodeBytes(ids) }

    /// Text of the tokens; byte sequences that are not UTF-8 become U+FFFD, as Hugging Face's decoder does.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = false) -> String {
        String(decoding: decodeBytes(ids, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
    }

    public func streamingDecoder(skipSpecialTokens: Bool = false) -> StreamingDecoder {
        StreamingDecoder(tokenizer: self, skipSpecialTokens: skipSpecialTokens)
    }
}

/// Token bytes by id in one arena, with special tokens marked so that decoding can skip them.
struct DecodeTable: Sendable {
    static let slack = 16
    private let starts: [Int32]
    private let bytes: [UInt8]
    private let special: [Bool]

    init(model: BPEModel, specialTokens: [SpecialToken]) {
        let count = max(model.idCount, (specialTokens.map { Int($0.id) }.max() ?? -1) + 1)
        var contents = [ArraySlice<UInt8>](repeating: [], count: count)
        var special = [Bool](repeating: false, count: count)
        for id in 0..<model.idCount { contents[id] = model.bytes(of: Int32(id)) }
        for token in specialTokens {
            contents[Int(token.id)] = ArraySlice(token.content.utf8)
            special[Int(token.id)] = token.isSpecial
        }
        var starts: [Int32] = [0]
        var arena: [UInt8] = []
        for content in contents {
            arena += content
            starts.append(Int32(arena.count))
        }
        arena += repeatElement(0, count: Self.slack)
        self.starts = starts
        self.bytes = arena
        self.special = special
    }

    /// Sizes the output once, then copies each token's bytes with one 16-byte vector move when they fit
    /// (tokens average four bytes, so a per-token `append(contentsOf:)` or a length-exact copy costs more than
    /// the bytes themselves). The moves may write past a token's end into the next one's place or into the
    /// 16 bytes of slack, which the final truncation drops; the arena has the same slack for the loads.
    func append(_ ids: UnsafeBufferPointer<Int32>, skippingSpecial: Bool, to output: inout [UInt8]) {
        starts.withUnsafeBufferPointer { starts in
            bytes.withUnsafeBufferPointer { bytes in
                special.withUnsafeBufferPointer { special in
                    let count = starts.count - 1
                    @inline(__always) func kept(_ id: Int32) -> Int? {
                        let index = Int(id)
                        guard index >= 0, index < count, !(skippingSpecial && special[index]) else { return nil }
                        return index
                    }
                    var total = 0
                    for id in ids {
                        if let index = kept(id) { total += Int(starts[index + 1] - starts[index]) }
                    }
                    let first = output.count
                    output.append(contentsOf: repeatElement(0, count: total + Self.slack))
                    output.withUnsafeMutableBufferPointer { out in
                        var target = out.baseAddress! + first
                        let source = bytes.baseAddress!
                        for id in ids {
                            guard let index = kept(id) else { continue }
                            let start = Int(starts[index]), length = Int(starts[index + 1]) - start
                            if length <= Self.slack {
                                UnsafeMutableRawPointer(target).storeBytes(
                                    of: UnsafeRawPointer(source + start).loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
                            } else {
                                target.update(from: source + start, count: length)
                            }
                            target += length
                        }
                    }
                    output.removeLast(Self.slack)
                }
            }
        }
    }
}

/// Turns tokens into text as they arrive. A token may end inside a UTF-8 character (byte-level BPE splits
/// emoji and CJK across tokens), so an incomplete character is held back until its last byte comes.
public struct StreamingDecoder {
    let tokenizer: Tokenizer
    let skipSpecialTokens: Bool
    private var pending: [UInt8] = []

    init(tokenizer: Tokenizer, skipSpecialTokens: Bool) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// The bytes that are now complete characters (possibly none).
    public mutating func append(_ token: Int32) -> [UInt8] {
        pending += tokenizer.decodeBytes([token], skipSpecialTokens: skipSpecialTokens)
        let complete = Self.completePrefixLength(pending)
        let ready = Array(pending[..<complete])
        pending.removeFirst(complete)
        return ready
    }

    /// What is still held back: the start of a character that never finished.
    public mutating func flush() -> [UInt8] {
        defer { pending = [] }
        return pending
    }

    /// The length of `bytes` without a trailing, unfinished UTF-8 sequence. Bytes that can never start or
    /// continue a valid sequence are passed on rather than held forever.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        var i = bytes.count - 1
        var continuations = 0
        while i >= 0, continuations < 3, bytes[i] & 0xC0 == 0x80 {
            continuations += 1
            i -= 1
        }
        guard i >= 0 else { return bytes.count }
        let lead = bytes[i]
        let needed: Int
        switch lead {
        case 0xC2...0xDF: needed = 1
        case 0xE0...0xEF: needed = 2
        case 0xF0...0xF4: needed = 3
        default: return bytes.count
        }
        return continuations < needed ? i : bytes.count
    }
}
