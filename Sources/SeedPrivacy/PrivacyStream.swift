import Foundation
import Glibc

/// How a stream runs.
public struct StreamOptions: Sendable {
    public var format: StreamFormat = .jsonl
    public var fields: FieldSelector?
    public var onError: BadLinePolicy = .stop
    /// Worker threads; all cores by default.
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Target size of one batch of lines. At most four batches per thread are in flight, so memory stays at a few
    /// megabytes whatever the input size (a single line longer than this makes its batch that long).
    public var batchBytes = 512 * 1024

    public init() {}
}

/// What a stream did: the figures of `--report`.
public struct StreamSummary: Sendable {
    public var records = 0
    public var bytesIn = 0
    public var bytesOut = 0
    public var seconds = 0.0
    /// Detected (desensitize) or restored (restore) entities per type.
    public var counts: [EntityType: Int] = [:]
    /// Restore: surrogates the vault does not know, per type (left as they were).
    public var unknown: [EntityType: Int] = [:]
    /// Numbers of the lines set aside with `--on-error skip` (the first 1,000).
    public var rejectedLines: [Int] = []
    public var rejected = 0

    public var megabytesPerSecond: Double { seconds > 0 ? Double(bytesIn) / 1e6 / seconds : 0 }

    /// The report as a JSON object.
    public func json(command: String) -> Data {
        var object: [String: Any] = [
            "command": command,
            "records": records,
            "bytes_in": bytesIn,
            "bytes_out": bytesOut,
            "seconds": (seconds * 1000).rounded() / 1000,
            "entities": Dictionary(uniqueKeysWithValues: counts.map { ($0.key.name, $0.value) }),
            "entities_total": counts.values.reduce(0, +),
            "rejected": rejected,
            "rejected_lines": rejectedLines,
        ]
        if command == "restore" { object["unknown_surrogates"] = Dictionary(uniqueKeysWithValues: unknown.map { ($0.key.name, $0.value) }) }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }

    mutating func add(_ r: BatchResult) {
        records += r.records
        bytesOut += r.output.count
        for (t, c) in r.counts { counts[t, default: 0] += c }
        for (t, c) in r.unknown { unknown[t, default: 0] += c }
        rejected += r.rejectedLines.count
        if rejectedLines.count < 1000 { rejectedLines.append(contentsOf: r.rejectedLines.prefix(1000 - rejectedLines.count)) }
    }
}

/// Reads lines from a file descriptor in bounded batches, cut at line ends. The input is read straight into
/// the batch's own buffer: the only copy is the unfinished line after the cut, carried to the next batch.
struct LineBatchReader {
    let fd: Int32
    let batchBytes: Int
    let format: StreamFormat
    /// What was read after the last batch's cut.
    private var carry: [UInt8] = []
    private var eof = false
    private(set) var nextLineNumber: Int
    private(set) var bytesRead = 0
    /// Input offset of the end of the last batch handed out.
    private(set) var consumed: Int
    private static let readSize = 1 << 16

    /// `fd` is positioned at `offset`, the start of line `line`.
    init(fd: Int32, batchBytes: Int, format: StreamFormat, offset: Int = 0, line: Int = 1) {
        self.fd = fd
        self.batchBytes = max(1, batchBytes)
        self.format = format
        consumed = offset
        nextLineNumber = line
    }

