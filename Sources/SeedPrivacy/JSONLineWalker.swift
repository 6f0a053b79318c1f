import CSeedScan

/// A strict, allocation-free JSON reader for one JSONL record. It does not build values: it reports every
/// string value (not keys) with its raw byte range, whether it contains escapes, the key it belongs to, and
/// whether `--fields` selects it. Keys, numbers and literals are validated and left alone, which is what lets
/// the rewriter keep everything but the scrubbed strings byte for byte.
struct JSONLineWalker {
    struct StringValue {
        /// The string body, without quotes, as offsets into the line.
        var start: Int
        var end: Int
        var hasEscapes: Bool
        /// The key of the innermost object member holding this value (an array element inherits it), or
        /// an empty range.
        var keyStart: Int
        var keyEnd: Int
    }

    let p: UnsafePointer<UInt8>
    let n: Int
    let selector: FieldSelector?
    private var i = 0
    private var path: [FieldSelector.Step] = []
    private static let maximumDepth = 512

    init(_ line: UnsafeBufferPointer<UInt8>, selector: FieldSelector?) {
        p = line.baseAddress!
        n = line.count
        self.selector = selector
    }

    /// Walks the record, appending every selected string value to `values`; throws on malformed JSON.
    /// (A list rather than a callback: a closure that captures the caller's state made Swift retain and
    /// release it around every recursive call.)
    mutating func walk(into values: inout [StringValue]) throws {
        skipSpace()
        try value(depth: 0, keyStart: 0, keyEnd: 0, &values)
        skipSpace()
        if i < n { throw fail("unexpected text after the JSON value") }
    }

    private func fail(_ message: String) -> JSONLineError { JSONLineError(offset: i, message: message) }

    @inline(__always) private mutating func skipSpace() {
        while i < n, p[i] == 32 || p[i] == 9 || p[i] == 10 || p[i] == 13 { i += 1 }
    }

