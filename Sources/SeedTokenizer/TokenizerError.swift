/// What can go wrong when a tokenizer is loaded, trained or used; each message says what to do.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case unsupported(path: String, what: String)
    case badMerge(rank: Int, reason: String)
    case badVocabularySize(requested: Int, minimum: Int)
    case duplicateSpecialToken(String)
    case unknownSpecialToken(String)
    case missingTokenizer(folder: String, vocabularySize: Int)
    case mismatch(path: String, tokenizerIds: Int, modelIds: Int)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path) could not be read (\(reason))"
        case .malformed(let path, let reason): return "\(path) is not a valid tokenizer.json: \(reason)"
        case .unsupported(let path, let what):
            return "\(path): \(what) is not supported; Seed reads byte-level BPE tokenizers (GPT-2, GPT-4 and Llama 3 families)"
        case .badMerge(let rank, let reason): return "merge \(rank) is invalid: \(reason)"
        case .badVocabularySize(let requested, let minimum):
            return "a vocabulary of \(requested) is too small: it needs at least \(minimum) ids (256 bytes plus the special tokens)"
        case .duplicateSpecialToken(let token): return "special token \(token) is given twice"
        case .unknownSpecialToken(let token): return "\(token) is not a special token of this tokenizer"
        case .missingTokenizer(let folder, let size):
            return "\(folder) has a vocabulary of \(size) but no tokenizer.json to go with it; copy the tokenizer.json the model was trained with into it"
        case .mismatch(let path, let tokenizerIds, let modelIds):
            return "\(path) has \(tokenizerIds) ids but the model only \(modelIds); they do not belong together"
        }
    }
}
