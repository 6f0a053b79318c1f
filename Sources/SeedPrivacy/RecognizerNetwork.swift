// Network addresses: IPv6 in every compressed form (`::1`, `fe80::1%eth0` without the zone,
// `::ffff:192.0.2.1`, optional `/prefix`) and MAC addresses (`00:1A:2B:3C:4D:5E`, dashes, Cisco dots).
// Times (`10:30:45`), ratios and `std::vector` fail the group-count rules, so they are never taken.

private let macContext: [[UInt8]] = ["mac", "ether", "hwaddr", "hardware", "物理地址"].map { Array($0.utf8) }

extension TextScanner {
    /// Tries an IPv6 or MAC address at `s` (a hex digit or `:`); returns its end when one is found.
    mutating func scanIPv6OrMAC(_ s: Int) -> Int? {
        var e = endOfRun(from: s, { isHexDigit($0) || $0 == .colon || $0 == .dot || $0 == .dash })
        guard e - s >= 3, !isAlnum(at(e)) else { return nil }
        if let mac = macEnd(s, e) {
            emit(s, mac, .mac, 0.95)
            return mac
        }
        // Sentence punctuation after an address is not part of it; a final `::` is (`2001:db8::`).
        while e > s, p[e - 1] == .dot || p[e - 1] == .dash || (p[e - 1] == .colon && at(e - 2) != .colon) { e -= 1 }
        guard let end = ipv6End(s, e) else { return nil }
        var stop = end
        if at(stop) == .slash, isDigit(at(stop + 1)) {
            let prefixEnd = endOfRun(from: stop + 1, isDigit)
            let value = (stop + 1..<prefixEnd).reduce(0) { $0 * 10 + digitValue(p[$1]) }
            if prefixEnd - stop - 1 <= 3, value <= 128, !isAlnum(at(prefixEnd)) { stop = prefixEnd }
        }
        emit(s, stop, .ipv6, 0.95)
        return stop
    }

    /// The end of a MAC address starting at `s` within `s..<limit`.
    private func macEnd(_ s: Int, _ limit: Int) -> Int? {
        if limit - s >= 17, p[s + 2] == .colon || p[s + 2] == .dash {
            let sep = p[s + 2]
            var allZero = true, allF = true
            for g in 0..<6 {
                let o = s + g * 3
                guard isHexDigit(p[o]), isHexDigit(p[o + 1]), g == 5 || p[o + 2] == sep else { return nil }
                if p[o] != 48 || p[o + 1] != 48 { allZero = false }
                if (p[o] | 0x20) != 102 || (p[o + 1] | 0x20) != 102 { allF = false }
            }
            let end = s + 17
            guard !isHexDigit(at(end)), !(at(end) == sep && isHexDigit(at(end + 1))), !allZero, !allF else { return nil }
            return end
        }
        if limit - s >= 14, p[s + 4] == .dot, p[s + 9] == .dot {
            var hasLetter = false
            for g in 0..<3 {
                for k in 0..<4 {
                    let b = p[s + g * 5 + k]
                    guard isHexDigit(b) else { return nil }
                    if !isDigit(b) { hasLetter = true }
                }
            }
            let end = s + 14
            // Twelve digits in dotted fours are a MAC only where the text says so.
            guard hasLetter || hasContext(macContext, before: s, after: end), !isHexDigit(at(end)), !(at(end) == .dot && isAlnum(at(end + 1))) else { return nil }
            return end
        }
        return nil
    }

    /// Parses an IPv6 address in `s..<limit` (RFC 4291 text forms); returns its end or nil.
    private func ipv6End(_ s: Int, _ limit: Int) -> Int? {
        var i = s
        var groups = 0
        var compressed = false
        if at(i) == .colon {
            guard at(i + 1) == .colon else { return nil }
            compressed = true
            i += 2
        }
        var end = i
        while i < limit {
            // An embedded IPv4 address ends the address.
            let h = min(endOfRun(from: i, isHexDigit), limit)
            if h < limit, p[h] == .dot {
                guard let v4 = ipv4End(i, limit), groups <= 6 else { return nil }
                groups += 2
                end = v4
                break
            }
            guard h > i, h - i <= 4 else { return nil }
            groups += 1
            end = h
            i = h
            guard i < limit, p[i] == .colon else { break }
            if at(i + 1) == .colon {
                guard !compressed else { return nil }
                compressed = true
                i += 2
                end = i
                if i >= limit || !isHexDigit(p[i]) { break }
            } else {
                i += 1
                guard i < limit, isHexDigit(p[i]) else { return nil }
            }
        }
        guard compressed ? groups <= 7 && (groups >= 1) : groups == 8 else { return nil }
        if compressed && groups == 1 && end - s < 3 { return nil }
        return end
    }

    private func ipv4End(_ s: Int, _ limit: Int) -> Int? {
        var i = s
        for octet in 0..<4 {
            let e = endOfRun(from: i, isDigit)
            guard e > i, e - i <= 3, e <= limit, e - i == 1 || p[i] != 48 else { return nil }
            let v = (i..<e).reduce(0) { $0 * 10 + digitValue(p[$1]) }
            guard v <= 255 else { return nil }
            if octet < 3 {
                guard at(e) == .dot else { return nil }
                i = e + 1
            } else {
                i = e
            }
        }
        return i
    }
}
