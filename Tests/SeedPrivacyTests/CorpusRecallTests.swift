import SeedPrivacy
import XCTest

/// Recall per type and decoy survival on the labelled corpus. The tuning seeds and templates are what the
/// recognizers were developed against; the evaluation test uses the held-out templates and a seed that was
/// never looked at while tuning.
final class CorpusRecallTests: XCTestCase {
    static let tuningSeed: UInt64 = 1
    static let evaluationSeed: UInt64 = 20_251_111

    func check(_ evaluation: CorpusEvaluation, file: StaticString = #filePath, line: UInt = #line) {
        for (type, tally) in evaluation.recall.sorted(by: { $0.key < $1.key }) where type != EntityType.person.name {
            XCTAssertGreaterThanOrEqual(tally.ratio, 0.99, "\(type) recall \(tally.hits)/\(tally.total); misses: \(evaluation.missExamples[type] ?? [])", file: file, line: line)
        }
        for (type, tally) in evaluation.decoySurvival.sorted(by: { $0.key < $1.key }) {
            XCTAssertGreaterThanOrEqual(tally.ratio, 0.99, "\(type) survival \(tally.hits)/\(tally.total); hit: \(evaluation.missExamples[type] ?? [])", file: file, line: line)
        }
    }

    func testTuningSplit() {
        var generator = LabelledCorpusGenerator(seed: Self.tuningSeed, split: .tuning)
        let evaluation = CorpusEvaluation.run(detector: Detector(), generator: &generator, records: 3000)
        check(evaluation)
        print(summary(evaluation))
    }

    func testEvaluationSplit() {
        var generator = LabelledCorpusGenerator(seed: Self.evaluationSeed, split: .evaluation)
        let evaluation = CorpusEvaluation.run(detector: Detector(), generator: &generator, records: 3000)
        check(evaluation)
        print(summary(evaluation))
        XCTAssertGreaterThan(evaluation.recall[EntityType.person.name]?.ratio ?? 0, 0.5, "PERSON recall (best effort)")
    }

    func summary(_ e: CorpusEvaluation) -> String {
        let r = e.recall.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.hits)/\($0.value.total)" }.joined(separator: ", ")
        let d = e.decoySurvival.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.hits)/\($0.value.total)" }.joined(separator: ", ")
        return "recall: \(r)\ndecoys: \(d)\nunlabelled: \(e.unlabelledDetections)"
    }
}
