import CSeedScan
import XCTest

/// The SSE2 byte runs against their one-byte-at-a-time definitions, at every start offset of buffers that
/// hold every byte value, so that each lane position and the scalar tail are both exercised.
final class ScanBytesTests: XCTestCase {
    private func isWordByte(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95
    }

    private func stopsString(_ b: UInt8) -> Bool { b == 34 || b == 92 || b < 0x20 }

    /// Buffers of word bytes with one other byte at each position, plus random mixtures.
    private func samples() -> [[UInt8]] {
        var rng = SystemRandomNumberGenerator()
        let word = Array("abcXYZ019_".utf8)
        var out: [[UInt8]] = []
        for other in 0...255 {
            for position in [0, 1, 7, 15, 16, 17, 31, 40] {
                var b = (0..<48).map { word[$0 % word.count] }
                b[position] = UInt8(other)
                out.append(b)
            }
        }
        for _ in 0..<200 { out.append((0..<Int.random(in: 0...70, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }) }
        out.append(Array(repeating: UInt8(ascii: "a"), count: 100))
        return out
    }

    func testWordEndMatchesBytewiseScan() {
        for b in samples() {
            b.withUnsafeBufferPointer { p in
                for start in 0...b.count {
                    var expected = start
                    while expected < b.count && isWordByte(b[expected]) { expected += 1 }
                    XCTAssertEqual(seed_word_end(p.baseAddress!, start, b.count), expected, "\(b) from \(start)")
                }
            }
        }
    }

    func testStringStopMatchesBytewiseScan() {
        var quoted = samples()
        quoted.append(Array("plain text with no stop at all, long enough for two steps....".utf8))
        quoted.append(Array("a\u{00e9}\u{4e2d}\"".utf8))
        for b in quoted {
            b.withUnsafeBufferPointer { p in
                for start in 0...b.count {
                    var expected = start
                    while expected < b.count && !stopsString(b[expected]) { expected += 1 }
                    XCTAssertEqual(seed_string_stop(p.baseAddress!, start, b.count), expected, "\(b) from \(start)")
                }
            }
        }
    }
}
