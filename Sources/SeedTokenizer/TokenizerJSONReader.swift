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
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TokenizerError.malformed(path: path, reason: "it is not a JSON object")
        }
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

    func int(_ value: Any?) -> Int? {
        if let int = value as? Int { return int }
        guard let number = value as? NSNumber else { return nil }
        let int = number.intValue
        return Double(int) == number.doubleValue ? int : nil
    }

    func isNull(_ value: Any?) -> Bool { value == nil || value is NSNull }

    func addedTokens(_ value: Any?) throws -> [SpecialToken] {
        guard !isNull(value) else { return [] }
        guard let entries = value as? [[String: Any]] else { throw malformed("added_tokens must be a list of objects") }
        return try entries.enumerated().map { index, entry in
            guard let content = entry["content"] as? String, let id = int(entry["id"]), id >= 0 else {
                throw malformed("added_tokens[\(index)] needs a string `content` and a non-negative integer `id`")
            }
            return SpecialToken(content: content, id: Int32(id), isSpecial: (entry["special"] as? Bool) ?? false)
        }
    }

    /// The split pattern and prefix-space rule of a ByteLevel or Split + ByteLevel pre-tokenizer.
    func preTokenizer(_ value: Any?) throws -> (pattern: SplitPattern?, addsPrefixSpace: Bool) {
        guard let object = value as? [String: Any], let type = object["type"] as? String else {
            throw unsupported("a tokenizer without a ByteLevel pre-tokenizer (not byte-level BPE)")
        }
        switch type {
        case "ByteLevel":
            let usesRegex = (object["use_regex"] as? Bool) ?? true
            return (usesRegex ? .gpt2 : nil, (object["add_prefix_space"] as? Bool) ?? true)
        case "Sequence":
            guard let steps = object["pretokenizers"] as? [[String: Any]] else { throw malformed("pre_tokenizer.pretokenizers must be a list") }
            var pattern: SplitPattern?
            var byteLevel: (usesRegex: Bool, addsPrefixSpace: Bool)?
            for step in steps {
                switch step["type"] as? String {
                case "Split" where pattern == nil && byteLevel == nil: pattern = try splitPattern(step)
                case "ByteLevel" where byteLevel == nil:
                    byteLevel = ((step["use_regex"] as? Bool) ?? true, (step["add_prefix_space"] as? Bool) ?? true)
                default: throw unsupported("pre-tokenizer sequence step \(step["type"] as? String ?? "?") in this position")
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

    private func splitPattern(_ step: [String: Any]) throws -> SplitPattern {
        guard let source = step["pattern"] as? [String: Any], let regex = source["Regex"] as? String else {
            throw unsupported("a Split pre-tokenizer on a literal string")
        }
        guard (step["behavior"] as? String ?? "Isolated") == "Isolated", (step["invert"] as? Bool) != true else {
            throw unsupported("a Split pre-tokenizer with behavior \(step["behavior"] ?? "?") or invert")
        }
        guard let pattern = SplitPattern(regex: regex) else { throw unsupported("the split regex \(regex)") }
        return pattern
    }

    func normalizer(_ value: Any?) throws -> Bool {
        guard !isNull(value) else { return false }
        guard let object = value as? [String: Any], let type = object["type"] as? String else { throw malformed("normalizer must be an object") }
        switch type {
        case "NFC": return true
        case "Sequence" where (object["normalizers"] as? [Any])?.isEmpty == true: return false
        default: throw unsupported("normalizer \(type)")
        }
    }

    func checkDecoder(_ value: Any?) throws {
        guard !isNull(value) else { return }
        guard let type = (value as? [String: Any])?["type"] as? String else { throw malformed("decoder must be an object") }
        guard type == "ByteLevel" else { throw unsupported("decoder \(type)") }
    }

    func model(_ value: Any?, specials: [SpecialToken]) throws -> BPEModel {
        guard let object = value as? [String: Any] else { throw malformed("`model` is missing") }
        let type = object["type"] as? String ?? "BPE"
        guard type == "BPE" else { throw unsupported("model type \(type)") }
        if object["byte_fallback"] as? Bool == true { throw unsupported("BPE with byte_fallback (SentencePiece style)") }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] where !isNull(object[key]) && (object[key] as? String) != "" {
            throw unsupported("BPE with \(key)")
        }
        if let dropout = object["dropout"] as? NSNumber, dropout.doubleValue > 0 { throw unsupported("BPE dropout") }
        guard let vocab = object["vocab"] as? [String: Any] else { throw malformed("model.vocab must be an object of token: id") }
        let specialContents = Set(specials.map(\.content))
        var tokens: [[UInt8]?] = []
        for (token, idValue) in vocab {
            guard let id = int(idValue), id >= 0 else { throw malformed("vocab entry \(token) has no valid id") }
            guard let bytes = ByteLevelAlphabet.bytes(for: token) else {
                if specialContents.contains(token) { continue }
                throw unsupported("vocab entry \(token), which is not in the byte-level alphabet,")
            }
            if id >= tokens.count { tokens += [[UInt8]?](repeating: nil, count: id + 1 - tokens.count) }
            tokens[id] = bytes
        }
        let merges = try self.merges(object["merges"], vocab: vocab)
        let unknown = (object["unk_token"] as? String).flatMap { vocab[$0] }.flatMap(int).map(Int32.init)
        return try BPEModel(tokens: tokens, merges: merges, ignoresMerges: object["ignore_merges"] as? Bool ?? false,
                            unknownId: unknown)
    }

    /// Merges as `"a b"` strings (before tokenizers 0.20) or as `["a", "b"]` pairs.
    private func merges(_ value: Any?, vocab: [String: Any]) throws -> [TokenPair] {
        guard let entries = value as? [Any] else { throw malformed("model.merges must be a list") }
        var pairs: [TokenPair] = []
        pairs.reserveCapacity(entries.count)
        for (rank, entry) in entries.enumerated() {
            let parts: [String]
            if let text = entry as? String {
                parts = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else if let pair = entry as? [String] {
                parts = pair
            } else {
                throw malformed("merges[\(rank)] is neither \"a b\" nor [\"a\", \"b\"]")
            }
            guard parts.count == 2, let left = vocab[parts[0]].flatMap(int), let right = vocab[parts[1]].flatMap(int) else {
                throw malformed("merges[\(rank)] does not join two vocabulary tokens")
            }
            pairs.append(TokenPair(left: Int32(left), right: Int32(right)))
        }
        return pairs
    }

    /// Ids added around every encoded text: from a TemplateProcessing `single` template.
    func postProcessor(_ value: Any?) throws -> (prefix: [Int32], suffix: [Int32]) {
        guard !isNull(value) else { return ([], []) }
        guard let object = value as? [String: Any], let type = object["type"] as? String else { throw malformed("post_processor must be an object") }
        switch type {
        case "ByteLevel": return ([], [])
        case "Sequence":
            var result: (prefix: [Int32], suffix: [Int32]) = ([], [])
            for step in object["processors"] as? [Any] ?? [] {
                let ids = try postProcessor(step)
                result.prefix += ids.prefix
                result.suffix += ids.suffix
            }
            return result
        case "TemplateProcessing": return try template(object)
        default: throw unsupported("post-processor \(type)")
        }
    }

    private func template(_ object: [String: Any]) throws -> (prefix: [Int32], suffix: [Int32]) {
        guard let single = object["single"] as? [[String: Any]] else { throw malformed("TemplateProcessing needs a `single` template") }
        let specials = object["special_tokens"] as? [String: [String: Any]] ?? [:]
        var prefix: [Int32] = [], suffix: [Int32] = []
        var seenSequence = false
        for item in single {
            if item["Sequence"] != nil {
                seenSequence = true
            } else if let special = item["SpecialToken"] as? [String: Any], let name = special["id"] as? String {
                guard let ids = specials[name]?["ids"] as? [Any] else { throw malformed("template token \(name) has no ids") }
                let values = try ids.map { id -> Int32 in
                    guard let id = int(id) else { throw malformed("template token \(name) has a bad id") }
                    return Int32(id)
                }
                if seenSequence { suffix += values } else { prefix += values }
            }
        }
        return (prefix, suffix)
    }
}
