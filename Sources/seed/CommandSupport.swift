import ArgumentParser
import Foundation
import SeedTrain

/// Runs a command's body; a failure becomes one line `error: …` on standard error and exit status 1,
/// never a stack trace.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw reported(error)
    }
}

/// `reportingErrors` for async commands.
func reportingErrorsAsync<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw reported(error)
    }
}

/// What a command throws for `error`: the parser's own errors as they are (it prints usage for those),
/// anything else printed as one line, then exit status 1.
private func reported(_ error: Error) -> Error {
    if error is ExitCode || error is ValidationError { return error }
    printError("error: \(describe(error))")
    return ExitCode.failure
}

func describe(_ error: Error) -> String {
    // Foundation's file errors read best in their localized form; Seed's own errors describe themselves.
    if error is CocoaError { return error.localizedDescription }
    return String(describing: error)
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// True when standard error is a terminal: progress then redraws one line instead of printing many.
var standardErrorIsTerminal: Bool { isatty(2) != 0 }

func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}

func formatRate(_ tokensPerSecond: Double) -> String {
    tokensPerSecond >= 1000 ? String(format: "%.1fk", tokensPerSecond / 1000) : String(format: "%.0f", tokensPerSecond)
}

/// Redraws one progress line on a terminal; prints a JSON line per report otherwise (rate limited).
final class ProgressReporter {
    let label: String
    private var lastPrint = Date.distantPast

    init(label: String) { self.label = label }

    func report(_ p: TrainingProgress) {
        let now = Date()
        let final = p.step == p.steps
        let last = final || p.valLoss != nil
        if standardErrorIsTerminal {
            guard last || now.timeIntervalSince(lastPrint) > 0.2 else { return }
            let val = p.valLoss.map { String(format: " | val %.4f", $0) } ?? ""
            let line = String(format: "\r%@ step %d/%d | loss %.4f%@ | lr %.2e | %@ tok/s | %@ elapsed | ETA %@\u{1B}[K",
                              label, p.step, p.steps, p.loss, val, p.lr, formatRate(p.tokensPerSecond),
                              formatDuration(p.elapsedSeconds), formatDuration(p.etaSeconds))
            FileHandle.standardError.write(Data(line.utf8))
            // A validation result stays on screen: the next report starts a new line.
            if p.valLoss != nil && !final { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            guard last || now.timeIntervalSince(lastPrint) > 5 else { return }
            let val = p.valLoss.map { String(format: ", \"val_loss\": %.5f", $0) } ?? ""
            printError(String(format: "{\"step\": %d, \"steps\": %d, \"loss\": %.5f%@, \"tokens_per_s\": %.1f, \"eta_s\": %.1f}",
                              p.step, p.steps, p.loss, val, p.tokensPerSecond, p.etaSeconds))
        }
        lastPrint = now
    }

    func finish() {
        if standardErrorIsTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
