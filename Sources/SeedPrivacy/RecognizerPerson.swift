// PERSON, best effort: a title followed by capitalised words (`Dr. Schmidt`, `Mme Dubois`), a listed first
// name followed by a capitalised surname (`Laura Becker`, `Jürgen Müller`), and Chinese names next to a cue
// (`张伟先生`, `姓名：王小明`). No model: recall is measured and reported apart from the structured types.
// The Chinese cue path also catches `密码：...` (password) assignments.

/// Characters that end a Chinese name read after a cue (a title such as 先生 ends it too).
private let chineseStopCharacters: Set<UInt32> = Set("的是在了和与及等，。、；：！？（）“”".unicodeScalars.map(\.value))

extension TextScanner {
    /// A capital letter: ASCII, or a Latin-1 capital encoded as 0xC3 0x80...0x9E (`É`, `Ö`), but not `×`.
    @inline(__always) func isCapitalStart(_ i: Int) -> Bool {
        let b = at(i)
        if isUpper(b) { return true }
        let c = at(i + 1)
        return b == 0xC3 && c >= 0x80 && c <= 0x9E && c != 0x97
    }

    /// End of a name word: letters (ASCII or two-byte Latin), with inner `-` or `'` (`Jean-Pierre`, `O'Brien`).
    func nameWordEnd(_ i: Int) -> Int {
        var k = i
        while k < n {
            let b = p[k]
            if isLetter(b) {
                k += 1
            } else if b >= 0xC3, b <= 0xC5, k + 1 < n, p[k + 1] & 0xC0 == 0x80 {
                k += 2
            } else if (b == .dash || b == .apostrophe) && k > i && isCapitalStart(k + 1) {
                k += 1
            } else {
                break
            }
        }
        return k
    }

    /// Up to `words` capitalised words (with surname particles between them) from `i`; returns the end of
    /// the last one.
    private func nameSequenceEnd(from i: Int, words: Int) -> Int {
        var end = nameWordEnd(i)
        var taken = 1
        var k = end
        while taken < words, at(k) == .space {
            var next = k + 1
            // particles: `van der`, `de la`
            while isLower(at(next)) {
                let e = nameWordEnd(next)
                guard names.particles.contains(nameHash(p + next, e - next)), at(e) == .space else { return end }
                next = e + 1
            }
            guard isCapitalStart(next) else { break }
            let e = nameWordEnd(next)
            guard e - next >= 2, !names.notSurnames.contains(nameHash(p + next, e - next)) else { break }
            end = e
            k = e
            taken += 1
        }
        return end
    }

    mutating func scanPerson(_ i: Int) -> Int? {
        let w = nameWordEnd(i)
        guard w - i >= 1 else { return nil }
        let h = nameHash(p + i, w - i)
        if names.titles.contains(h) {
            var k = w
            if at(k) == .dot { k += 1 }
            guard at(k) == .space, isCapitalStart(k + 1) else { return nil }
            let end = nameSequenceEnd(from: k + 1, words: 3)
            guard end - k - 1 >= 2, !names.notSurnames.contains(nameHash(p + k + 1, nameWordEnd(k + 1) - k - 1)) else { return nil }
            emit(k + 1, end, .person, 0.85)
            return end
        }
        guard names.firstNames.contains(h), at(w) == .space else { return nil }
        var k = w + 1
        // A middle initial: `John F. Kennedy`.
        if isUpper(at(k)), at(k + 1) == .dot, at(k + 2) == .space { k += 3 }
        while isLower(at(k)) {
            let e = nameWordEnd(k)
            guard names.particles.contains(nameHash(p + k, e - k)), at(e) == .space else { return nil }
            k = e + 1
        }
        guard isCapitalStart(k) else { return nil }
        let surnameEnd = nameWordEnd(k)
        guard surnameEnd - k >= 2, !names.notSurnames.contains(nameHash(p + k, surnameEnd - k)) else { return nil }
        let end = nameSequenceEnd(from: k, words: 2)
        emit(i, end, .person, 0.8)
        return end
    }

