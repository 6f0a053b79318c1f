import ArgumentParser
import Foundation
import SeedPrivacy

extension StreamFormat: ExpressibleByArgument {}
extension BadLinePolicy: ExpressibleByArgument {}

/// Options shared by `seed desensitize` and `seed restore`.
struct PrivacyStreamOptions: ParsableArguments {
    @Option(help: "Input file, or - for standard input.") var input = "-"
    @Option(help: "Output file, or - for standard output.") var out = "-"
    @Option(help: "jsonl (rewrite string values) or text.") var format: StreamFormat = .jsonl
    @Option(help: "Comma-separated JSON paths to process instead of every string value, e.g. messages[].content,text.") var fields: String?
    @Option(name: .customLong("key-file"), help: "File with the 32-byte vault key (raw, base64 or hex); default: $SEED_VAULT_KEY.") var keyFile: String?
    @Option(name: .customLong("on-error"), help: "A line that is not JSON: stop (keeping all output before it) or skip (into --rejects).")
    var onError: BadLinePolicy = .stop
    @Option(help: "Where skipped lines go (default: OUT.rejects.jsonl, or rejects.jsonl when writing to standard output).") var rejects: String?
    @Option(help: "Write the number of entities per type (and more) to this JSON file.") var report: String?
    @Option(help: "Worker threads (default: every core).") var threads: Int?
    @Flag(help: "Continue an interrupted run (killed, crashed) from OUT.progress.json instead of starting over; without that file the run starts over.")
    var resume = false

    func streamOptions() throws -> StreamOptions {
        var options = StreamOptions()
        options.format = format
        options.fields = try fields.map(FieldSelector.init)
        options.onError = onError
        if let threads { options.threads = threads }
        return options
    }

    var files: PrivacyStream.Files { .init(input: input, output: out, rejects: rejects, resume: resume) }

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if fields != nil && format == .text { throw ValidationError("--fields applies to --format jsonl only") }
        if resume && (input == "-" || out == "-") { throw ValidationError("--resume needs --input FILE and --out FILE") }
    }

    /// The summary line on standard error, and the report file.
    func finish(_ summary: StreamSummary, verb: String, command: String) throws {
        if let report {
            do {
                try summary.json(command: command).write(to: URL(fileURLWithPath: report))
            } catch {
                throw PrivacyError.io(path: report, reason: "cannot write the report: \(error.localizedDescription)")
            }
        }
        let counts = summary.counts.sorted { $0.key < $1.key }.map { "\($0.key.name) \($0.value)" }.joined(separator: ", ")
        var line = String(format: "%@ %d records (%.1f MB) in %.2f s, %.1f MB/s", verb, summary.records, Double(summary.bytesIn) / 1e6,
                          summary.seconds, summary.megabytesPerSecond)
        line += counts.isEmpty ? "; no entities" : "; \(counts)"
        let unknown = summary.unknown.values.reduce(0, +)
        if unknown > 0 { line += "; \(unknown) surrogates not in the vault, left as they were" }
        if summary.rejected > 0 { line += "; \(summary.rejected) bad lines set aside in \(files.rejects ?? (out == "-" ? "rejects.jsonl" : out + ".rejects.jsonl"))" }
        printError(line)
    }
}

/// Reports progress of a stream: one redrawn line on a terminal, a JSON line every 5 s otherwise.
final class StreamProgress {
    private var last = Date()

    func report(_ s: StreamSummary) {
        let now = Date()
        if standardErrorIsTerminal {
            guard now.timeIntervalSince(last) > 0.2 else { return }
            FileHandle.standardError.write(Data(String(format: "\r%d records, %.1f MB, %.1f MB/s\u{1B}[K", s.records, Double(s.bytesIn) / 1e6, s.megabytesPerSecond).utf8))
        } else {
            guard now.timeIntervalSince(last) > 5 else { return }
            printError(String(format: "{\"records\": %d, \"mb\": %.1f, \"mb_per_s\": %.1f}", s.records, Double(s.bytesIn) / 1e6, s.megabytesPerSecond))
        }
        last = now
    }

    func finish() {
        if standardErrorIsTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

struct DesensitizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "desensitize",
        abstract: "Replace personal data and secrets in JSONL or text with consistent surrogates.",
        discussion: """
            Every string value of every record is scrubbed (or only --fields); keys, numbers and other values are \
            copied byte for byte. The default operator is pseudonymize: the same value gets the same surrogate \
            (<EMAIL_17>) in every record and every run that uses the same --vault, and `seed restore` puts the \
            originals back. The vault key comes from SEED_VAULT_KEY (32 bytes, base64 or hex) or --key-file.
            Types: EMAIL PHONE CREDIT_CARD IBAN US_SSN CN_ID UK_NINO IN_AADHAAR IPV4 IPV6 MAC URL_CREDENTIAL SECRET PERSON.
            Operators (--operator TYPE=OP, ALL=OP for the default): pseudonymize, redact, mask[:HEAD:TAIL], hash[:HEXDIGITS], keep.
            """)

    @OptionGroup var stream: PrivacyStreamOptions
    @Option(help: "Vault file (SQLite, created if missing) that maps surrogates back to the originals, which it keeps encrypted.")
    var vault: String?
    @Option(help: "Policy file (YAML): operators per type, threshold, disabled types, custom recognizers.") var policy: String?
    @Option(name: .customLong("operator"), help: "TYPE=OPERATOR, e.g. PHONE=mask:3:4 or ALL=redact; repeatable.") var operators: [String] = []
    @Flag(help: "Pseudonymize with format-preserving fakes that pass their validators (Luhn, mod 97, GB 11643, ...).") var realistic = false

    func run() throws {
        try reportingErrors {
            var policy = try self.policy.map { try PrivacyPolicy.load(path: $0) } ?? PrivacyPolicy()
            for assignment in operators { try policy.setOperator(assignment) }
            if realistic { policy.realistic = true }
            let options = try stream.streamOptions()
            if policy.needsVault && vault == nil { throw PrivacyError.vaultRequired }
            let key = policy.needsKey ? try VaultKey.load(keyFile: stream.keyFile) : nil
            let store = try vault.map { try Vault(path: $0, key: key ?? VaultKey.load(keyFile: stream.keyFile)) }
            let progress = StreamProgress()
            let summary = try PrivacyStream.desensitize(stream.files, policy: policy, vault: store, key: key, options: options,
                                                        progress: progress.report)
            progress.finish()
            try stream.finish(summary, verb: "desensitized", command: "desensitize")
        }
    }
}
