import Foundation

/// Who made a dataset: the teachers, models and terms behind its records, read from their `seed` objects.
public struct ProvenanceReport: Sendable {
    public struct Source: Hashable, Sendable {
        public var teacher: String
        public var model: String
        public var host: String
        public var termsID: String
        public var termsURL: String
        public var allowsTraining: Bool
    }

    public var records = 0
    public var sources: [Source: Int] = [:]
    /// Line numbers of records without a usable `seed` object.
    public var unknownLines: [Int] = []
    /// Line numbers of records whose terms forbid training, per terms id.
    public var forbiddenLines: [String: [Int]] = [:]

    public static func read(path: String) throws -> ProvenanceReport {
        guard let data = FileManager.default.contents(atPath: path) else { throw TeacherError.io(path: path, reason: "cannot read the dataset") }
        var report = ProvenanceReport()
        for (k, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            report.records += 1
            guard let json = try? JSONValue.parse(Data(line)) else {
                throw TeacherError.badInput(path: path, line: k + 1, reason: "not valid JSON")
            }
            guard let seed = json["seed"], let teacher = seed["teacher"]?.string, let model = seed["model"]?.string,
                  let terms = seed["terms"], let id = terms["id"]?.string, let allows = terms["allows_training"]?.bool
            else {
                report.unknownLines.append(k + 1)
                continue
            }
            let source = Source(teacher: teacher, model: model, host: seed["base_url_host"]?.string ?? "?", termsID: id,
                                termsURL: terms["url"]?.string ?? "", allowsTraining: allows)
            report.sources[source, default: 0] += 1
            if !allows { report.forbiddenLines[id, default: []].append(k + 1) }
        }
        return report
    }

    /// Why the dataset may not be used to train a model, or nil if every record allows it.
    public var trainingViolation: String? {
        var parts: [String] = []
        for (id, lines) in forbiddenLines.sorted(by: { $0.key < $1.key }) {
            parts.append("\(lines.count) records under terms \(id), which forbid training (lines \(Self.list(lines)))")
        }
        if !unknownLines.isEmpty {
            parts.append("\(unknownLines.count) records without seed provenance, whose terms are unknown (lines \(Self.list(unknownLines)))")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    static func list(_ lines: [Int]) -> String {
        let shown = lines.prefix(10).map(String.init).joined(separator: ", ")
        return lines.count > 10 ? shown + " and \(lines.count - 10) more" : shown
    }
}
