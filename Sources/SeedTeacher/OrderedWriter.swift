import Foundation

/// Appends each item's records to the output in item order, whatever order the items finish in, so that a
/// rerun writes the same bytes. Items that finished ahead of a slower one wait here (at most `window`);
/// their answers are already in the cache, so a crash before they are written costs no request. Positions
/// count the items this run processes, 0, 1, 2, …
actor OrderedWriter {
    private let handle: FileHandle
    private let path: String
    private(set) var next: Int
    private var waiting: [Int: [String]] = [:]
    private var roomWaiters: [(index: Int, continuation: CheckedContinuation<Void, Never>)] = []
    private let window: Int
    private(set) var recordsWritten = 0
    private var lastSync = Date()
    private var stopped = false

    init(path: String, handle: FileHandle, window: Int) {
        self.path = path
        self.handle = handle
        next = 0
        self.window = window
    }

    /// Waits until `index` is within the window of items that may be in progress.
    func waitForRoom(_ index: Int) async {
        guard !stopped, index >= next + window else { return }
        await withCheckedContinuation { roomWaiters.append((index, $0)) }
    }

    /// The records of item `index` (none when the judge dropped it or it failed for good).
    func submit(_ index: Int, lines: [String]) throws {
        waiting[index] = lines
        var chunk = ""
        while let lines = waiting.removeValue(forKey: next) {
            for line in lines { chunk += line + "\n" }
            recordsWritten += lines.count
            next += 1
        }
        try append(chunk)
        let ready = roomWaiters.filter { $0.index < next + window }
        roomWaiters.removeAll { $0.index < next + window }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// When the job stops early, the items that finished after a gap are written too (in order): a rerun
    /// fills the gaps at the end of the file, since it skips only the requests whose records it holds.
    func flushAll() throws {
        var chunk = ""
        for index in waiting.keys.sorted() {
            for line in waiting[index]! { chunk += line + "\n" }
            recordsWritten += waiting[index]!.count
        }
        waiting.removeAll()
        try append(chunk)
    }

    private func append(_ chunk: String) throws {
        if !chunk.isEmpty {
            // One write per flush: a kill -9 can tear at most the end of it, which the next run trims.
            do { try handle.write(contentsOf: Data(chunk.utf8)) } catch { throw TeacherError.io(path: path, reason: "cannot write: \(error.localizedDescription)") }
            if Date().timeIntervalSince(lastSync) > 1 {
                try? handle.synchronize()
                lastSync = Date()
            }
        }
    }

    /// Releases every waiting dispatcher (the job is stopping).
    func releaseAll() {
        stopped = true
        for waiter in roomWaiters { waiter.continuation.resume() }
        roomWaiters.removeAll()
    }

    func close() {
        try? handle.synchronize()
        try? handle.close()
    }
}

/// What an existing output file says about earlier runs of the same job: which requests' records (and
/// which of their choices) it holds.
struct OutputResume {
    var present: [String: Set<Int>] = [:]
    var records = 0

    /// Reads the output, cutting off a line torn by a crash (everything after the last newline).
    static func open(path: String) throws -> (OutputResume, FileHandle) {
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) {
            let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            guard fm.createFile(atPath: path, contents: nil) else { throw TeacherError.io(path: path, reason: "cannot create the output file") }
        }
        guard let data = fm.contents(atPath: path), let handle = FileHandle(forUpdatingAtPath: path) else {
            throw TeacherError.io(path: path, reason: "cannot open the output file")
        }
        let end = data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        do {
            try handle.truncate(atOffset: UInt64(end))
            try handle.seekToEnd()
        } catch {
            throw TeacherError.io(path: path, reason: "cannot trim the torn last line: \(error.localizedDescription)")
        }
        var resume = OutputResume()
        for (k, line) in data.prefix(end).split(separator: UInt8(ascii: "\n")).enumerated() {
            guard let seed = (try? JSONValue.parse(Data(line)))?["seed"], let hash = seed["request_sha256"]?.string else {
                try? handle.close()
                throw TeacherError.io(path: path, reason: "line \(k + 1) has no seed.request_sha256: this file was not written by seed distill; move it away or set job.output")
            }
            resume.present[hash, default: []].insert(Int(seed["choice"]?.int ?? 0))
            resume.records += 1
        }
        return (resume, handle)
    }
}