    private mutating func value(depth: Int, keyStart: Int, keyEnd: Int, _ values: inout [StringValue]) throws {
        guard i < n else { throw fail("unexpected end of line, a value was expected") }
        switch p[i] {
        case .quote:
            let (start, end, escapes) = try string()
            if selector == nil || selector!.selects(path, in: p) {
                values.append(StringValue(start: start, end: end, hasEscapes: escapes, keyStart: keyStart, keyEnd: keyEnd))
            }
        case UInt8(ascii: "{"):
            guard depth < Self.maximumDepth else { throw fail("nesting deeper than \(Self.maximumDepth) levels") }
            i += 1
            skipSpace()
            if i < n, p[i] == UInt8(ascii: "}") { i += 1; return }
            while true {
                skipSpace()
                guard i < n, p[i] == .quote else { throw fail("expected a quoted key") }
                let (ks, ke, _) = try string()
                skipSpace()
                guard i < n, p[i] == .colon else { throw fail("expected ':' after a key") }
                i += 1
                skipSpace()
                if selector != nil { path.append(.key(ks, ke)) }
                try value(depth: depth + 1, keyStart: ks, keyEnd: ke, &values)
                if selector != nil { path.removeLast() }
                skipSpace()
                guard i < n else { throw fail("unexpected end of line inside an object") }
                if p[i] == .comma { i += 1; continue }
                if p[i] == UInt8(ascii: "}") { i += 1; return }
                throw fail("expected ',' or '}' in an object")
            }
        case UInt8(ascii: "["):
            guard depth < Self.maximumDepth else { throw fail("nesting deeper than \(Self.maximumDepth) levels") }
            i += 1
            skipSpace()
            if i < n, p[i] == UInt8(ascii: "]") { i += 1; return }
            if selector != nil { path.append(.index) }
            while true {
                skipSpace()
                try value(depth: depth + 1, keyStart: keyStart, keyEnd: keyEnd, &values)
                skipSpace()
                guard i < n else { throw fail("unexpected end of line inside an array") }
                if p[i] == .comma { i += 1; continue }
                if p[i] == UInt8(ascii: "]") { i += 1; break }
                throw fail("expected ',' or ']' in an array")
            }
            if selector != nil { path.removeLast() }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default:
            try number()
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard i + count <= n, (0..<count).allSatisfy({ p[i + $0] == word.utf8Start[$0] }) else { throw fail("invalid literal") }
        i += count
    }

    private mutating func number() throws {
        let start = i
        if i < n, p[i] == .dash { i += 1 }
        guard i < n, isDigit(p[i]) else { throw fail("unexpected character '\(printable(start))'") }
        if p[i] == 48 { i += 1 } else { while i < n, isDigit(p[i]) { i += 1 } }
        if i < n, p[i] == .dot {
            i += 1
            guard i < n, isDigit(p[i]) else { throw fail("a digit must follow the decimal point") }
            while i < n, isDigit(p[i]) { i += 1 }
        }
        if i < n, p[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < n, p[i] == .plus || p[i] == .dash { i += 1 }
            guard i < n, isDigit(p[i]) else { throw fail("a digit must follow the exponent") }
            while i < n, isDigit(p[i]) { i += 1 }
        }
    }

    private func printable(_ at: Int) -> String {
        let b = p[at]
        return b >= 32 && b < 127 ? String(UnicodeScalar(b)) : String(format: "\\x%02x", b)
    }

    /// Reads a string starting at its opening quote; returns its body range and whether it has escapes.
    /// Plain runs are skipped sixteen bytes a step (`seed_string_stop`, SSE2).
    private mutating func string() throws -> (Int, Int, Bool) {
        i += 1
        let start = i
        var escapes = false
        while true {
            i = seed_string_stop(p, i, n)
            guard i < n else { throw fail("unterminated string") }
            let b = p[i]
            if b == .quote { i += 1; return (start, i - 1, escapes) }
            guard b == .backslash else { throw fail("control character inside a string") }
            escapes = true
            guard i + 1 < n else { throw fail("unterminated string") }
            let e = p[i + 1]
            if e == UInt8(ascii: "u") {
                guard i + 5 < n, (2...5).allSatisfy({ isHexDigit(p[i + $0]) }) else { throw fail("invalid \\u escape") }
                i += 6
            } else if "\"\\/bfnrt".utf8.contains(e) {
                i += 2
            } else {
                throw fail("invalid escape '\\\(printable(i + 1))'")
            }
        }
    }
}

/// Why a JSONL line could not be read, and where (a byte offset in the line).
struct JSONLineError: Error {
    var offset: Int
    var message: String
}

/// The JSON paths given with `--fields`: `messages[].content,text` selects `text` and every `content` of the
/// `messages` array. A path selects its value and everything inside it.
public struct FieldSelector: Sendable, Equatable {
    enum Component: Sendable, Equatable {
        case key([UInt8])
        case anyIndex
    }

    enum Step {
        /// A key as a range of the line (raw, with escapes if it had any).
        case key(Int, Int)
        case index
    }

    let paths: [[Component]]

    /// Parses `a.b[].c,d`; throws on an empty path or a malformed step.
    public init(_ spec: String) throws {
        var paths: [[Component]] = []
        for path in spec.split(separator: ",", omittingEmptySubsequences: false) {
            var components: [Component] = []
            let trimmed = path.trimmingCharacters(in: .whitespaces)
            for part in trimmed.split(separator: ".", omittingEmptySubsequences: false) {
                var name = Substring(part)
                var indices = 0
                while name.hasSuffix("[]") { name = name.dropLast(2); indices += 1 }
                guard !name.isEmpty, !name.contains("["), !name.contains("]") else {
                    throw PrivacyError.invalidFields(spec, reason: "`\(trimmed)` is not of the form key, key[] or key.key")
                }
                components.append(.key(Array(name.utf8)))
                components.append(contentsOf: repeatElement(.anyIndex, count: indices))
            }
            paths.append(components)
        }
        self.paths = paths
    }

    func selects(_ path: [Step], in line: UnsafePointer<UInt8>) -> Bool {
        outer: for spec in paths where spec.count <= path.count {
            for (component, step) in zip(spec, path) {
                switch (component, step) {
                case (.anyIndex, .index): continue
                case let (.key(name), .key(start, end)):
                    guard end - start == name.count, name.withUnsafeBufferPointer({ memcmp($0.baseAddress!, line + start, name.count) == 0 }) else {
                        continue outer
                    }
                default: continue outer
                }
            }
            return true
        }
        return false
    }
}

import Foundation
