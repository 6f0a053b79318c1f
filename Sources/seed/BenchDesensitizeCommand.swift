import ArgumentParser
import Foundation
import SeedPrivacy

struct BenchDesensitizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "desensitize",
        abstract: "MB/s of the whole desensitize pipeline with a vault, recall per type and decoy survival on held-out data.",
        discussion: """
            Generates labelled JSONL from the evaluation half of Seed's corpus (templates and seed never used for \
            tuning), scores the detector on it, then times desensitize (parse, detect, pseudonymize into a fresh \
            vault, write) from file to file, restores the output and compares it with the input. For scale, on \
            this kind of data measured on the 2-core development machine (research notes): scrubadub about \
            0.5 MB/s, Presidio's pattern recognizers 0.048 MB/s, Presidio with spaCy NER 0.010 MB/s, presidio-rs 1.03 MB/s.
            """)

    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Option(help: "Megabytes of JSONL to generate.") var mb = 64.0
    @Option(help: "Generator seed (the default is the evaluation seed).") var seed: UInt64 = PrivacyBenchmark.evaluationSeed
    @Option(help: "Worker threads (default: every core).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Realistic surrogates instead of <TYPE_N>.") var realistic = false
    @Flag(help: "Redact instead of pseudonymizing: no vault, the throughput of detection alone.") var redact = false
    @Option(help: "Keep the generated input, the output and the vault in this folder (to profile `seed desensitize` on them).")
    var keepFiles: String?

    func run() throws {
        try reportingErrors {
            let directory = keepFiles.map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("seed-bench-desensitize-\(UUID().uuidString)")
            let r = try PrivacyBenchmark.run(megabytes: mb, seed: seed, threads: threads, realistic: realistic, redact: redact,
                                             directory: directory, keepFiles: keepFiles != nil)
            if json {
                print(r.json)
                return
            }
            if r.redacted {
                print(String(format: "desensitize %.1f MB, %d records, %d entities, %d threads, redacted (no vault)", r.megabytes, r.records, r.entities, r.threads))
                print(String(format: "throughput   %.1f MB/s (parse, detect, redact, write)", r.megabytesPerSecond))
            } else {
                print(String(format: "desensitize %.1f MB, %d records, %d entities (%d distinct), %d threads%@",
                             r.megabytes, r.records, r.entities, r.distinctValues, r.threads, r.realistic ? ", realistic surrogates" : ""))
                print(String(format: "throughput   %.1f MB/s (parse, detect, pseudonymize with vault, write); restore %.1f MB/s", r.megabytesPerSecond, r.restoreMegabytesPerSecond))
            }
            print("recall (same type covers the label; 'hidden' = any detection covers it)")
            for (type, t) in r.recall.sorted(by: { $0.key < $1.key }) where type != "PERSON" {
                let hidden = r.hidden[type]?.ratio ?? 0
                print("  \(type.padding(toLength: 16, withPad: " ", startingAt: 0)) \(String(format: "%.4f", t.ratio))  (\(t.hits)/\(t.total), hidden \(String(format: "%.4f", hidden)))")
            }
            print("decoys left untouched")
            for (type, t) in r.decoySurvival.sorted(by: { $0.key < $1.key }) {
                print("  \(type.padding(toLength: 16, withPad: " ", startingAt: 0)) \(String(format: "%.4f", t.ratio))  (\(t.hits)/\(t.total))")
            }
            let person = r.recall["PERSON"] ?? .init()
            print(String(format: "PERSON recall (best effort, name lists + context) %.4f (%d/%d)", person.ratio, person.hits, person.total))
            if !r.redacted {
                print("round trip   restore(desensitize(x)) == x for \(r.roundTripRecords - r.roundTripFailures)/\(r.roundTripRecords) records, \(r.roundTripByteIdentical) of them byte for byte")
            }
        }
    }
}
