// `@` triggers two recognizers: credentials in a URL (`scheme://user:password@host`), and e-mail addresses
// (local part read backwards from the `@`, then a domain of at least two labels with an alphabetic TLD;
// accented Latin letters may appear in both, as in `jürgen@müller-bau.de`).

extension TextScanner {
    /// Handles the `@` at `a`; returns where the scan resumes when something was found.
    mutating func scanAtSign(_ a: Int) -> Int? {
        if let end = scanURLCredential(a) { return end }
        return scanEmail(a)
    }

    private mutating func scanURLCredential(_ a: Int) -> Int? {
        // userinfo: anything but whitespace, quotes, `/` and `@`, back to the `//` after the scheme.
        var k = a - 1
        var colon = -1
        while k >= 0, a - k <= 256 {
            let c = p[k]
            if c == .slash || c == .at || c == .quote || c == .apostrophe || c == .lessThan || c == .greaterThan || isSpaceByte(c) { break }
            if c == .colon { colon = k }
            k -= 1
        }
        let userStart = k + 1
        guard colon > userStart, colon < a - 1, k >= 2, p[k] == .slash, p[k - 1] == .slash, p[k - 2] == .colon else { return nil }
        emit(userStart, a, .urlCredential, 0.95)
        return a + 1
    }

    /// Whether `i` is the second byte of a two-byte Latin letter (`é`, `ü`, `ł`: U+00C0...U+017F), which
    /// addresses may hold (RFC 6531 local parts, IDN labels); CJK and other scripts end an address, so
    /// that Chinese text written against one is not taken into it.
    @inline(__always) private func isLatinLetterTail(_ i: Int) -> Bool {
        let lead = at(i - 1)
        return lead >= 0xC3 && lead <= 0xC5 && at(i) & 0xC0 == 0x80 && !(lead == 0xC3 && (at(i) == 0x97 || at(i) == 0xB7))
    }

    private mutating func scanEmail(_ a: Int) -> Int? {
        @inline(__always) func isLocal(_ b: UInt8) -> Bool {
            isAlnum(b) || b == .dot || b == .underscore || b == .dash || b == .plus || b == UInt8(ascii: "%")
        }
        var start = a
        while start > 0, a - start < 64 {
            if isLocal(p[start - 1]) {
                start -= 1
            } else if isLatinLetterTail(start - 1) {
                start -= 2
            } else {
                break
            }
        }
        while start < a, p[start] == .dot || p[start] == .dash || p[start] == .plus { start += 1 }
        guard start < a, p[a - 1] != .dot else { return nil }

        // Domain labels: alphanumerics and inner hyphens; the last label (TLD) alphabetic, two letters or more.
        var k = a + 1
        var labels = 0
        var lastLabelStart = k
        var end = -1
        while k < n, k - a <= 253 {
            let labelStart = k
            while k < n {
                if isAlnum(p[k]) || (p[k] == .dash && k > labelStart && isAlnum(at(k + 1))) {
                    k += 1
                } else if isLatinLetterTail(k + 1) {
                    k += 2
                } else {
                    break
                }
            }
            guard k > labelStart else { break }
            labels += 1
            lastLabelStart = labelStart
            end = k
            guard at(k) == .dot, isAlnum(at(k + 1)) else { break }
            k += 1
        }
        guard labels >= 2, end - lastLabelStart >= 2, (lastLabelStart..<end).allSatisfy({ isLetter(p[$0]) }) else { return nil }
        emit(start, end, .email, 1.0)
        return end
    }
}
