/// Everything that can go wrong in SeedPrivacy, each saying what happened and what to do about it.
public enum PrivacyError: Error, CustomStringConvertible, Equatable {
    case missingKey
    case invalidKey(source: String, reason: String)
    case wrongKey(vault: String)
    case vaultUnreadable(path: String, reason: String)
    case vaultRequired
    case badLine(line: Int, offset: Int, reason: String)
    case invalidFields(String, reason: String)
    case invalidOperator(String, reason: String)
    case invalidPolicy(path: String, reason: String)
    case invalidPattern(recognizer: String, reason: String)
    case io(path: String, reason: String)
    case restoreOnlyVault(path: String)

    public var description: String {
        switch self {
        case .missingKey:
            return "no vault key: set SEED_VAULT_KEY to 32 random bytes in base64 or hex (e.g. `export SEED_VAULT_KEY=$(head -c 32 /dev/urandom | base64)`), or pass --key-file FILE"
        case let .invalidKey(source, reason):
            return "the vault key from \(source) is not usable: \(reason); it must be 32 bytes, as base64, 64 hex digits or a 32-byte file"
        case let .wrongKey(vault):
            return "the vault key does not open \(vault): it was created with another key; use that key (SEED_VAULT_KEY or --key-file), or a new vault file"
        case let .vaultUnreadable(path, reason):
            return "cannot use the vault \(path): \(reason)"
        case .vaultRequired:
            return "pseudonymization needs a vault: pass --vault FILE (created if missing), or choose operators that need none (e.g. --operator ALL=redact)"
        case let .badLine(line, offset, reason):
            return "line \(line): not valid JSON at byte \(offset + 1): \(reason) (use --on-error skip to set such lines aside in a rejects file)"
        case let .invalidFields(spec, reason):
            return "--fields \(spec): \(reason)"
        case let .invalidOperator(spec, reason):
            return "operator `\(spec)`: \(reason); operators are pseudonymize, redact, mask[:HEAD:TAIL], hash[:HEXDIGITS] and keep"
        case let .invalidPolicy(path, reason):
            return "policy \(path): \(reason)"
        case let .invalidPattern(recognizer, reason):
            return "recognizer \(recognizer): the pattern does not compile: \(reason)"
        case let .io(path, reason):
            return "\(path): \(reason)"
        case let .restoreOnlyVault(path):
            return "the vault \(path) was opened to restore only: it keeps no index to pseudonymize with"
        }
    }
}
