/// What can stop a training run, each said in one line with what to do about it.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case unreadable(String)
    case badConfig(String, String)
    case badValue(String)
    case dataTooSmall(tokens: Int, needed: Int)
    case missingData(String)
    case tokenOutOfVocabulary(path: String, token: Int, vocabulary: Int)
    case runExists(String)
    case nothingToResume(String)
    case corruptState(String, String)
    case resumeMismatch(String)

    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read \(path)"
        case .badConfig(let path, let what): return "config \(path) \(what)"
        case .badValue(let message): return message
        case .dataTooSmall(let tokens, let needed):
            return "the data holds \(tokens) tokens but one window needs \(needed); use more text or a shorter --context"
        case .missingData(let path): return "\(path) is missing; make it with `seed data tokenize --out <dir>`"
        case .tokenOutOfVocabulary(let path, let token, let vocabulary):
            return "\(path) holds token \(token), outside the vocabulary of \(vocabulary); was it made with another tokenizer?"
        case .runExists(let path):
            return "\(path) already holds a training run; pass --resume to continue it or choose another --out"
        case .nothingToResume(let path): return "\(path) holds no saved training state to resume; start it without --resume"
        case .corruptState(let path, let what): return "the saved state in \(path) is unusable: \(what)"
        case .resumeMismatch(let message): return "cannot resume: \(message)"
        }
    }
}
