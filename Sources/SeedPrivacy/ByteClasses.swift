// Byte tests for the UTF-8 scanners. Every trigger and boundary the recognizers use is ASCII, so a
// non-ASCII byte (Chinese, emoji, a combining mark) always counts as "not a word character": an entity
// next to it is still found and its offsets stay exact.

@inline(__always) func isDigit(_ b: UInt8) -> Bool { b &- 48 < 10 }
@inline(__always) func isUpper(_ b: UInt8) -> Bool { b &- 65 < 26 }
@inline(__always) func isLower(_ b: UInt8) -> Bool { b &- 97 < 26 }
@inline(__always) func isLetter(_ b: UInt8) -> Bool { (b | 0x20) &- 97 < 26 }
@inline(__always) func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isLetter(b) }
@inline(__always) func isWordByte(_ b: UInt8) -> Bool { isAlnum(b) || b == 95 }
@inline(__always) func isHexDigit(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- 97 < 6 }
@inline(__always) func lowercased(_ b: UInt8) -> UInt8 { isUpper(b) ? b | 0x20 : b }
@inline(__always) func digitValue(_ b: UInt8) -> Int { Int(b &- 48) }
@inline(__always) func hexValue(_ b: UInt8) -> Int { isDigit(b) ? Int(b &- 48) : Int((b | 0x20) &- 87) }
@inline(__always) func isBase64URLByte(_ b: UInt8) -> Bool { isAlnum(b) || b == 45 || b == 95 }
@inline(__always) func isSpaceByte(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 }

extension UInt8 {
    static let space = UInt8(ascii: " "), dash = UInt8(ascii: "-"), dot = UInt8(ascii: "."), slash = UInt8(ascii: "/")
    static let colon = UInt8(ascii: ":"), at = UInt8(ascii: "@"), plus = UInt8(ascii: "+"), underscore = UInt8(ascii: "_")
    static let openParen = UInt8(ascii: "("), closeParen = UInt8(ascii: ")"), comma = UInt8(ascii: ",")
    static let quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'"), equals = UInt8(ascii: "="), backslash = UInt8(ascii: "\\")
    static let lessThan = UInt8(ascii: "<"), greaterThan = UInt8(ascii: ">"), newline = UInt8(ascii: "\n")
}

/// Shannon entropy in bits per byte: the cheap signal that tells a random key from a word.
func shannonEntropy(_ p: UnsafePointer<UInt8>, _ count: Int) -> Double {
    guard count > 0 else { return 0 }
    var histogram = [Int](repeating: 0, count: 256)
    for i in 0..<count { histogram[Int(p[i])] += 1 }
    var bits = 0.0
    let n = Double(count)
    for c in histogram where c > 0 {
        let q = Double(c) / n
        bits -= q * log2(q)
    }
    return bits
}

import Foundation
