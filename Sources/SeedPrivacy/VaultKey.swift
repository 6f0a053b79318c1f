import Crypto
import Foundation

/// The secret behind a vault: 32 bytes from the environment (`SEED_VAULT_KEY`) or a key file. Three
/// independent keys are derived from it with HKDF, one per use, so that a surrogate seed or a hash never
/// reveals the encryption key.
public struct VaultKey: @unchecked Sendable {
    /// Keys the HMAC digests that index originals in the vault and the `hash` operator.
    public let digestKey: SymmetricKey
    /// AES-GCM key of the originals stored in the vault.
    public let encryptionKey: SymmetricKey
    /// Seeds the realistic surrogates.
    public let surrogateKey: SymmetricKey

    public static let environmentVariable = "SEED_VAULT_KEY"
    private let keyedDigest: KeyedDigest
    private let surrogateDigest: KeyedDigest

    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else { throw PrivacyError.invalidKey(source: "the given bytes", reason: "\(bytes.count) bytes") }
        let master = SymmetricKey(data: bytes)
        func derive(_ info: String) -> SymmetricKey {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: master, salt: Data("seed-vault-v1".utf8), info: Data(info.utf8), outputByteCount: 32)
        }
        let digestKey = derive("digest")
        self.digestKey = digestKey
        keyedDigest = KeyedDigest(key: digestKey)
        encryptionKey = derive("encryption")
        let surrogateKey = derive("surrogate")
        self.surrogateKey = surrogateKey
        surrogateDigest = KeyedDigest(key: surrogateKey)
    }

    /// The key from `--key-file` if given, else from `SEED_VAULT_KEY`; `PrivacyError.missingKey` if neither.
    public static func load(keyFile: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> VaultKey {
        if let keyFile {
            guard let data = FileManager.default.contents(atPath: keyFile) else {
                throw PrivacyError.invalidKey(source: "--key-file \(keyFile)", reason: "the file cannot be read")
            }
            if data.count == 32 { return try VaultKey(bytes: Array(data)) }
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return try VaultKey(bytes: decode(text, source: "--key-file \(keyFile)"))
        }
        if let value = environment[environmentVariable], !value.isEmpty {
            return try VaultKey(bytes: decode(value.trimmingCharacters(in: .whitespacesAndNewlines), source: environmentVariable))
        }
        throw PrivacyError.missingKey
    }

    static func decode(_ text: String, source: String) throws -> [UInt8] {
        if text.utf8.count == 64, text.utf8.allSatisfy(isHexDigit) {
            let u = Array(text.utf8)
            return stride(from: 0, to: 64, by: 2).map { UInt8(hexValue(u[$0]) << 4 | hexValue(u[$0 + 1])) }
        }
        let base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let padded = base64 + String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: padded) else {
            throw PrivacyError.invalidKey(source: source, reason: "neither 64 hex digits nor base64")
        }
        guard data.count == 32 else { throw PrivacyError.invalidKey(source: source, reason: "it decodes to \(data.count) bytes") }
        return Array(data)
    }

    /// HMAC-SHA256 of the type and the value: the vault's lookup key for an original, and the `hash` operator.
    func digest(type: EntityType, value: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let words = keyedDigest.mac(type: type, value: value)
        return (0..<32).map { UInt8(truncatingIfNeeded: words[$0 / 4] >> (24 - 8 * UInt32($0 % 4))) }
    }

    /// The first 128 bits of `digest`, without an array.
    func shortDigest(type: EntityType, value: UnsafeBufferPointer<UInt8>) -> VaultDigest {
        Self.short(keyedDigest.mac(type: type, value: value))
    }

    /// The short digests of two values, computed together (see `KeyedDigest.macPair`).
    func shortDigests(_ a: (type: EntityType, value: UnsafeBufferPointer<UInt8>), _ b: (type: EntityType, value: UnsafeBufferPointer<UInt8>)) -> (VaultDigest, VaultDigest) {
        let (x, y) = keyedDigest.macPair(a, b)
        return (Self.short(x), Self.short(y))
    }

    private static func short(_ words: SIMD8<UInt32>) -> VaultDigest {
        VaultDigest(high: UInt64(words[0]) << 32 | UInt64(words[1]), low: UInt64(words[2]) << 32 | UInt64(words[3]))
    }

    /// The seed of the draws of a value's realistic surrogate: keyed, so that the fakes say nothing of the
    /// originals to whoever lacks the key.
    func surrogateSeed(type: EntityType, value: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let words = surrogateDigest.mac(type: type, value: value)
        return UInt64(words[0]) << 32 | UInt64(words[1])
    }

    /// `originals` (a block's values, concatenated) encrypted and authenticated together with the block's
    /// `entries`. The nonce is random: a vault seals one block per write transaction, far below the 2^32
    /// messages under one key that random 96-bit nonces allow.
    func sealBlock(_ originals: [UInt8], entries: [UInt8]) throws -> Data {
        try AES.GCM.seal(originals, using: encryptionKey, authenticating: entries).combined!
    }

    func openBlock(_ sealed: Data, entries: Data) throws -> [UInt8] {
        Array(try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: encryptionKey, authenticating: entries))
    }
}
