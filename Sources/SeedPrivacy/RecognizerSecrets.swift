// Secrets with a recognisable shape: provider keys with a fixed prefix (OpenAI, Anthropic, AWS, GitHub,
// GitLab, Slack, Stripe, Google, Hugging Face, npm), JWTs and PEM private-key blocks. The prefix is the
// trigger; length, alphabet and (for generic `sk-` keys) entropy are the validators.

extension TextScanner {
    mutating func scanPrefixedSecret(_ i: Int, wordEnd j: Int) -> Int? {
        var end = -1
        switch p[i] {
        case UInt8(ascii: "s"):
            if at(i + 2) == .dash, hasPrefix("sk-", at: i) {
                let t = endOfRun(from: i, isBase64URLByte)
                let length = t - i
                if (hasPrefix("sk-ant-", at: i) && length >= 40)
                    || ((hasPrefix("sk-proj-", at: i) || hasPrefix("sk-svcacct-", at: i) || hasPrefix("sk-admin-", at: i)) && length >= 40)
                    || (length >= 40 && contains("T3BlbkFJ", in: i..<t))
                    || (length >= 35 && shannonEntropy(p + i + 3, length - 3) >= 4.0) {
                    end = t
                }
            } else if j - i >= 24, hasPrefix("sk_live_", at: i) || hasPrefix("sk_test_", at: i) {
                end = j
            }
        case UInt8(ascii: "r"):
            if j - i >= 24, hasPrefix("rk_live_", at: i) || hasPrefix("rk_test_", at: i) { end = j }
        case UInt8(ascii: "g"):
            if j - i == 40, at(i + 3) == .underscore, hasPrefix("gh", at: i), "pousr".utf8.contains(at(i + 2)) {
                end = j
            } else if j - i >= 40, hasPrefix("github_pat_", at: i) {
                end = j
            } else if at(i + 5) == .dash, hasPrefix("glpat-", at: i) {
                let t = endOfRun(from: i, isBase64URLByte)
                if t - i >= 26 { end = t }
            }
        case UInt8(ascii: "x"):
            if at(i + 4) == .dash, hasPrefix("xox", at: i), "baprse".utf8.contains(at(i + 3)) {
                let t = endOfRun(from: i, { isAlnum($0) || $0 == .dash })
                if t - i >= 15 { end = t }
            }
        case UInt8(ascii: "A"):
            if j - i == 20, hasPrefix("AKIA", at: i) || hasPrefix("ASIA", at: i) || hasPrefix("ABIA", at: i) || hasPrefix("ACCA", at: i),
               (i + 4..<j).allSatisfy({ isUpper(p[$0]) || (p[$0] >= 50 && p[$0] <= 55) }) {
                end = j
            } else if at(i + 1) == UInt8(ascii: "I"), hasPrefix("AIza", at: i) {
                let t = endOfRun(from: i, isBase64URLByte)
                if t - i == 39 { end = t }
            }
        case UInt8(ascii: "e"):
            if at(i + 1) == UInt8(ascii: "y"), hasPrefix("eyJ", at: i) { end = jwtEnd(i) ?? -1 }
        case UInt8(ascii: "h"):
            if j - i == 37, hasPrefix("hf_", at: i) { end = j }
        case UInt8(ascii: "n"):
            if j - i == 40, hasPrefix("npm_", at: i) { end = j }
        default:
            break
        }
        guard end > i else { return nil }
        emit(i, end, .secret, 0.95)
        return end
    }

    private func contains(_ needle: StaticString, in range: Range<Int>) -> Bool {
        var k = range.lowerBound
        while k + needle.utf8CodeUnitCount <= range.upperBound {
            if hasPrefix(needle, at: k) { return true }
            k += 1
        }
        return false
    }

    /// header.payload.signature in base64url, the header starting `eyJ` (`{"`); the signature may be empty.
    private func jwtEnd(_ i: Int) -> Int? {
        let header = endOfRun(from: i, isBase64URLByte)
        guard header - i >= 12, at(header) == .dot else { return nil }
        let payload = endOfRun(from: header + 1, isBase64URLByte)
        guard payload - header - 1 >= 10, at(payload) == .dot else { return nil }
        return endOfRun(from: payload + 1, isBase64URLByte)
    }

    /// `-----BEGIN ... PRIVATE KEY-----` through the matching END line. Without an END line the rest of the
    /// text is taken: a truncated key is still a key.
    mutating func scanPrivateKey(_ i: Int) -> Int? {
        guard hasPrefix("-----BEGIN ", at: i) else { return nil }
        var k = i + 11
        while k < n, k - i < 100, !hasPrefix("-----", at: k) { k += 1 }
        guard k < n, k - i < 100, contains("PRIVATE KEY", in: (i + 11)..<k) else { return nil }
        var e = k + 5
        var end = n
        while e < n, e - i < 40_000 {
            if p[e] == .dash, hasPrefix("-----END ", at: e) {
                var close = e + 9
                while close < n, close - e < 100, !hasPrefix("-----", at: close) { close += 1 }
                end = min(n, close + 5)
                break
            }
            e += 1
        }
        emit(i, end, .secret, 1.0)
        return end
    }
}
