import Foundation

extension Tokenizer {
    /// tokenizer.json in the layout Hugging Face `tokenizers` writes: byte-level alphabet strings, merges as
    /// pairs (tokenizers ≥ 0.20; strings cannot hold tokens with spaces), special tokens as added tokens.
    public func tokenizerJSON() -> Data {
        var json = JSONText()
        json.raw("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [")
        for (index, token) in specialTokens.enumerated() {
            json.raw(index == 0 ? "\n    " : ",\n    ")
            json.raw("{\"id\": \(token.id), \"content\": ")
            json.string(token.content)
            json.raw(", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": \(token.isSpecial)}")
        }
        json.raw(specialTokens.isEmpty ? "],\n" : "\n  ],\n")
        json.raw("  \"normalizer\": \(normalizesNFC ? "{\"type\": \"NFC\"}" : "null"),\n")
        json.raw("  \"pre_tokenizer\": ")
        writePreTokenizer(&json)
        json.raw(",\n  \"post_processor\": ")
        writePostProcessor(&json)
        json.raw(",\n  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n")
        json.raw("  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": ")
        if let unknown = model.unknownId { json.string(ByteLevelAlphabet.string(for: model.bytes(of: unknown))) } else { json.raw("null") }
        json.raw(",\n    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n")
        json.raw("    \"byte_fallback\": false,\n    \"ignore_merges\": \(model.ignoresMerges),\n    \"vocab\": {")
        var first = true
        for id in 0..<model.idCount {
            let bytes = model.bytes(of: Int32(id))
            guard !bytes.isEmpty, model.id(of: Array(bytes)) == Int32(id) else { continue }
            json.raw(first ? "\n      " : ",\n      ")
            first = false
            json.string(ByteLevelAlphabet.string(for: bytes))
            json.raw(": \(id)")
        }
        // Hugging Face's own files list added tokens in the vocabulary too, which pins their ids on load.
        for token in specialTokens where Int(token.id) >= model.idCount || model.bytes(of: token.id).isEmpty {
            json.raw(first ? "\n      " : ",\n      ")
            first = false
            json.string(token.content)
            json.raw(": \(token.id)")
        }
        json.raw("\n    },\n    \"merges\": [")
        for (rank, pair) in model.merges.enumerated() {
            json.raw(rank == 0 ? "\n      [" : ",\n      [")
            json.string(ByteLevelAlphabet.string(for: model.bytes(of: pair.left)))
            json.raw(", ")
            json.string(ByteLevelAlphabet.string(for: model.bytes(of: pair.right)))
            json.raw("]")
        }
        json.raw(model.merges.isEmpty ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n")
        return json.data
    }

    private func writePreTokenizer(_ json: inout JSONText) {
        let byteLevel = { (usesRegex: Bool) in
            "{\"type\": \"ByteLevel\", \"add_prefix_space\": \(self.addsPrefixSpace), \"trim_offsets\": true, \"use_regex\": \(usesRegex)}"
        }
        switch pattern {
        case .gpt2?: json.raw(byteLevel(true))
        case nil: json.raw(byteLevel(false))
        case let pattern?:
            json.raw("{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": ")
            json.string(pattern.regex)
            json.raw("}, \"behavior\": \"Isolated\", \"invert\": false}, \(byteLevel(false))]}")
        }
    }

    private func writePostProcessor(_ json: inout JSONText) {
        guard !prefixIds.isEmpty || !suffixIds.isEmpty else {
            json.raw("{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": false, \"use_regex\": true}")
            return
        }
        func name(_ id: Int32) -> String {
            specialTokens.first { $0.id == id }?.content ?? ByteLevelAlphabet.string(for: model.bytes(of: id))
        }
        var items: [String] = []
        var specials: [Int32] = []
        func special(_ id: Int32) {
            var text = JSONText()
            text.raw("{\"SpecialToken\": {\"id\": ")
            text.string(name(id))
            text.raw(", \"type_id\": 0}}")
            items.append(String(decoding: text.data, as: UTF8.self))
            if !specials.contains(id) { specials.append(id) }
        }
        prefixIds.forEach(special)
        items.append("{\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}")
        suffixIds.forEach(special)
        let template = "[" + items.joined(separator: ", ") + "]"
        json.raw("{\"type\": \"TemplateProcessing\", \"single\": \(template), \"pair\": \(template), \"special_tokens\": {")
        for (index, id) in specials.enumerated() {
            if index > 0 { json.raw(", ") }
            json.string(name(id))
            json.raw(": {\"id\": ")
            json.string(name(id))
            json.raw(", \"ids\": [\(id)], \"tokens\": [")
            json.string(name(id))
            json.raw("]}")
        }
        json.raw("}}")
    }

    /// What transformers' `AutoTokenizer` needs beside tokenizer.json: the class, the end-of-text token and,
    /// when the ChatML tokens exist, the chat template.
    func tokenizerConfigJSON() -> Data {
        var json = JSONText()
        json.raw("{\n  \"tokenizer_class\": \"PreTrainedTokenizerFast\",\n  \"clean_up_tokenization_spaces\": false,\n")
        for (key, content) in [("eos_token", "<|endoftext|>"), ("pad_token", "<|endoftext|>")] where specialTokenId(content) != nil {
            json.raw("  \"\(key)\": ")
            json.string(content)
            json.raw(",\n")
        }
        if specialTokenId(ChatTemplate.startToken) != nil && specialTokenId(ChatTemplate.endToken) != nil {
            json.raw("  \"chat_template\": ")
            json.string(ChatTemplate.jinja)
            json.raw(",\n")
        }
        json.raw("  \"bos_token\": null\n}\n")
        return json.data
    }

    /// Writes `tokenizer.json` and `tokenizer_config.json` into `folder` (created if missing), replacing any earlier file only once the
    /// new one is complete.
    public func save(to folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try tokenizerJSON().write(to: folder.appendingPathComponent("tokenizer.json"), options: .atomic)
            try tokenizerConfigJSON().write(to: folder.appendingPathComponent("tokenizer_config.json"), options: .atomic)
        } catch {
            throw TokenizerError.unreadable(path: folder.path, reason: "cannot write tokenizer.json: \(error.localizedDescription)")
        }
    }
}

/// JSON text built by appending; strings are escaped as JSON requires and nothing more.
struct JSONText {
    private(set) var bytes: [UInt8] = []

    var data: Data { Data(bytes) }

    mutating func raw(_ text: String) { bytes += text.utf8 }

    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += "\\\"".utf8
            case UInt8(ascii: "\\"): bytes += "\\\\".utf8
            case 0x0A: bytes += "\\n".utf8
            case 0x0D: bytes += "\\r".utf8
            case 0x09: bytes += "\\t".utf8
            case 0..<0x20: bytes += String(format: "\\u%04x", byte).utf8
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
