import CSeedScan

/// The single pass over a text's UTF-8 bytes that runs every built-in recognizer. Each position is looked at
/// once: a cheap trigger (a digit at a word start, `@`, `+`, a known prefix such as `sk-` or `AKIA`, a
/// capitalised word, `=` or `:` after a key word) hands over to one recognizer family, which validates
/// (Luhn, mod 97, GB 11643, ...) and reports a span; the scan then resumes after what that family consumed,
/// so no byte is re-read by a dozen patterns as a regex engine would. The families live in the
/// `Recognizer*.swift` extensions.
struct TextScanner {
    let p: UnsafePointer<UInt8>
    let n: Int
    /// The caller's buffers, held for the length of the scan: `found` collects the detections.
    var scratch = DetectorScratch()
    /// Read once per text: the global's accessor (a once-check and a retain) showed in profiles when it ran
    /// for every capitalised word and Chinese character. The tables live as long as the process.
    unowned(unsafe) let names = NameTables.shared

    init(_ p: UnsafePointer<UInt8>, count: Int, scratch: inout DetectorScratch) {
        self.p = p
        self.n = count
        swap(&self.scratch, &scratch)
        self.scratch.found.removeAll(keepingCapacity: true)
    }

    /// The byte at `i`, or 0 outside the text: recognizers may look past either end without checks.
    @inline(__always) func at(_ i: Int) -> UInt8 { i >= 0 && i < n ? p[i] : 0 }

    @inline(__always) mutating func emit(_ start: Int, _ end: Int, _ type: EntityType, _ confidence: Double) {
        scratch.found.append(Detection(start: start, end: end, type: type, confidence: confidence))
    }

    /// True when `i` begins a token: not inside a word, and not the continuation of a number or name joined
    /// by `-`, `.`, `/` (`ORD-2023-0012`, `v1.2.3`, `10:30`).
    @inline(__always) func startsToken(_ i: Int) -> Bool {
        let prev = at(i - 1)
        if isWordByte(prev) { return false }
        switch prev {
        case .dash, .dot, .slash:
            return !isAlnum(at(i - 2))
        case .comma, .colon:
            return !(isDigit(at(i)) && isDigit(at(i - 2)))
        default:
            return true
        }
    }

    func endOfRun(from i: Int, _ predicate: (UInt8) -> Bool) -> Int {
        var j = i
        while j < n && predicate(p[j]) { j += 1 }
        return j
    }

    /// The end of the run of word bytes from `i`: `endOfRun(from: i, isWordByte)`, sixteen bytes a step.
    @inline(__always) func wordEnd(from i: Int) -> Int { seed_word_end(p, i, n) }

    func hasPrefix(_ prefix: StaticString, at i: Int) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard i + count <= n else { return false }
        let q = prefix.utf8Start
        for k in 0..<count where p[i + k] != q[k] { return false }
        return true
    }

    /// Whether one of `words` (lower-case) occurs shortly before `start` or right after `end`: the context
    /// that lifts an ambiguous number (a bare 9-digit SSN, a 12-digit Aadhaar) above the threshold.
    func hasContext(_ words: [[UInt8]], before start: Int, after end: Int) -> Bool {
        textHasContext(p, n, words, before: start, after: end)
    }

    mutating func scan() {
        var i = 0
        while i < n {
            let b = p[i]
            if isDigit(b) {
                i = startsToken(i) ? scanNumeric(i) : endOfRun(from: i, isAlnum)
            } else if isLetter(b) {
                i = startsToken(i) ? scanWord(i) : wordEnd(from: i)
            } else if b < 0x80 {
                switch b {
                case .at:
                    if let end = scanAtSign(i) { i = end; continue }
                case .plus, .openParen:
                    if isDigit(at(i + 1)) || (b == .plus && at(i + 1) == .openParen), startsToken(i) {
                        i = scanNumeric(i)
                        continue
                    }
                case .dash:
                    if let end = scanPrivateKey(i) { i = end; continue }
                case .colon:
                    if at(i + 1) == .colon, !isWordByte(at(i - 1)), let end = scanIPv6OrMAC(i) { i = end; continue }
                default:
                    break
                }
                i += 1
            } else {
                i = scanNonASCII(i)
            }
        }
    }

    /// A word that starts with a letter: a prefixed secret, an IBAN, a NINO, a hex group of an IPv6 or MAC
    /// address, a name, or the key of a `key = value` assignment.
    mutating func scanWord(_ i: Int) -> Int {
        let j = wordEnd(from: i)
        let first = p[i]
        // Every prefixed secret is a word of 12 bytes or more, or a prefix followed by a dash (`sk-`,
        // `glpat-`, `xoxb-`): most words skip the call.
        if j - i >= 12 || at(j) == .dash, let end = scanPrefixedSecret(i, wordEnd: j) { return end }
        if isUpper(first), isUpper(at(i + 1)) {
            if isDigit(at(i + 2)), isDigit(at(i + 3)), let end = scanIBAN(i) { return end }
            if isDigit(at(i + 2)) || at(i + 2) == .space, let end = scanNINO(i) { return end }
        }
        let next = at(j)
        if next == .colon || next == .dash || next == .dot, j - i <= 4, let end = scanIPv6OrMAC(i) { return end }
        if isUpper(first), let end = scanPerson(i) { return end }
        if let op = assignmentOperator(after: j), let end = scanAssignment(wordStart: i, wordEnd: j, operatorAt: op) { return end }
        return j
    }
}

/// A digit group of a number chunk: `(030)` in `+49 (030) 1234-5678` has start..<end = `030` and
/// outerStart..<outerEnd = `(030)`; `separator` is what stood before it (0 for none).
struct DigitGroup {
    var start: Int
    var end: Int
    var outerStart: Int
    var outerEnd: Int
    var separator: UInt8
    var parenthesized: Bool

    var size: Int { end - start }

    /// Groups read per chunk at most: a list of 21 phone numbers in a row, each three groups, is read whole
    /// (at 16, the sixth number of a list straddled the cut and was lost).
    static let maximumCount = 64
}
