import Foundation
import SeedPrivacy
@testable import SeedTeacher
import XCTest

final class DeduplicatorTests: XCTestCase {
    func testRougeLOnKnownPairs() {
        let t = Deduplicator.tokens
        XCTAssertEqual(Deduplicator.rougeL(t("the cat sat on the mat"), t("the cat sat on the mat")), 1)
        XCTAssertEqual(Deduplicator.rougeL(t("a b c d"), t("e f g h")), 0)
        // LCS "the cat the mat" = 4 of 6 and 4 of 5.
        XCTAssertEqual(Deduplicator.rougeL(t("The cat sat on the mat."), t("the cat lay the mat")), 2 * (4.0 / 6) * (4.0 / 5) / (4.0 / 6 + 4.0 / 5), accuracy: 1e-12)
    }

    /// The MinHash prefilter keeps exactly what exact all-pairs ROUGE-L keeps, on a sample built to have
    /// many near duplicates.
    func testPrefilterAgreesWithExactRouge() {
        var rng = SplitMix(seed: 7)
        let vocabulary = (0..<60).map { "w\($0)" }
        var texts: [String] = []
        for _ in 0..<400 {
            if !texts.isEmpty && rng.below(3) == 0 {
                var words = texts[rng.below(texts.count)].split(separator: " ").map(String.init)
                words[rng.below(words.count)] = vocabulary[rng.below(vocabulary.count)]
                if rng.below(2) == 0 { words.append(vocabulary[rng.below(vocabulary.count)]) }
                texts.append(words.joined(separator: " "))
            } else {
                texts.append((0..<(5 + rng.below(10))).map { _ in vocabulary[rng.below(vocabulary.count)] }.joined(separator: " "))
            }
        }
        var fast = Deduplicator(threshold: 0.7)
        var exact: [[String]] = []
        var rejected = 0
        for text in texts {
            let tokens = Deduplicator.tokens(text)
            let keepExact = !exact.contains { Deduplicator.rougeL(tokens, $0) > 0.7 }
            if keepExact { exact.append(tokens) } else { rejected += 1 }
            XCTAssertEqual(fast.insert(text), keepExact, text)
        }
        XCTAssertGreaterThan(rejected, 50, "the sample must exercise the filter")
    }

    func testSelfInstructFiltersAndParsing() {
        XCTAssertTrue(SelfInstruct.acceptable("Explain how tides depend on the moon"))
        XCTAssertFalse(SelfInstruct.acceptable("Too short task"))
        XCTAssertFalse(SelfInstruct.acceptable("Draw a picture of a cat sitting down"))
        XCTAssertFalse(SelfInstruct.acceptable("Write a program that sorts a list"))
        XCTAssertFalse(SelfInstruct.acceptable("\"Quoted\" tasks start with punctuation marks"))
        XCTAssertFalse(SelfInstruct.acceptable("Été is a French word for summer season"))
        XCTAssertEqual(SelfInstruct.parse(" First task here\n10. Second task\nnoise line\n11) Third", first: 9, truncated: false),
                       ["First task here", "Second task", "Third"])
        XCTAssertEqual(SelfInstruct.parse("A\n10. B\n11. C cut", first: 9, truncated: true), ["A", "B"])
    }
}
