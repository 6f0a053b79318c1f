/// Recall per entity type and survival per decoy type of a detector on labelled texts.
///
/// An entity is found when a detection of the same type covers it; it is hidden (not leaked) when any
/// detection covers it. A decoy survives when no detection overlaps it.
public struct CorpusEvaluation: Sendable {
    public struct Tally: Sendable {
        public var total = 0
        public var hits = 0
        public var ratio: Double { total == 0 ? 1 : Double(hits) / Double(total) }

        public init(total: Int = 0, hits: Int = 0) {
            self.total = total
            self.hits = hits
        }
    }

    public var recall: [String: Tally] = [:]
    public var hidden: [String: Tally] = [:]
    public var decoySurvival: [String: Tally] = [:]
    /// Detections that overlap no label, per detected type.
    public var unlabelledDetections: [String: Int] = [:]
    /// The first misses per type, for tuning (text around the label).
    public var missExamples: [String: [String]] = [:]
    public var bytes = 0

    public init() {}

    public mutating func add(_ text: LabelledText, detections: [Detection]) {
        let utf8 = Array(text.text.utf8)
        bytes += utf8.count
        for span in text.spans {
            if span.isDecoy {
                let survived = !detections.contains { $0.start < span.end && span.start < $0.end }
                decoySurvival[span.type, default: Tally()].total += 1
                if survived { decoySurvival[span.type]!.hits += 1 } else { note(span, in: utf8, detections: detections) }
                continue
            }
            let found = detections.contains { $0.type.name == span.type && $0.start <= span.start && $0.end >= span.end }
            let covered = detections.contains { $0.start <= span.start && $0.end >= span.end }
            recall[span.type, default: Tally()].total += 1
            hidden[span.type, default: Tally()].total += 1
            if found { recall[span.type]!.hits += 1 } else { note(span, in: utf8, detections: detections) }
            if covered { hidden[span.type]!.hits += 1 }
        }
        for d in detections where !text.spans.contains(where: { $0.start < d.end && d.start < $0.end }) {
            unlabelledDetections[d.type.name, default: 0] += 1
        }
    }

    private mutating func note(_ span: LabelledSpan, in utf8: [UInt8], detections: [Detection]) {
        guard missExamples[span.type, default: []].count < 8 else { return }
        let value = String(decoding: utf8[span.start..<span.end], as: UTF8.self)
        let got = detections.filter { $0.start < span.end && span.start < $0.end }
            .map { "\($0.type.name)=\(String(decoding: utf8[$0.start..<$0.end], as: UTF8.self))" }
        missExamples[span.type, default: []].append("\(value)  got: \(got)  in: \(String(decoding: utf8, as: UTF8.self))")
    }

    /// Evaluates a detector on `count` records of a generator.
    public static func run(detector: Detector, generator: inout LabelledCorpusGenerator, records count: Int) -> CorpusEvaluation {
        var evaluation = CorpusEvaluation()
        var scratch = DetectorScratch()
        for _ in 0..<count {
            for text in generator.next().texts {
                var bytes = Array(text.text.utf8)
                let detections = bytes.withUnsafeMutableBufferPointer { detector.detect(UnsafeBufferPointer($0), scratch: &scratch) }
                evaluation.add(text, detections: detections)
            }
        }
        return evaluation
    }
}
