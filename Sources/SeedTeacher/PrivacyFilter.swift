import Foundation
import SeedPrivacy

/// The `privacy:` section at work: prompts are desensitized before they leave, answers restored when they
/// come back. The surrogates come from the vault, so the same prompt always leaves as the same text and
/// its request hash (the cache key) stays stable from run to run.
final class PrivacyFilter: @unchecked Sendable {
    // Desensitizer and Restorer keep per-call scratch state: one caller at a time.
    private let lock = NSLock()
    private let desensitizer: Desensitizer
    private let restorer: Restorer

    init(_ config: PrivacyConfig, environment: [String: String]) throws {
        do {
            let policy = try config.policy.map { try PrivacyPolicy.load(path: $0) } ?? PrivacyPolicy()
            guard let keyText = environment[config.keyEnv], !keyText.isEmpty else {
                throw TeacherError.config(key: "privacy.key_env", reason: "the environment variable \(config.keyEnv) with the vault key is not set (32 random bytes, base64 or hex)")
            }
            let key = try VaultKey.load(keyFile: nil, environment: [VaultKey.environmentVariable: keyText])
            let vault = try Vault(path: config.vault, key: key)
            desensitizer = try Desensitizer(policy: policy, vault: vault, key: key)
            restorer = try Restorer(vault: vault, types: policy.knownTypes)
        } catch let error as PrivacyError {
            throw TeacherError.config(key: "privacy", reason: error.description)
        }
    }

    func desensitize(_ messages: [ChatMessage]) throws -> [ChatMessage] {
        lock.lock()
        defer { lock.unlock() }
        return try messages.map { m in ChatMessage(role: m.role, content: try wrap { try desensitizer.desensitize(text: m.content) }) }
    }

    func restore(_ text: String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        return try wrap { try restorer.restore(text: text) }
    }

    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as PrivacyError { throw TeacherError.config(key: "privacy", reason: error.description) }
    }
}
