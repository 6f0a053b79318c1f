import ArgumentParser
import Foundation
import SeedTeacher

struct ProvenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provenance",
        abstract: "List the teachers, models and terms behind a dataset's records; --check train fails if any forbids training.")

    enum Check: String, ExpressibleByArgument, CaseIterable {
        case train
    }

    @Argument(help: "A JSONL dataset written by seed distill.") var dataset: String
    @Option(help: "train: exit non-zero, naming the records, when any record's terms forbid training or are unknown.") var check: Check?

    func run() throws {
        try reportingErrors {
            let report = try ProvenanceReport.read(path: dataset)
            print("\(report.records) records")
            for (source, count) in report.sources.sorted(by: { $0.value > $1.value }) {
                print("  \(count)  teacher \(source.teacher), model \(source.model) at \(source.host); terms \(source.termsID) \(source.termsURL): "
                      + (source.allowsTraining ? "training allowed" : "training forbidden"))
            }
            if !report.unknownLines.isEmpty { print("  \(report.unknownLines.count)  without provenance") }
            if check == .train, let violation = report.trainingViolation {
                throw ValidationFailure("\(dataset) may not be used for training: \(violation)")
            }
        }
    }
}

/// A failed check: its message is the whole error line.
struct ValidationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
