import Foundation

/// What is wrong with a token shard; one line naming the file and what to do.
public enum TokenShardError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case unreadable(String, reason: String)
    case tooShort(String, size: Int)
    case badMagic(String, magic: Int32)
    case unknownVersion(String, version: Int32)
    case countMismatch(String, header: Int, inFile: Int)
    case tokenOutOfRange(String, token: Int64, vocabulary: Int)
    case tooManyTokens(String)
    case writeFailed(String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "\(path) does not exist; make token shards with `seed data tokenize`"
        case .unreadable(let path, let reason):
            return "\(path) could not be read (\(reason)); check the path and permissions"
        case .tooShort(let path, let size):
            return "\(path) is \(size) bytes, shorter than a token shard's 1024-byte header; it is truncated or not a shard"
        case .badMagic(let path, let magic):
            return "\(path) is not a token shard (magic \(magic), expected \(TokenShard.magic)); make one with `seed data tokenize`"
        case .unknownVersion(let path, let version):
            return "\(path) is a token shard of unknown version \(version) (known: 1 for uint16, 2 for uint32); make it again with `seed data tokenize`"
        case .countMismatch(let path, let header, let inFile):
            return "\(path) declares \(header) tokens but holds \(inFile); it is truncated or damaged, make it again with `seed data tokenize`"
        case .tokenOutOfRange(let path, let token, let vocabulary):
            return "cannot write token \(token) to \(path): it is outside the vocabulary of \(vocabulary)"
        case .tooManyTokens(let path):
            return "cannot write \(path): a shard holds at most \(Int32.max) tokens; split the corpus"
        case .writeFailed(let path, let reason):
            return "could not write \(path) (\(reason)); check free space and permissions"
        }
    }
}

/// Tokens in llm.c's shard layout: 256 little-endian int32 (magic 20240520, version, token count, zeros),
/// then the tokens as uint16 (version 1) or uint32 (version 2). The whole file is held in memory.
public struct TokenShard: Sendable {
    public static let magic: Int32 = 20240520
    public static let headerInts = 256
    public static let headerBytes = headerInts * 4

    enum Storage: Sendable {
        case narrow([UInt16])
        case wide([UInt32])
    }

    let storage: Storage
    public let count: Int
    /// The largest token plus one (0 for an empty shard): the smallest vocabulary that covers the shard.
    public let vocabularyBound: Int
    /// 1 (uint16 tokens) or 2 (uint32 tokens).
    public var version: Int { if case .narrow = storage { return 1 } else { return 2 } }

