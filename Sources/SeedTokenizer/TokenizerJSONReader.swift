import Foundation

extension Tokenizer {
    /// Loads `tokenizer.json`, given as the file itself or as the folder that holds it.
    public static func load(_ url: URL) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? url.appendingPathComponent("tokenizer.json") : url
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw TokenizerError.unreadable(path: file.path, reason: FileManager.default.fileExists(atPath: file.path)
                ? error.localizedDescription : "no such file")
        }
        return try Tokenizer(tokenizerJSON: data, path: file.path)
    }

    /// Reads a Hugging Face tokenizer.json of a byte-level BPE model. `path` only names the source in errors.
    public convenience init(tokenizerJSON data: Data, path: String = "tokenizer.json") throws {
        let reader = TokenizerJSONReader(path: path)
        let parsed: JSONValue
        do { parsed = try data.withUnsafeBytes { try JSONValue.parse($0.bindMemory(to: UInt8.self)) } } catch let error as JSONValue.SyntaxError {
            throw TokenizerError.malformed(path: path, reason: "\(error.reason) at byte \(error.offset)")
        }
        guard let root = parsed.object else { throw TokenizerError.malformed(path: path, reason: "it is not a JSON object") }
        let specials = try reader.addedTokens(root["added_tokens"])
        let split = try reader.preTokenizer(root["pre_tokenizer"])
        let normalizesNFC = try reader.normalizer(root["normalizer"])
        try reader.checkDecoder(root["decoder"])
        let model = try reader.model(root["model"], specials: specials)
        let (prefix, suffix) = try reader.postProcessor(root["post_processor"])
        self.init(model: model, pattern: split.pattern, specialTokens: specials, addsPrefixSpace: split.addsPrefixSpace,
                  normalizesNFC: normalizesNFC, prefixIds: prefix, suffixIds: suffix)
    }
}

/// The parts of tokenizer.json, read one section at a time with errors that name the section.
private struct TokenizerJSONReader {
    let path: String

    func malformed(_ reason: String) -> TokenizerError { .malformed(path: path, reason: reason) }
    func unsupported(_ what: String) -> TokenizerError { .unsupported(path: path, what: what) }

    func isNull(_ value: JSONValue?) -> Bool { value == nil || value == .null }

    func addedTokens(_ value: JSONValue?) throws -> [SpecialToken] {
        guard !isNull(value) else { return [] }
        guard let entries = value?.array else { throw malformed("added_tokens must be a list of objects") }
        return try entries.enumerated().map { index, entry in
            guard let content = entry["content"]?.string, let id = entry["id"]?.int, id >= 0, id <= Int(Int32.max) else {
                throw malformed("added_tokens[\(index)] needs a string `content` and a non-negative integer `id`")
            }
            return SpecialToken(content: content, id: Int32(id), isSpecial: entry["special"]?.bool ?? false)
        }
    }

    /// The split pattern and prefix-space rule of a ByteLevel or Split + ByteLevel pre-tokenizer.
    func preTokenizer(_ value: JSONValue?) throws -> (pattern: SplitPattern?, addsPrefixSpace: Bool) {
        guard let type = value?["type"]?.string else {
            throw unsupported("a tokenizer without a ByteLevel pre-tokenizer (not byte-level BPE)")
        }
        switch type {
        case "ByteLevel":
            let usesRegex = value?["use_regex"]?.bool ?? true
            return (usesRegex ? .gpt2 : nil, value?["add_prefix_space"]?.bool ?? true)
        case "Sequence":
            guard let steps = value?["pretokenizers"]?.array else { throw malformed("pre_tokenizer.pretokenizers must be a list") }
            var pattern: SplitPattern?
            var byteLevel: (usesRegex: Bool, addsPrefixSpace: Bool)?
            for step in steps {
                switch step["type"]?.string {
                case "Split" where pattern == nil && byteLevel == nil: pattern = try splitPattern(step)
                case "ByteLevel" where byteLevel == nil:
                    byteLevel = (step["use_regex"]?.bool ?? true, step["add_prefix_space"]?.bool ?? true)
                default: throw unsupported("pre-tokenizer sequence step \(step["type"]?.string ?? "?") in this position")
                }
            }
            guard let byteLevel else { throw unsupported("a pre-tokenizer sequence without ByteLevel (not byte-level BPE)") }
            if byteLevel.usesRegex {
                guard pattern == nil else { throw unsupported("a Split followed by a ByteLevel step that splits again") }
                pattern = .gpt2
            }
            return (pattern, byteLevel.addsPrefixSpace)
        default:
            throw unsupported("pre-tokenizer \(type)")
        }
    }

    private func splitPattern(_ step: JSONValue) throws -> SplitPattern {
        guard let regex = step["pattern"]?["Regex"]?.string else { throw unsupported("a Split pre-tokenizer on a literal string") }
        guard (step["behavior"]?.string ?? "Isolated") == "Isolated", step["invert"]?.bool != true else {
            throw unsupported("a Split pre-tokenizer with behavior \(step["behavior"]?.string ?? "?") or invert")
        }
        guard let pattern = SplitPattern(regex: regex) else { throw unsupported("the split regex \(regex)") }
        return pattern
    }

