// Generic secrets: the value of an assignment whose key names a password, token or key
// (`password=...`, `api_key: ...`, `"client_secret": "..."`, `Passwort: ...`, `密码：...`), kept only when
// the value looks like a secret and not like a placeholder or a word.

enum SecretKeyKind {
    /// Passwords may be low-entropy words with digits: six characters and two character classes suffice.
    case password
    /// Keys and tokens are machine-made: twelve characters, two classes and some entropy.
    case token
}

private let passwordKeywords = ["password", "passwd", "passwort", "passphrase", "kennwort", "motdepasse", "passe"].map { Array($0.utf8) }
private let tokenKeywords = [
    "secret", "apikey", "accesskey", "secretkey", "privatekey", "token", "clientsecret", "authkey", "credential",
    "credentials", "apisecret", "signingkey", "encryptionkey", "masterkey",
].map { Array($0.utf8) }
/// Short key words only count as a whole segment of the key (`db_pass`, `dbPwd`), never inside another word
/// (`bypass`, `compass`).
private let shortPasswordKeywords = ["pass", "pwd", "pw"].map { Array($0.utf8) }
private let placeholderValues: Set<String> = [
    "password", "changeme", "null", "none", "true", "false", "redacted", "example", "undefined", "required",
    "optional", "string", "secret", "token", "hidden", "masked", "unknown", "empty",
]

/// Which kind of secret a key names, if any. `key` is the raw key (`AWS_SECRET_ACCESS_KEY`, `apiKey`).
/// Runs for every JSON value, so it allocates nothing: the letters and digits of the key, lower-cased, are
/// compared from the end.
func secretKeyKind(_ key: UnsafeBufferPointer<UInt8>) -> SecretKeyKind? {
    guard key.count >= 2, key.count <= 64 else { return nil }
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer -> SecretKeyKind? in
        var n = 0
        for b in key where isAlnum(b) {
            buffer[n] = lowercased(b)
            n += 1
        }
        func endsWith(_ word: [UInt8]) -> Bool {
            guard n >= word.count else { return false }
            for k in 0..<word.count where buffer[n - word.count + k] != word[k] { return false }
            return true
        }
        // Every keyword ends in one of d t e y n l s w: most keys are rejected by their last character.
        guard n > 0, "dteynlsw".utf8.contains(buffer[n - 1]) else { return nil }
        if passwordKeywords.contains(where: endsWith) { return .password }
        if tokenKeywords.contains(where: endsWith) { return .token }
        for word in shortPasswordKeywords where endsWith(word) {
            let boundary = key.count - word.count
            if boundary == 0 { return .password }
            let before = key[boundary - 1], first = key[boundary]
            if !isAlnum(before) || (isUpper(first) && isLower(before)) { return .password }
        }
        return nil
    }
}

/// Whether `value` is worth hiding as the secret of a key of `kind`.
func looksLikeSecretValue(_ v: UnsafePointer<UInt8>, _ count: Int, kind: SecretKeyKind) -> Bool {
    guard count >= (kind == .password ? 6 : 12), count <= 256 else { return false }
    let first = v[0]
    if first == UInt8(ascii: "$") || first == UInt8(ascii: "{") || first == UInt8(ascii: "<") || first == UInt8(ascii: "*")
        || first == UInt8(ascii: "%") || first == UInt8(ascii: "[") { return false }
    if (0..<count).allSatisfy({ v[$0] == first }) { return false }
    var classes = 0
    var seen = (lower: false, upper: false, digit: false, other: false)
    for k in 0..<count {
        let b = v[k]
        if isLower(b) { seen.lower = true } else if isUpper(b) { seen.upper = true } else if isDigit(b) { seen.digit = true } else { seen.other = true }
    }
    classes = [seen.lower, seen.upper, seen.digit, seen.other].filter { $0 }.count
    if count <= 16 {
        let word = String(decoding: UnsafeBufferPointer(start: v, count: count), as: UTF8.self).lowercased()
        if placeholderValues.contains(word) { return false }
    }
    let entropy = shannonEntropy(v, count)
    switch kind {
    case .password: return classes >= 2 || entropy >= 3.0
    case .token: return classes >= 2 && entropy >= 3.0
    }
}

extension TextScanner {
    /// Where `=` or `:` follows the word ending at `wordEnd` (after a closing quote and spaces), or nil.
    /// Inlined into the word scan: nearly every word has none, and the call cost more than the test.
    @inline(__always) func assignmentOperator(after wordEnd: Int) -> Int? {
        var k = wordEnd
        if at(k) == .quote || at(k) == .apostrophe { k += 1 }
        while at(k) == .space || at(k) == 9 { k += 1 }
        return at(k) == .equals || at(k) == .colon ? k : nil
    }

    /// The word `wordStart..<wordEnd` is followed by an assignment operator at `op`
    /// (`assignmentOperator(after:)`); if the key names a secret, detects the value.
    mutating func scanAssignment(wordStart: Int, wordEnd: Int, operatorAt op: Int) -> Int? {
        var keyStart = wordStart
        while keyStart > 0, wordEnd - keyStart < 64, isWordByte(p[keyStart - 1]) || p[keyStart - 1] == .dash || p[keyStart - 1] == .dot {
            keyStart -= 1
        }
        guard let kind = secretKeyKind(UnsafeBufferPointer(start: p + keyStart, count: wordEnd - keyStart)) else { return nil }
        var k = op + 1
        if at(k) == .equals || at(k) == .greaterThan { k += 1 }
        return scanSecretValue(from: k, kind: kind)
    }

    /// The value after an assignment operator at `k` (spaces, then a quoted or bare value).
    mutating func scanSecretValue(from start: Int, kind: SecretKeyKind) -> Int? {
        var k = start
        while at(k) == .space || at(k) == 9 { k += 1 }
        let q = at(k)
        let quoted = q == .quote || q == .apostrophe || q == UInt8(ascii: "`")
        let valueStart = quoted ? k + 1 : k
        var e = valueStart
        if quoted {
            while e < n, e - valueStart <= 256, p[e] != q, p[e] != .newline { e += 1 }
        } else {
            while e < n, e - valueStart <= 256 {
                let b = p[e]
                if b >= 0x80 || isSpaceByte(b) || b == .quote || b == .apostrophe || b == .comma || b == UInt8(ascii: ";")
                    || b == .closeParen || b == UInt8(ascii: "}") || b == UInt8(ascii: "]") || b == .lessThan || b == UInt8(ascii: "&") { break }
                e += 1
            }
            while e > valueStart, p[e - 1] == .dot { e -= 1 }
        }
        guard e > valueStart, looksLikeSecretValue(p + valueStart, e - valueStart, kind: kind) else { return nil }
        emit(valueStart, e, .secret, 0.9)
        return e
    }
}