    /// The next batch, or nil at the end of the input; its bytes go into `buffer` (an empty array or one that
    /// an earlier batch has finished with, whose storage is reused).
    mutating func next(reusing buffer: consuming [UInt8] = []) throws -> LineBatch? {
        var bytes = try startBatch(reusing: consume buffer)
        // A line longer than a batch: read on until it ends.
        var searched = 0
        while !eof, !bytes[searched...].contains(.newline) {
            searched = bytes.count
            let chunk = try readChunk()
            bytes.append(contentsOf: chunk)
        }
        guard !bytes.isEmpty else { return nil }
        var cut = bytes.count
        if !eof || bytes.last == .newline {
            cut = cutPoint(bytes)
        }
        if cut < bytes.count {
            carry = Array(bytes[cut...])
            bytes.removeSubrange(cut...)
        }
        var lines: [Range<Int>] = []
        var start = 0
        bytes.withUnsafeBufferPointer { b in
            while start < b.count {
                let found = memchr(b.baseAddress! + start, Int32(UInt8.newline), b.count - start)
                let end = found.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - b.baseAddress! } ?? b.count
                lines.append(start..<end)
                start = end + 1
            }
        }
        let batch = LineBatch(bytes: bytes, lines: lines, firstLineNumber: nextLineNumber)
        nextLineNumber += lines.count
        consumed += bytes.count
        return batch
    }

    /// The carried bytes, then reads until the batch size, in one buffer. A reused buffer keeps its old
    /// bytes where the read will write (only its growth is zeroed); a new one is not zeroed at all.
    private mutating func startBatch(reusing buffer: consuming [UInt8]) throws -> [UInt8] {
        let carried = carry
        carry = []
        let capacity = max(batchBytes, carried.count) + Self.readSize
        var ended = eof
        var added = 0
        defer {
            eof = ended
            bytesRead += added
        }
        let fd = fd, batchBytes = batchBytes
        func fill(_ base: UnsafeMutablePointer<UInt8>) throws -> Int {
            carried.withUnsafeBufferPointer { if let c = $0.baseAddress { base.update(from: c, count: $0.count) } }
            var count = carried.count
            while !ended && count < batchBytes {
                let n = try Self.read(fd, base + count, capacity - count)
                if n == 0 { ended = true }
                count += n
                added += n
            }
            return count
        }
        guard buffer.capacity >= capacity else {
            return try [UInt8](unsafeUninitializedCapacity: capacity) { b, count in count = try fill(b.baseAddress!) }
        }
        var bytes = consume buffer
        if bytes.count < capacity { bytes.appendZeros(capacity - bytes.count) }
        let count = try bytes.withUnsafeMutableBufferPointer { try fill($0.baseAddress!) }
        bytes.removeSubrange(count...)
        return bytes
    }

    /// Up to `readSize` more bytes (empty at the end of the input).
    private mutating func readChunk() throws -> [UInt8] {
        var ended = false
        let chunk = try [UInt8](unsafeUninitializedCapacity: Self.readSize) { buffer, count in
            count = try Self.read(fd, buffer.baseAddress!, buffer.count)
            ended = count == 0
        }
        if ended { eof = true }
        bytesRead += chunk.count
        return chunk
    }

    /// One read(2), retried on EINTR; 0 at the end of the input.
    private static func read(_ fd: Int32, _ into: UnsafeMutablePointer<UInt8>, _ count: Int) throws -> Int {
        while true {
            let n = Glibc.read(fd, into, count)
            if n >= 0 { return n }
            if errno != EINTR { throw PrivacyError.io(path: "input", reason: String(cString: strerror(errno))) }
        }
    }

    /// Just after the last newline at or before the batch size (after the first one if a line is longer).
    /// Plain text is cut at a blank line where there is one in the last quarter, so that a multi-line
    /// block (a PEM key) is rarely split between batches.
    private func cutPoint(_ bytes: [UInt8]) -> Int {
        let limit = min(bytes.count, batchBytes)
        if format == .text {
            var i = limit - 1
            while i > limit * 3 / 4 {
                if bytes[i] == .newline && bytes[i - 1] == .newline { return i + 1 }
                i -= 1
            }
        }
        if let last = bytes[0..<limit].lastIndex(of: .newline) { return last + 1 }
        if let first = bytes[limit...].firstIndex(of: .newline) { return first + 1 }
        return bytes.count
    }
}

/// Writes all of a buffer to a file descriptor.
func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
    try bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw PrivacyError.io(path: path, reason: String(cString: strerror(errno)))
            }
            offset += n
        }
    }
}

