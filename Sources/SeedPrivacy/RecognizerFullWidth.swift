// Numbers in full-width digits (`１３８ １２３４ ５６７８`, common in Chinese and Japanese text): the run of
// full-width digits and separators is transcribed to ASCII, read by the number recognizers, and what they
// find is mapped back to the original bytes, so the surrogate replaces the full-width text exactly.
// Context words are not seen from inside the transcription: only numbers that need none are found.

extension TextScanner {
    /// The ASCII byte a full-width digit, `＋`, `－`, `（` or `）` at `i` stands for (three bytes EF BC xx).
    private func fullWidthASCII(at i: Int) -> UInt8? {
        guard at(i) == 0xEF, at(i + 1) == 0xBC else { return nil }
        let c = at(i + 2)
        switch c {
        case 0x90...0x99: return c - 0x90 + 48
        case 0x8B: return .plus
        case 0x8D: return .dash
        case 0x88: return .openParen
        case 0x89: return .closeParen
        default: return nil
        }
    }

    /// Reads the full-width number starting at `i`, if one starts there; returns where the scan resumes.
    mutating func scanFullWidthNumber(_ i: Int) -> Int? {
        guard let first = fullWidthASCII(at: i), isDigit(first) || isDigit(fullWidthASCII(at: i + 3) ?? 0) else { return nil }
        var ascii: [UInt8] = []
        var offsets: [Int] = []
        var k = i
        while k < n {
            if let c = fullWidthASCII(at: k) {
                ascii.append(c)
                offsets.append(k)
                k += 3
            } else if (p[k] == .space || p[k] == .dash) && fullWidthASCII(at: k + 1) != nil {
                ascii.append(p[k])
                offsets.append(k)
                k += 1
            } else {
                break
            }
        }
        offsets.append(k)
        var sub = DetectorScratch()
        ascii.withUnsafeBufferPointer { buffer in
            var scanner = TextScanner(buffer.baseAddress!, count: buffer.count, scratch: &sub)
            var j = 0
            while j < buffer.count {
                j = isDigit(buffer[j]) || buffer[j] == .plus || buffer[j] == .openParen ? scanner.scanNumeric(j) : j + 1
            }
            for d in scanner.scratch.found { emit(offsets[d.start], offsets[d.end], d.type, d.confidence) }
        }
        return k
    }
}