    func normalizer(_ value: JSONValue?) throws -> Bool {
        guard !isNull(value) else { return false }
        guard let type = value?["type"]?.string else { throw malformed("normalizer must be an object") }
        switch type {
        case "NFC": return true
        case "Sequence" where value?["normalizers"]?.array?.isEmpty == true: return false
        default: throw unsupported("normalizer \(type)")
        }
    }

    func checkDecoder(_ value: JSONValue?) throws {
        guard !isNull(value) else { return }
        guard let type = value?["type"]?.string else { throw malformed("decoder must be an object") }
        guard type == "ByteLevel" else { throw unsupported("decoder \(type)") }
    }

    func model(_ value: JSONValue?, specials: [SpecialToken]) throws -> BPEModel {
        guard let object = value?.object else { throw malformed("`model` is missing") }
        let type = object["type"]?.string ?? "BPE"
        guard type == "BPE" else { throw unsupported("model type \(type)") }
        if object["byte_fallback"]?.bool == true { throw unsupported("BPE with byte_fallback (SentencePiece style)") }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] where !isNull(object[key]) && object[key]?.string != "" {
            throw unsupported("BPE with \(key)")
        }
        if case .number(let dropout)? = object["dropout"], dropout > 0 { throw unsupported("BPE dropout") }
        guard let entries = object["vocab"]?.object else { throw malformed("model.vocab must be an object of token: id") }
        let specialContents = Set(specials.map(\.content))
        var vocab: [String: Int32] = [:]
        vocab.reserveCapacity(entries.count)
        var tokens: [[UInt8]?] = []
        for (token, idValue) in entries {
            guard let id = idValue.int, id >= 0, id <= Int(Int32.max) else { throw malformed("vocab entry \(token) has no valid id") }
            vocab[token] = Int32(id)
            guard let bytes = ByteLevelAlphabet.bytes(for: token) else {
                if specialContents.contains(token) { continue }
                throw unsupported("vocab entry \(token), which is not in the byte-level alphabet,")
            }
            if id >= tokens.count { tokens += [[UInt8]?](repeating: nil, count: id + 1 - tokens.count) }
            tokens[id] = bytes
        }
        let merges = try self.merges(object["merges"], vocab: vocab)
        let unknown = object["unk_token"]?.string.flatMap { vocab[$0] }
        return try BPEModel(tokens: tokens, merges: merges, ignoresMerges: object["ignore_merges"]?.bool ?? false, unknownId: unknown)
    }

    /// Merges as `"a b"` strings (before tokenizers 0.20) or as `["a", "b"]` pairs.
    private func merges(_ value: JSONValue?, vocab: [String: Int32]) throws -> [TokenPair] {
        guard let entries = value?.array else { throw malformed("model.merges must be a list") }
        var pairs: [TokenPair] = []
        pairs.reserveCapacity(entries.count)
        for (rank, entry) in entries.enumerated() {
            var left: Int32?, right: Int32?
            switch entry {
            case .string(let text):
                // Byte-level tokens never hold a space (it is written Ġ), so the one space separates the two.
                let parts = text.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
                if parts.count == 2 { (left, right) = (vocab[String(Substring(parts[0]))], vocab[String(Substring(parts[1]))]) }
            case .array(let pair) where pair.count == 2:
                if let a = pair[0].string, let b = pair[1].string { (left, right) = (vocab[a], vocab[b]) }
            default:
                throw malformed("merges[\(rank)] is neither \"a b\" nor [\"a\", \"b\"]")
            }
            guard let left, let right else { throw malformed("merges[\(rank)] does not join two vocabulary tokens") }
            pairs.append(TokenPair(left: left, right: right))
        }
        return pairs
    }

    /// Ids added around every encoded text: from a TemplateProcessing `single` template.
    func postProcessor(_ value: JSONValue?) throws -> (prefix: [Int32], suffix: [Int32]) {
        guard !isNull(value) else { return ([], []) }
        guard let type = value?["type"]?.string else { throw malformed("post_processor must be an object") }
        switch type {
        case "ByteLevel": return ([], [])
        case "Sequence":
            var result: (prefix: [Int32], suffix: [Int32]) = ([], [])
            for step in value?["processors"]?.array ?? [] {
                let ids = try postProcessor(step)
                result.prefix += ids.prefix
                result.suffix += ids.suffix
            }
            return result
        case "TemplateProcessing": return try template(value!)
        default: throw unsupported("post-processor \(type)")
        }
    }

    private func template(_ object: JSONValue) throws -> (prefix: [Int32], suffix: [Int32]) {
        guard let single = object["single"]?.array else { throw malformed("TemplateProcessing needs a `single` template") }
        var prefix: [Int32] = [], suffix: [Int32] = []
        var seenSequence = false
        for item in single {
            if item["Sequence"] != nil {
                seenSequence = true
            } else if let name = item["SpecialToken"]?["id"]?.string {
                guard let ids = object["special_tokens"]?[name]?["ids"]?.array else { throw malformed("template token \(name) has no ids") }
                let values = try ids.map { id -> Int32 in
                    guard let id = id.int, id >= 0 else { throw malformed("template token \(name) has a bad id") }
                    return Int32(id)
                }
                if seenSequence { suffix += values } else { prefix += values }
            }
        }
        return (prefix, suffix)
    }
}
