import Foundation

/// Where `Tokenizer.train` is: counting words (bytes read so far) or learning merges.
public enum TokenizerTrainingProgress: Sendable {
    case counting(bytesDone: Int, bytesTotal: Int)
    case merging(done: Int, total: Int)
}

extension Tokenizer {
    /// End of text, and ChatML's turn delimiters so that every Seed tokenizer can encode chats.
    public static let defaultSpecialTokens = ["<|endoftext|>", ChatTemplate.startToken, ChatTemplate.endToken]

    /// Learns a byte-level BPE tokenizer of `vocabularySize` ids (256 bytes, the merges, then the special
    /// tokens) from text files. The vocabulary ends up smaller when the corpus runs out of pairs that occur
    /// at least `minimumFrequency` times.
    public static func train(
        files: [URL], vocabularySize: Int, pattern: SplitPattern = .gpt4,
        specialTokens: [String] = defaultSpecialTokens, minimumFrequency: Int = BPETrainer.defaultMinimumFrequency,
        progress: ((TokenizerTrainingProgress) -> Void)? = nil
    ) throws -> Tokenizer {
        let minimum = 256 + specialTokens.count
        guard vocabularySize >= minimum else { throw TokenizerError.badVocabularySize(requested: vocabularySize, minimum: minimum) }
        if let duplicate = Dictionary(grouping: specialTokens, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw TokenizerError.duplicateSpecialToken(duplicate)
        }
        let sizes = try files.map { file -> Int in
            do { return try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int ?? 0 } catch {
                throw TokenizerError.unreadable(path: file.path, reason: "no such file")
            }
        }
        let total = sizes.reduce(0, +)
        var counter = WordCounter(pattern: pattern)
        var done = 0
        for (file, size) in zip(files, sizes) {
            do { try counter.add(file: file) } catch {
                throw TokenizerError.unreadable(path: file.path, reason: error.localizedDescription)
            }
            done += size
            progress?(.counting(bytesDone: done, bytesTotal: total))
        }
        let merges = BPETrainer.learnMerges(from: counter.counts, mergeCount: vocabularySize - minimum,
                                            minimumFrequency: minimumFrequency) { progress?(.merging(done: $0, total: $1)) }
        return try Tokenizer(learnedMerges: merges, pattern: pattern, specialTokens: specialTokens)
    }

    /// A tokenizer from merges in the trainer's numbering (merge i makes id 256 + i). Two merges can spell
    /// the same bytes in rare corpora; the second then reuses the first one's id, so ids stay dense and the
    /// model means the same after a round trip through tokenizer.json.
    public convenience init(learnedMerges: [TokenPair], pattern: SplitPattern?, specialTokens: [String]) throws {
        var tokens: [[UInt8]?] = (0..<256).map { [UInt8($0)] }
        var idForBytes: [[UInt8]: Int32] = [:]
        for (id, bytes) in tokens.enumerated() { idForBytes[bytes!] = Int32(id) }
        var canonical = [Int32](0..<256)
        var merges: [TokenPair] = []
        for (rank, merge) in learnedMerges.enumerated() {
            guard Int(merge.left) < canonical.count, Int(merge.right) < canonical.count, merge.left >= 0, merge.right >= 0 else {
                throw TokenizerError.badMerge(rank: rank, reason: "it joins an id that no earlier merge made")
            }
            let pair = TokenPair(left: canonical[Int(merge.left)], right: canonical[Int(merge.right)])
            let bytes = tokens[Int(pair.left)]! + tokens[Int(pair.right)]!
            if let existing = idForBytes[bytes] {
                canonical.append(existing)
            } else {
                let id = Int32(tokens.count)
                tokens.append(bytes)
                idForBytes[bytes] = id
                canonical.append(id)
            }
            merges.append(pair)
        }
        let specials = specialTokens.enumerated().map { SpecialToken(content: $1, id: Int32(tokens.count + $0)) }
        self.init(model: try BPEModel(tokens: tokens, merges: merges), pattern: pattern, specialTokens: specials)
    }
}