    /// Non-ASCII bytes: capitalised Latin names, Chinese cues; everything else is stepped over a whole
    /// UTF-8 sequence at a time.
    mutating func scanNonASCII(_ i: Int) -> Int {
        let b = p[i]
        if b == 0xC3, isCapitalStart(i), !isLetter(at(i - 1)), at(i - 1) < 0x80 {
            if let end = scanPerson(i) { return end }
            return nameWordEnd(i)
        }
        if b == 0xEF, let end = scanFullWidthNumber(i) { return end }
        if b >= 0xE4, b <= 0xE9, let c = hanCharacter(at: i) {
            if NameTables.isCueStart(c, in: names.cueBitmap), let end = scanChineseCue(i) { return end }
            return i + 3
        }
        if b >= 0xF0 { return i + 4 }
        if b >= 0xE0 { return i + 3 }
        if b >= 0xC0 { return i + 2 }
        return i + 1
    }

    /// The CJK ideograph encoded at `i` (three bytes), if there is one.
    func hanCharacter(at i: Int) -> UInt32? {
        guard i >= 0, i + 2 < n else { return nil }
        let b0 = p[i], b1 = p[i + 1], b2 = p[i + 2]
        guard b0 >= 0xE4, b0 <= 0xE9, b1 & 0xC0 == 0x80, b2 & 0xC0 == 0x80 else { return nil }
        let c = (UInt32(b0 & 0x0F) << 12) | (UInt32(b1 & 0x3F) << 6) | UInt32(b2 & 0x3F)
        return c >= 0x4E00 && c < 0xA000 ? c : nil
    }

    private func matchesHan(_ word: [UInt32], at i: Int) -> Bool {
        for (k, c) in word.enumerated() where hanCharacter(at: i + 3 * k) != c { return false }
        return true
    }

    /// Skips `：`, `:`, spaces, `是` and `为` after a cue.
    private func skipCueSeparator(_ k: Int) -> Int {
        var k = k
        while true {
            if at(k) == .colon || at(k) == .space {
                k += 1
            } else if at(k) == 0xEF, at(k + 1) == 0xBC, at(k + 2) == 0x9A {
                k += 3
            } else if let c = hanCharacter(at: k), c == 0x662F || c == 0x4E3A {
                k += 3
            } else {
                return k
            }
        }
    }

    private mutating func scanChineseCue(_ i: Int) -> Int? {
        for title in names.chineseTitlesAfter where matchesHan(title, at: i) {
            // The name is the one to three ideographs before the title, starting with a surname.
            for length in [3, 2, 1] {
                let start = i - 3 * length
                if let c = hanCharacter(at: start), names.chineseSurnames.contains(c) {
                    emit(start, i, .person, 0.75)
                    return i + 3 * title.count
                }
            }
            return nil
        }
        if matchesHan([0x5BC6, 0x7801], at: i) || matchesHan([0x53E3, 0x4EE4], at: i) {
            return scanSecretValue(from: skipCueSeparator(i + 6), kind: .password)
        }
        for cue in names.chineseCuesBefore where matchesHan(cue, at: i) {
            let start = skipCueSeparator(i + 3 * cue.count)
            var k = start
            if names.chineseCompoundSurnames.contains(where: { matchesHan($0, at: start) }) {
                k += 6
            } else if let c = hanCharacter(at: start), names.chineseSurnames.contains(c) {
                k += 3
            } else {
                return nil
            }
            for _ in 0..<2 {
                guard let c = hanCharacter(at: k), !chineseStopCharacters.contains(c),
                      !names.chineseTitlesAfter.contains(where: { matchesHan($0, at: k) }) else { break }
                k += 3
            }
            guard k > start + 3 else { return nil }
            emit(start, k, .person, 0.75)
            return k
        }
        return nil
    }
}