/// Runs workers over an input stream, writing results in input order.
struct StreamRunner<Transform: TextTransform> {
    let options: StreamOptions
    let makeTransform: () -> Transform

    /// `rejects` opens the rejects file on first use. `progress` is called after every batch written, and
    /// `checkpoint` with where the files stand then (the run continues from `start`). This thread reads
    /// batches ahead (at most four per worker in flight, so memory stays bounded) and writes each result as
    /// soon as it and all before it are done.
    func run(input: Int32, output: Int32, outputName: String, rejects: () throws -> (Int32, String), start: StreamCheckpoint = .init(),
             checkpoint: (StreamCheckpoint) throws -> Void = { _ in }, progress: (StreamSummary) -> Void) throws -> StreamSummary {
        let startTime = Date()
        let pool = WorkerPool(threads: options.threads)
        defer { pool.shutdown() }
        let workers = (0..<pool.threadCount).map { _ in
            BatchWorker(transform: makeTransform(), format: options.format, selector: options.fields, onError: options.onError)
        }
        let results = OrderedResults()
        let window = pool.threadCount * 4
        // Inputs and outputs apart: each kind comes back with the capacity its next use needs.
        let inputs = BufferRecycler(limit: window + 1), outputs = BufferRecycler(limit: window + 1)
        var reader = LineBatchReader(fd: input, batchBytes: options.batchBytes, format: options.format, offset: start.inputOffset, line: start.nextLine)
        var summary = StreamSummary()
        var rejectsFile: (Int32, String)?
        var position = start
        /// Where each batch in flight ends in the input, by sequence number.
        var ends: [Int: (offset: Int, line: Int)] = [:]
        var submitted = 0, written = 0, endOfInput = false
        func finishSummary() {
            summary.bytesIn = reader.bytesRead
            summary.seconds = Date().timeIntervalSince(startTime)
        }
        while true {
            while !endOfInput, submitted - written < window {
                guard let batch = try reader.next(reusing: inputs.take()) else {
                    endOfInput = true
                    break
                }
                let sequence = submitted
                ends[sequence] = (reader.consumed, reader.nextLineNumber)
                let handOver = BatchHandOver(batch)
                pool.submit { thread in
                    var batch = handOver.take()
                    let result = Result { try workers[thread].process(batch, output: outputs.take()) }
                    inputs.give(&batch.bytes)
                    results.set(sequence, result)
                }
                submitted += 1
            }
            guard written < submitted else { break }
            var r = try results.take(written).get()
            defer { outputs.give(&r.output) }
            let end = ends.removeValue(forKey: written)!
            written += 1
            try writeAll(output, r.output, path: outputName)
            if !r.rejects.isEmpty {
                if rejectsFile == nil { rejectsFile = try rejects() }
                try writeAll(rejectsFile!.0, r.rejects, path: rejectsFile!.1)
            }
            summary.add(r)
            if let failure = r.failure {
                finishSummary()
                throw failure
            }
            position.inputOffset = end.offset
            position.nextLine = end.line
            position.outputBytes += r.output.count
            position.rejectsBytes += r.rejects.count
            try checkpoint(position)
            finishSummary()
            progress(summary)
        }
        finishSummary()
        return summary
    }
}

/// The streaming entry points behind `seed desensitize` and `seed restore`.
public enum PrivacyStream {
    /// Where a stream reads, writes and sets bad lines aside; "-" is standard input or output.
    public struct Files: Sendable {
        public var input: String
        public var output: String
        public var rejects: String?
        /// Continue an interrupted run from its progress file (`OUT.progress.json`) instead of starting
        /// over; needs an input file and an output file. Without a progress file the run starts over.
        public var resume: Bool

        public init(input: String = "-", output: String = "-", rejects: String? = nil, resume: Bool = false) {
            self.input = input
            self.output = output
            self.rejects = rejects
            self.resume = resume
        }
    }

