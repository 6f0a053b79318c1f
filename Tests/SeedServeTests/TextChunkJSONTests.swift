import Foundation
@testable import SeedServe
import XCTest

final class TextChunkJSONTests: XCTestCase {
    /// Texts that need every kind of escape, and some that need none.
    static let texts = ["", "plain", "quote \" and backslash \\ and slash /", "line\nbreak\r\ttab", "\u{08}\u{0C}\u{00}\u{01}\u{1F}\u{7F}",
                        "中文，emoji 🙂, combining é", "\u{2028}\u{2029}", "\\u0041 is not an escape", String(repeating: "ab\"", count: 200)]

    private func object(_ data: Data) throws -> NSDictionary {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? NSDictionary, String(decoding: data, as: UTF8.self))
    }

    /// The written chunk is valid JSON and says what `JSONEncoder` says, for every text.
    func testChunksSayWhatTheEncoderSays() throws {
        let context = ResponseContext(id: "cmpl-\"odd\\id", created: 1_795_686_599, model: "demo/model \"q\"")
        for nullUsage in [false, true] {
            let completions = TextChunkJSON(context, object: "text_completion", nullUsage: nullUsage)
            let chat = TextChunkJSON(context, object: "chat.completion.chunk", nullUsage: nullUsage)
            for (i, text) in Self.texts.enumerated() {
                let index = i * 7
                let expected = ResponseJSON.encode(CompletionResponse(id: context.id, created: context.created, model: context.model,
                                                                      choices: [CompletionChoice(index: index, text: text)], nullUsage: nullUsage))
                XCTAssertEqual(try object(completions.completion(index: index, text: text)), try object(expected), text)
                let expectedChat = ResponseJSON.encode(ChatCompletionResponse(id: context.id, object: "chat.completion.chunk",
                                                                              created: context.created, model: context.model,
                                                                              choices: [ChatChoice(index: index, delta: ChatMessageOut(content: text))],
                                                                              nullUsage: nullUsage))
                XCTAssertEqual(try object(chat.chatDelta(index: index, content: text)), try object(expectedChat), text)
            }
        }
        // Fields without a value are null, not absent, as in OpenAI's chunks.
        let chunk = try object(TextChunkJSON(context, object: "text_completion", nullUsage: true).completion(index: 0, text: "a"))
        XCTAssertTrue(chunk["usage"] is NSNull)
        let choice = try XCTUnwrap((chunk["choices"] as? [NSDictionary])?.first)
        XCTAssertTrue(choice["finish_reason"] is NSNull)
        XCTAssertTrue(choice["logprobs"] is NSNull)
    }

    /// The exact bytes: the short escapes, `\u00XX` for other control characters, UTF-8 and slashes as they are.
    func testEscapes() {
        var bytes: [UInt8] = []
        TextChunkJSON.appendString("a\"b\\c\nd\u{01}e/é🙂\u{7F}", to: &bytes)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "\"a\\\"b\\\\c\\nd\\u0001e/é🙂\u{7F}\"")
    }

    /// Response ids are the prefix and 24 lowercase hex digits, different each time. Among 2,000, hundreds
    /// have a leading zero in one of their halves, which the length check would catch if it were dropped.
    func testResponseIdsAreThePrefixAnd24HexDigits() {
        let ids = (0..<2000).map { _ in ResponseJSON.newId("cmpl") }
        XCTAssertEqual(Set(ids).count, ids.count)
        for id in ids {
            XCTAssertTrue(id.hasPrefix("cmpl-"), id)
            let digits = id.dropFirst(5)
            XCTAssertEqual(digits.count, 24, id)
            XCTAssertTrue(digits.allSatisfy { "0123456789abcdef".contains($0) }, id)
        }
    }
}
