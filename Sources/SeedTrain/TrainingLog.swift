import Foundation

/// One line of `log.jsonl`.
public struct TrainingLogEntry: Codable, Equatable, Sendable {
    public var step: Int
    public var loss: Double
    public var lr: Double
    public var tokensPerSecond: Double
    public var elapsedSeconds: Double
    public var valLoss: Double?
    public var gradNorm: Double?

    enum CodingKeys: String, CodingKey {
        case step, loss, lr, tokensPerSecond = "tokens_per_s", elapsedSeconds = "elapsed_s", valLoss = "val_loss"
        case gradNorm = "grad_norm"
    }
}

/// `log.jsonl`: appended a line at a time (each line is whole on disk before the next step starts, so a
/// kill loses at most the line being written), and cut back to the last saved step on resume.
public final class TrainingLog {
    public let url: URL
    private var handle: FileHandle?
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// Opens the log, keeping only the entries up to and including `keepThrough` (nil: start empty).
    public init(url: URL, keepThrough step: Int?) throws {
        self.url = url
        var kept = Data()
        if let step, let existing = try? Data(contentsOf: url) {
            for line in existing.split(separator: UInt8(ascii: "\n")) {
                guard let entry = try? JSONDecoder().decode(TrainingLogEntry.self, from: Data(line)), entry.step <= step else { continue }
                kept.append(contentsOf: line)
                kept.append(UInt8(ascii: "\n"))
            }
        }
        try kept.write(to: url, options: .atomic)
        handle = try FileHandle(forWritingTo: url)
        try handle?.seekToEnd()
    }

    deinit { try? handle?.close() }

    public func append(_ entry: TrainingLogEntry) throws {
        var line = try encoder.encode(entry)
        line.append(UInt8(ascii: "\n"))
        try handle?.write(contentsOf: line)
    }

    public static func read(_ url: URL) throws -> [TrainingLogEntry] {
        let data = try Data(contentsOf: url)
        return try data.split(separator: UInt8(ascii: "\n")).map { try JSONDecoder().decode(TrainingLogEntry.self, from: Data($0)) }
    }
}
