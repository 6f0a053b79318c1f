import ArgumentParser
import Foundation

/// Runs a command's body; a failure becomes one line `error: …` on standard error and exit status 1,
/// never a stack trace.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        printError("error: \(describe(error))")
        throw ExitCode.failure
    }
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