    /// How often a stream to a file saves its progress, and (for tests) what happens after each save.
    struct Checkpointing {
        var interval: TimeInterval = 0.5
        var afterSave: (StreamCheckpoint) throws -> Void = { _ in }
    }

    public static func desensitize(_ files: Files, policy: PrivacyPolicy, vault: Vault?, key: VaultKey?, options: StreamOptions,
                                   progress: (StreamSummary) -> Void = { _ in }) throws -> StreamSummary {
        try desensitize(files, policy: policy, vault: vault, key: key, options: options, checkpointing: Checkpointing(), progress: progress)
    }

    static func desensitize(_ files: Files, policy: PrivacyPolicy, vault: Vault?, key: VaultKey?, options: StreamOptions,
                            checkpointing: Checkpointing, progress: (StreamSummary) -> Void = { _ in }) throws -> StreamSummary {
        if policy.needsVault && vault == nil { throw PrivacyError.vaultRequired }
        if policy.needsKey && key == nil { throw PrivacyError.missingKey }
        let runner = StreamRunner(options: options) { DesensitizeTransform(policy: policy, vault: vault, key: key) }
        return try run(runner, files, checkpointing, progress)
    }

    public static func restore(_ files: Files, vault: Vault, types: [EntityType] = EntityType.builtIn, options: StreamOptions,
                               progress: (StreamSummary) -> Void = { _ in }) throws -> StreamSummary {
        let finder = SurrogateFinder(types: types)
        let realistic = RealisticMatcher(try vault.realisticSurrogates())
        let runner = StreamRunner(options: options) { RestoreTransform(vault: vault, finder: finder, realistic: realistic) }
        return try run(runner, files, Checkpointing(), progress)
    }

    private static func run<T>(_ runner: StreamRunner<T>, _ files: Files, _ checkpointing: Checkpointing,
                               _ progress: (StreamSummary) -> Void) throws -> StreamSummary {
        let input = files.input == "-" ? 0 : open(files.input, O_RDONLY)
        guard input >= 0 else { throw PrivacyError.io(path: files.input, reason: String(cString: strerror(errno))) }
        defer { if input != 0 { close(input) } }
        let progressPath = files.output == "-" ? nil : StreamCheckpoint.path(output: files.output)
        var start = StreamCheckpoint(inputSize: regularFileSize(input))
        if files.resume {
            guard let progressPath, files.input != "-" else {
                throw PrivacyError.io(path: files.output == "-" ? "standard output" : files.input, reason: "--resume needs --input FILE and --out FILE")
            }
            if let saved = try StreamCheckpoint.load(progressPath) {
                guard saved.inputSize == start.inputSize, lseek(input, off_t(saved.inputOffset), SEEK_SET) >= 0 else {
                    throw PrivacyError.io(path: files.input, reason: "it is not the input of the interrupted run (its size changed); run again without --resume to start over")
                }
                start = saved
            }
        }
        let output = files.output == "-" ? 1 : try openForWriting(files.output, keeping: start.outputBytes)
        defer { if output != 1 { close(output) } }
        var rejectsFD: Int32 = -1
        defer { if rejectsFD >= 0 { close(rejectsFD) } }
        let rejectsPath = files.rejects ?? (files.output == "-" ? "rejects.jsonl" : files.output + ".rejects.jsonl")
        var lastSave = Date.distantPast
        let summary = try runner.run(input: input, output: output, outputName: files.output == "-" ? "standard output" : files.output, rejects: {
            rejectsFD = try openForWriting(rejectsPath, keeping: start.rejectsBytes)
            return (rejectsFD, rejectsPath)
        }, start: start, checkpoint: { position in
            guard let progressPath, Date().timeIntervalSince(lastSave) >= checkpointing.interval else { return }
            try position.save(progressPath)
            lastSave = Date()
            try checkpointing.afterSave(position)
        }, progress: progress)
        if let progressPath { try? FileManager.default.removeItem(atPath: progressPath) }
        return summary
    }
}
