import SeedPrivacy
import XCTest

final class RestoreTests: PrivacyTestCase {
    func testToleratesReformattedSurrogates() throws {
        let store = try vault()
        let d = try Desensitizer(vault: store, key: key)
        XCTAssertEqual(try d.desensitize(text: "mail a@example.com, card 4111 1111 1111 1111"), "mail <EMAIL_1>, card <CREDIT_CARD_1>")
        let r = try Restorer(vault: store)
        let cases = [
            "<EMAIL_1>": "a@example.com", "<email_1>": "a@example.com", "EMAIL_1>": "a@example.com", "<EMAIL_1": "a@example.com",
            "EMAIL_1": "a@example.com", "(<EMAIL_1>)": "(a@example.com)", "[EMAIL_1]": "a@example.com", "«EMAIL_1»": "a@example.com",
            "&lt;EMAIL_1&gt;": "a@example.com", "<Email-1>": "a@example.com", "<credit card 1>": "4111 1111 1111 1111",
            "{{CREDIT_CARD_1}}": "4111 1111 1111 1111", "＜EMAIL_1＞。": "a@example.com。", "\"<EMAIL_1>\",": "\"a@example.com\",",
            // Not surrogates, or unknown ones: left alone.
            "EMAIL 1": "EMAIL 1", "<EMAIL_2>": "<EMAIL_2>", "EMAILS_1": "EMAILS_1", "(EMAIL-1)": "(EMAIL-1)",
        ]
        for (answer, expected) in cases {
            XCTAssertEqual(try r.restore(text: "x \(answer) y"), "x \(expected) y", answer)
        }
    }

    /// restore(desensitize(x)) == x on every record of the labelled corpus, numbered and realistic.
    func testRoundTripOnTheCorpus() throws {
        for realistic in [false, true] {
            let store = try vault(realistic ? "realistic.sqlite" : "numbered.sqlite")
            var policy = PrivacyPolicy()
            policy.realistic = realistic
            let d = try Desensitizer(policy: policy, vault: store, key: key)
            var generator = LabelledCorpusGenerator(seed: 7, split: .tuning)
            var desensitized: [(String, String, Bool?)] = []
            for _ in 0..<400 {
                let record = generator.next()
                let entities = record.texts.flatMap(\.spans).filter { !$0.isDecoy }
                // PERSON is best effort (recall about 0.9): a record whose only entities are names may pass unchanged.
                let changes: Bool? = entities.isEmpty ? false : entities.contains { $0.type != EntityType.person.name } ? true : nil
                desensitized.append((record.jsonLine, try d.desensitize(jsonLine: record.jsonLine), changes))
            }
            let r = try Restorer(vault: store)
            for (original, output, changes) in desensitized {
                if let changes { XCTAssertEqual(original != output, changes, original) }
                assertSameJSON(try r.restore(jsonLine: output), original)
            }
        }
    }
}
