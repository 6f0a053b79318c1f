/// GPT-2's reversible map between bytes and printable characters. tokenizer.json and GGUF store byte-level
/// tokens as strings of these characters, so that a token holding a space or a lone UTF-8 continuation byte
/// is still a valid, visible JSON string: printable Latin-1 bytes stand for themselves, the other 68 bytes
/// take the characters from U+0100 on, in byte order (space becomes `Ġ`, newline `Ċ`).
public enum ByteLevelAlphabet {
    /// The character that stands for each byte.
    public static let scalarForByte: [Unicode.Scalar] = {
        var scalars = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(UInt8(byte)) {
                scalars[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                scalars[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return scalars
    }()

    /// The byte behind each character of the alphabet, indexed by scalar value (all are below U+0144);
    /// -1 for characters outside it, which are not byte-level.
    private static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in scalarForByte.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    private static func isPrintable(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// The alphabet string of raw token bytes, as tokenizer.json writes it.
    public static func string(for bytes: some Sequence<UInt8>) -> String {
        var view = String.UnicodeScalarView()
        for byte in bytes { view.append(scalarForByte[Int(byte)]) }
        return String(view)
    }

    /// The raw bytes behind an alphabet string, or nil when a character is not part of the alphabet.
    public static func bytes(for string: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(string.utf8.count)
        for scalar in string.unicodeScalars {
            guard scalar.value < 0x144, case let byte = byteForScalar[Int(scalar.value)], byte >= 0 else { return nil }
            bytes.append(UInt8(byte))
        }
        return bytes
    }
}
