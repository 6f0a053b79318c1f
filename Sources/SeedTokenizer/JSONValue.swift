/// A parsed JSON document. tokenizer.json files hold hundreds of thousands of strings; Foundation's
/// JSONSerialization boxes each one into `Any` and the casts back cost more than the parse, so Seed reads
/// them with this small parser instead.
enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var string: String? { if case .string(let value) = self { return value }; return nil }
    var bool: Bool? { if case .bool(let value) = self { return value }; return nil }
    var array: [JSONValue]? { if case .array(let value) = self { return value }; return nil }
    var object: [String: JSONValue]? { if case .object(let value) = self { return value }; return nil }
    var isNull: Bool { self == .null }

    /// The value as an integer, when it is a number without a fraction.
    var int: Int? {
        guard case .number(let value) = self, value == value.rounded(), abs(value) < 9e15 else { return nil }
        return Int(value)
    }

    struct SyntaxError: Error {
        var offset: Int
        var reason: String
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        let value = try parser.value()
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }
}

private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func error(_ reason: String) -> JSONValue.SyntaxError { .init(offset: position, reason: reason) }

    mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
    }

    mutating func value() throws -> JSONValue {
        skipWhitespace()
        guard position < bytes.count else { throw error("the text ends where a value should be") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default: return try number()
        }
    }

    private mutating func nested<T>(_ body: (inout JSONParser) throws -> T) throws -> T {
        depth += 1
        defer { depth -= 1 }
        guard depth < 512 else { throw error("nesting deeper than 512 levels") }
        return try body(&self)
    }

    private mutating func object() throws -> JSONValue {
        try nested { parser in
            parser.position += 1
            var members: [String: JSONValue] = [:]
            parser.skipWhitespace()
            if parser.consume(UInt8(ascii: "}")) { return .object(members) }
            repeat {
                parser.skipWhitespace()
                guard parser.position < parser.bytes.count, parser.bytes[parser.position] == UInt8(ascii: "\"") else {
                    throw parser.error("an object key must be a string")
                }
                let key = try parser.string()
                parser.skipWhitespace()
                guard parser.consume(UInt8(ascii: ":")) else { throw parser.error("expected ':' after an object key") }
                members[key] = try parser.value()
                parser.skipWhitespace()
            } while parser.consume(UInt8(ascii: ","))
            guard parser.consume(UInt8(ascii: "}")) else { throw parser.error("expected ',' or '}' in an object") }
            return .object(members)
        }
    }

    private mutating func array() throws -> JSONValue {
        try nested { parser in
            parser.position += 1
            var elements: [JSONValue] = []
            parser.skipWhitespace()
            if parser.consume(UInt8(ascii: "]")) { return .array(elements) }
            repeat {
                elements.append(try parser.value())
                parser.skipWhitespace()
            } while parser.consume(UInt8(ascii: ","))
            guard parser.consume(UInt8(ascii: "]")) else { throw parser.error("expected ',' or ']' in an array") }
            return .array(elements)
        }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    private mutating func literal(_ word: String, _ value: JSONValue) throws -> JSONValue {
        for byte in word.utf8 {
            guard consume(byte) else { throw error("unknown literal") }
        }
        return value
    }

    private mutating func number() throws -> JSONValue {
        let start = position
        while position < bytes.count, "+-0123456789.eE".utf8.contains(bytes[position]) { position += 1 }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard !text.isEmpty, let value = Double(text) else {
            position = start
            throw error("unexpected character")
        }
        return .number(value)
    }

    /// A string without escapes is one slice of the input; escapes take the slower path.
    private mutating func string() throws -> String {
        position += 1
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                defer { position += 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("a control character inside a string") }
            position += 1
        }
        var utf8 = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"): try escape(into: &utf8)
            case 0..<0x20: throw error("a control character inside a string")
            default: utf8.append(byte)
            }
        }
        throw error("a string that never ends")
    }

    private mutating func escape(into utf8: inout [UInt8]) throws {
        guard position < bytes.count else { throw error("a string that never ends") }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hexQuad()
            if (0xD800..<0xDC00).contains(scalar), bytes.count - position >= 6,
               bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                let saved = position
                position += 2
                let low = try hexQuad()
                if (0xDC00..<0xE000).contains(low) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    position = saved
                }
            }
            // A lone surrogate cannot be UTF-8: it becomes U+FFFD, as Python and Rust readers do.
            utf8 += String(Unicode.Scalar(scalar) ?? "\u{FFFD}").utf8
        default: throw error("an unknown escape \\\(Character(Unicode.Scalar(byte)))")
        }
    }

    private mutating func hexQuad() throws -> UInt32 {
        guard bytes.count - position >= 4 else { throw error("a \\u escape needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Character(Unicode.Scalar(bytes[position])).hexDigitValue else {
                throw error("a \\u escape needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}
