import Foundation
import XCTest

/// Runs the built `seed` executable in a scratch folder of its own per test.
class SeedCommandTestCase: XCTestCase {
    struct Result { var status: Int32; var stdout: String; var stderr: String }

    static var seedBinary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("seed")
    }

    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seed-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.fileExists(atPath: Self.seedBinary.path), "seed binary not at \(Self.seedBinary.path)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    /// Starts `seed` with `environment` laid over this process's own (a nil value removes the variable),
    /// and with `stdin` and the working folder `directory` when they are given.
    func launch(_ arguments: [String], environment: [String: String?] = [:], stdin: FileHandle? = nil,
                directory: URL? = nil) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = Self.seedBinary
        process.arguments = arguments
        if !environment.isEmpty {
            var merged = ProcessInfo.processInfo.environment
            for (name, value) in environment { merged[name] = value }
            process.environment = merged
        }
        if let stdin { process.standardInput = stdin }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    /// Waits for a launched `seed` and collects what it printed.
    func finish(_ launched: (Process, Pipe, Pipe)) -> Result {
        let (process, out, err) = launched
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    @discardableResult
    func seed(_ arguments: String...) throws -> Result { try seed(arguments) }

    @discardableResult
    func seed(_ arguments: [String]) throws -> Result { finish(try launch(arguments)) }

    func assertOneLineError(_ r: Result, containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(r.status, 0, file: file, line: line)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "stderr: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("error: ") || r.stderr.hasPrefix("Error: "), r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(text), "expected '\(text)' in: \(r.stderr)", file: file, line: line)
    }
}