    public init(contentsOf url: URL) throws {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw TokenShardError.missing(path) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenShardError.unreadable(path, reason: error.localizedDescription)
        }
        try self.init(data: data, path: path)
    }

    /// Parses a whole shard's bytes; `path` is used in error messages only.
    public init(data: Data, path: String = "<data>") throws {
        guard data.count >= Self.headerBytes else { throw TokenShardError.tooShort(path, size: data.count) }
        let (storage, count, bound) = try data.withUnsafeBytes { raw -> (Storage, Int, Int) in
            func header(_ i: Int) -> Int32 { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
            guard header(0) == Self.magic else { throw TokenShardError.badMagic(path, magic: header(0)) }
            let version = header(1)
            guard version == 1 || version == 2 else { throw TokenShardError.unknownVersion(path, version: version) }
            let width = version == 1 ? 2 : 4
            let declared = Int(header(2))
            let payload = raw.count - Self.headerBytes
            guard declared >= 0, payload % width == 0, payload / width == declared else {
                throw TokenShardError.countMismatch(path, header: declared, inFile: payload / width)
            }
            let body = raw.baseAddress! + Self.headerBytes
            if version == 1 {
                var maximum: UInt16 = 0
                let tokens = [UInt16](unsafeUninitializedCapacity: declared) { buffer, initialized in
                    for i in 0..<declared {
                        let t = UInt16(littleEndian: body.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                        buffer[i] = t
                        maximum = max(maximum, t)
                    }
                    initialized = declared
                }
                return (.narrow(tokens), declared, declared == 0 ? 0 : Int(maximum) + 1)
            }
            var maximum: UInt32 = 0
            let tokens = [UInt32](unsafeUninitializedCapacity: declared) { buffer, initialized in
                for i in 0..<declared {
                    let t = UInt32(littleEndian: body.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                    buffer[i] = t
                    maximum = max(maximum, t)
                }
                initialized = declared
            }
            // Tokens are handed out as Int32, so ids past Int32.max cannot be represented.
            guard maximum <= UInt32(Int32.max) else {
                throw TokenShardError.tokenOutOfRange(path, token: Int64(maximum), vocabulary: Int(Int32.max))
            }
            return (.wide(tokens), declared, declared == 0 ? 0 : Int(maximum) + 1)
        }
        self.storage = storage
        self.count = count
        self.vocabularyBound = bound
    }

    public subscript(i: Int) -> Int32 {
        switch storage {
        case .narrow(let tokens): return Int32(tokens[i])
        case .wide(let tokens): return Int32(bitPattern: tokens[i])
        }
    }

    /// Copies tokens `start ..< start + count` into `destination`.
    public func copy(from start: Int, count: Int, into destination: UnsafeMutablePointer<Int32>) {
        precondition(start >= 0 && count >= 0 && start + count <= self.count, "token range out of the shard")
        switch storage {
        case .narrow(let tokens):
            tokens.withUnsafeBufferPointer { src in
                for i in 0..<count { destination[i] = Int32(src[start + i]) }
            }
        case .wide(let tokens):
            tokens.withUnsafeBufferPointer { src in
                UnsafeRawPointer(src.baseAddress! + start).withMemoryRebound(to: Int32.self, capacity: count) {
                    destination.update(from: $0, count: count)
                }
            }
        }
    }

    /// All tokens as Int32 (for tests and small shards).
    public var tokens: [Int32] {
        [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { copy(from: 0, count: count, into: buffer.baseAddress!) }
            initialized = count
        }
    }

    /// Writes `tokens` as one shard, atomically.
    public static func write(_ tokens: [Int32], vocabularySize: Int, to url: URL) throws {
        let writer = try TokenShardWriter(url: url, vocabularySize: vocabularySize)
        do {
            try tokens.withUnsafeBufferPointer { try writer.append($0) }
            try writer.finish()
        } catch {
            writer.cancel()
            throw error
        }
    }
}

/// Streams tokens into a shard: a temp file in the target's folder, the count patched into the header at
/// the end, fsync, rename. Until `finish` (or `commit`) nothing at the target path changes.
public final class TokenShardWriter {
    public let url: URL
    public let vocabularySize: Int
    /// 1 (uint16) when the vocabulary fits, else 2 (uint32).
    public let version: Int32
    public private(set) var count = 0
    let tempURL: URL
    private var handle: FileHandle?
    private var closed = false
    private var committed = false

    public init(url: URL, vocabularySize: Int) throws {
        precondition(vocabularySize > 0, "vocabulary size must be positive")
        self.url = url
        self.vocabularySize = vocabularySize
        version = vocabularySize <= 65536 ? 1 : 2
        tempURL = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard FileManager.default.createFile(atPath: tempURL.path, contents: nil) else {
            throw TokenShardError.writeFailed(url.path, reason: "cannot create a file in \(tempURL.deletingLastPathComponent().path)")
        }
        do {
            handle = try FileHandle(forWritingTo: tempURL)
            try handle!.write(contentsOf: Self.header(version: version, count: 0))
        } catch {
            cancel()
            throw TokenShardError.writeFailed(url.path, reason: error.localizedDescription)
        }
    }

    deinit { if !committed { cancel() } }

    static func header(version: Int32, count: Int32) -> Data {
        var data = Data(count: TokenShard.headerBytes)
        data.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: TokenShard.magic.littleEndian, toByteOffset: 0, as: Int32.self)
            raw.storeBytes(of: version.littleEndian, toByteOffset: 4, as: Int32.self)
            raw.storeBytes(of: count.littleEndian, toByteOffset: 8, as: Int32.self)
        }
        return data
    }

    public func append(_ tokens: [Int32]) throws {
        try tokens.withUnsafeBufferPointer { try append($0) }
    }

    public func append(_ tokens: UnsafeBufferPointer<Int32>) throws {
        guard let handle, !closed else { preconditionFailure("append after finish or cancel") }
        guard count + tokens.count <= Int(Int32.max) else { throw TokenShardError.tooManyTokens(url.path) }
        let width = version == 1 ? 2 : 4
        var bytes = Data(count: tokens.count * width)
        var bad: Int32?
        bytes.withUnsafeMutableBytes { raw in
            for (i, t) in tokens.enumerated() {
                if t < 0 || Int(t) >= vocabularySize { bad = t; return }
                if width == 2 {
                    raw.storeBytes(of: UInt16(truncatingIfNeeded: t).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                } else {
                    raw.storeBytes(of: UInt32(bitPattern: t).littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
            }
        }
        if let bad { throw TokenShardError.tokenOutOfRange(url.path, token: Int64(bad), vocabulary: vocabularySize) }
        do { try handle.write(contentsOf: bytes) } catch {
            throw TokenShardError.writeFailed(url.path, reason: error.localizedDescription)
        }
        count += tokens.count
    }

    /// Patches the count into the header and makes the temp file durable; the target is not touched yet.
    public func close() throws {
        guard !closed, let handle else { return }
        do {
            try handle.seek(toOffset: 0)
            try handle.write(contentsOf: Self.header(version: version, count: Int32(count)))
            try handle.synchronize()
            try handle.close()
        } catch {
            throw TokenShardError.writeFailed(url.path, reason: error.localizedDescription)
        }
        self.handle = nil
        closed = true
    }

    /// Renames the closed temp file over the target.
    public func commit() throws {
        precondition(closed && !committed, "commit needs a closed, uncommitted writer")
        guard rename(tempURL.path, url.path) == 0 else {
            throw TokenShardError.writeFailed(url.path, reason: String(cString: strerror(errno)))
        }
        committed = true
        let directory = open(url.deletingLastPathComponent().path, O_RDONLY)
        if directory >= 0 { _ = fsync(directory); _ = Foundation.close(directory) }
    }

    /// Closes and commits: the shard appears at `url` whole or not at all.
    public func finish() throws {
        try close()
        try commit()
    }

    /// Drops the temp file; the target is left as it was.
    public func cancel() {
        guard !committed else { return }
        try? handle?.close()
        handle = nil
        closed = true
        try? FileManager.default.removeItem(at: tempURL)
    }
}
