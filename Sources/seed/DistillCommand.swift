import ArgumentParser
import Foundation
import SeedTeacher

struct DistillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Generate a chat dataset from a teacher's answers, within a budget, with the provenance of every record.",
        discussion: """
            The job file names the teachers (base URL, the environment variable with the API key, model, prices, \
            limits, terms), the budget, and the job: source (prompts, self_instruct or evolve), generate, optional \
            judge, output. Paths are relative to the job file. Every answer is cached and ledgered in the state \
            folder (job.state, default seed-state/): a rerun sends only what is not answered yet, a finished job \
            reruns without a request and writes the same bytes, and a run killed at any moment resumes without \
            losing or repeating a record.
            """)

    @Option(help: "The job file (YAML).") var config: String
    @Option(name: .customLong("export-batch"), help: "Write the unanswered requests as OpenAI Batch JSONL shards into this folder instead of sending them.")
    var exportBatch: String?
    @Option(name: .customLong("import-batch"), parsing: .upToNextOption, help: "Read Batch API (or vLLM run_batch) output files into the cache and ledger, then run.")
    var importBatch: [String] = []

    func run() async throws {
        try await reportingErrorsAsync {
            let job = try DistillJob(config: try DistillConfig.load(path: config))
            do {
                try await runJob(job)
                await job.shutdown()
            } catch {
                await job.shutdown()
                throw error
            }
        }
    }

    private func runJob(_ job: DistillJob) async throws {
        if let exportBatch {
            let e = try await job.exportBatch(directory: exportBatch)
            print("exported \(e.requests) requests in \(e.files.count) shards to \(exportBatch) (\(e.alreadyAnswered) already answered)")
            return
        }
        if !importBatch.isEmpty {
            let i = try await job.importBatch(files: importBatch)
            printError(String(format: "imported %d answers (%d errors, %d skipped), $%.6f at batch prices", i.answers, i.errors, i.skipped, i.spentUSD))
        }
        let progress = DistillProgress()
        let s = try await job.run { progress.report($0) }
        progress.finish()
        let output = URL(fileURLWithPath: job.config.output).lastPathComponent
        var line = "distilled: \(s.recordsWritten) records written (\(s.recordsInOutput) in \(output)), \(s.counters.requests) requests sent, "
            + "\(s.counters.cacheHits) cache hits"
        if s.counters.retries > 0 { line += ", \(s.counters.retries) retries" }
        if s.failedItems > 0 { line += ", \(s.failedItems) prompts refused by the teacher (see the ledger)" }
        if s.droppedByJudge > 0 { line += ", \(s.droppedByJudge) answers dropped by the judge" }
        line += String(format: ", spent $%.6f", s.counters.spentUSD)
        if let limit = s.budgetLimitUSD { line += String(format: " (budget $%.6f of $%.6f)", s.budgetSpentUSD, limit) }
        line += String(format: ", %.1f s", s.seconds)
        print(line)
        if let stop = s.stoppedBy {
            printError("error: \(stop)")
            throw ExitCode.failure
        }
    }
}

/// One redrawn line on a terminal (rate, spend, ETA); a JSON line every 5 s otherwise.
final class DistillProgress: @unchecked Sendable {
    private let lock = NSLock()
    /// The first JSON line comes after 5 s: a short job prints only its summary.
    private var last = Date()
    private var drew = false

    func report(_ p: JobProgress) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        let c = p.counters
        if standardErrorIsTerminal {
            guard !drew || now.timeIntervalSince(last) > 0.2 || p.itemsDone == p.items else { return }
            let line = String(format: "\r%d/%d prompts | %d records | %.1f/s | %d requests, %d cached | $%.4f | ETA %@\u{1B}[K", p.itemsDone,
                              p.items, p.records, p.rate, c.requests, c.cacheHits, c.spentUSD, formatDuration(p.etaSeconds))
            FileHandle.standardError.write(Data(line.utf8))
            drew = true
        } else {
            guard now.timeIntervalSince(last) > 5 else { return }
            printError(String(format: "{\"prompts_done\": %d, \"prompts\": %d, \"records\": %d, \"per_s\": %.2f, \"requests\": %d, \"cache_hits\": %d, \"spent_usd\": %.6f, \"eta_s\": %.0f}",
                              p.itemsDone, p.items, p.records, p.rate, c.requests, c.cacheHits, c.spentUSD, p.etaSeconds.isFinite ? p.etaSeconds : -1))
        }
        last = now
    }

    func finish() {
        if drew { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

