import Foundation

/// The JSON of a streamed chunk that carries only a piece of text, the one event most streams are made of,
/// written straight into bytes. `JSONEncoder` took about 10 µs per chunk, some 8 % of a core at the
/// demo model's 8–9k tokens/s; the parts that never change within a response are written once here.
/// Chunks with log-probabilities, a finish reason or usage still go through `ResponseJSON`.
struct TextChunkJSON: Sendable {
    /// `{"id":…,"object":…,"created":…,"model":…,"choices":[{"index":`
    private let head: [UInt8]
    /// What closes the chunk after the choice: `]}`, or `],"usage":null}` in a stream that reports usage
    /// at its end (OpenAI's other chunks then carry a null usage).
    private let tail: [UInt8]

    init(_ context: ResponseContext, object: String, nullUsage: Bool = false) {
        var head: [UInt8] = []
        head += Array("{\"id\":".utf8)
        Self.appendString(context.id, to: &head)
        head += Array(",\"object\":".utf8)
        Self.appendString(object, to: &head)
        head += Array(",\"created\":\(context.created),\"model\":".utf8)
        Self.appendString(context.model, to: &head)
        head += Array(",\"choices\":[{\"index\":".utf8)
        self.head = head
        tail = Array((nullUsage ? "],\"usage\":null}" : "]}").utf8)
    }

    /// A legacy completions chunk: `choices[0]` is `{"index": index, "text": text, "logprobs": null,
    /// "finish_reason": null}`.
    func completion(index: Int, text: String) -> Data {
        chunk(index: index, field: ",\"text\":", text: text, close: ",\"logprobs\":null,\"finish_reason\":null}")
    }

    /// A chat completions chunk: `choices[0]` is `{"index": index, "delta": {"content": text}, "logprobs": null,
    /// "finish_reason": null}`.
    func chatDelta(index: Int, content: String) -> Data {
        chunk(index: index, field: ",\"delta\":{\"content\":", text: content, close: "},\"logprobs\":null,\"finish_reason\":null}")
    }

    private func chunk(index: Int, field: StaticString, text: String, close: StaticString) -> Data {
        var bytes = head
        bytes.reserveCapacity(head.count + text.utf8.count + 80)
        bytes += Array(String(index).utf8)
        field.withUTF8Buffer { bytes += $0 }
        Self.appendString(text, to: &bytes)
        close.withUTF8Buffer { bytes += $0 }
        bytes += tail
        return Data(bytes)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `text` as a JSON string: quotes, with `"`, `\` and the control characters escaped, everything
    /// else (slashes and non-ASCII included) as its UTF-8, as `JSONEncoder` with `.withoutEscapingSlashes` does.
    static func appendString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x08: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0..<0x20:
                bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 15)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
