import Foundation

/// What can be wrong with a safetensors file; each description is one line naming the file.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case truncated(path: String, size: Int)
    case badHeaderLength(path: String, length: UInt64, fileSize: Int)
    case badHeader(path: String, reason: String)
    case badTensor(path: String, name: String, reason: String)
    case unsupportedDType(path: String, name: String, dtype: String)
    case missingTensor(path: String, name: String)
    case countMismatch(path: String, name: String, expected: Int, actual: Int)
    case invalidInput(path: String, reason: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path) could not be read (\(reason)); check the path and permissions"
        case let .truncated(path, size):
            return "\(path) is too short (\(size) bytes) to be a safetensors file; it is probably truncated, write it again"
        case let .badHeaderLength(path, length, fileSize):
            return "\(path) declares a \(length)-byte header in a \(fileSize)-byte file; it is truncated or not a safetensors file"
        case let .badHeader(path, reason):
            return "\(path) has a bad safetensors header (\(reason)); the file is damaged or not a safetensors file"
        case let .badTensor(path, name, reason):
            return "\(path): tensor '\(name)' \(reason); the file is damaged, write it again"
        case let .unsupportedDType(path, name, dtype):
            return "\(path): tensor '\(name)' has dtype \(dtype); Seed reads only F32, F16 and BF16, convert the file first"
        case let .missingTensor(path, name):
            return "\(path) has no tensor '\(name)'; is it a model of a different architecture?"
        case let .countMismatch(path, name, expected, actual):
            return "\(path): tensor '\(name)' has \(actual) values but \(expected) were asked for; the model config does not match the weights"
        case let .invalidInput(path, reason):
            return "cannot write \(path): \(reason)"
        case let .writeFailed(path, reason):
            return "could not write \(path) (\(reason)); check free space and permissions"
        }
    }
}

/// The element types Seed reads; all are converted to Float.
public enum SafeTensorsDType: String, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"

    public var byteSize: Int { self == .f32 ? 4 : 2 }
}

/// One tensor's entry in the header; `begin`/`end` are byte offsets into the data section.
public struct SafeTensorsEntry: Equatable, Sendable {
    public let name: String
    public let dtype: SafeTensorsDType
    public let shape: [Int]
    public let begin: Int
    public let end: Int

    public var count: Int { shape.reduce(1, *) }
}

/// A tensor to write: its name, shape and float32 values (row-major).
public struct SafeTensorsItem {
    public let name: String
    public let shape: [Int]
    let values: UnsafeBufferPointer<Float>?
    let array: [Float]?

    /// The buffer must stay valid until `SafeTensors.write` returns.
    public init(name: String, shape: [Int], values: UnsafeBufferPointer<Float>) {
        self.name = name; self.shape = shape; self.values = values; self.array = nil
    }

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name; self.shape = shape; self.values = nil; self.array = values
    }

    var count: Int { values?.count ?? array!.count }

    func withBuffer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        if let values { return try body(values) }
        return try array!.withUnsafeBufferPointer(body)
    }
}

/// A safetensors file, read and checked whole at init; values are converted to Float on access.
public struct SafeTensors: Sendable {
    public let path: String
    public let metadata: [String: String]
    /// Entries in file order (by data offset).
    public let entries: [SafeTensorsEntry]
    private let byName: [String: Int]
    private let data: Data
    private let dataStart: Int

    /// Tensor names, sorted.
    public var names: [String] { byName.keys.sorted() }

    public init(contentsOf url: URL) throws {
        let path = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SafeTensorsError.unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "\(error.localizedDescription)" : "no such file")
        }
        try self.init(data: data, path: path)
    }

    /// Parses a whole file's bytes; `path` is used in error messages only.
    public init(data: Data, path: String = "<data>") throws {
        self.path = path
        self.data = data
        guard data.count >= 8 else { throw SafeTensorsError.truncated(path: path, size: data.count) }
        let headerLength = data.withUnsafeBytes { raw -> UInt64 in
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        }
        // The Python library caps the header at 100 MB; so do we, which also keeps the Int conversion safe.
        guard headerLength >= 2, headerLength <= 100_000_000, headerLength <= UInt64(data.count - 8) else {
            throw SafeTensorsError.badHeaderLength(path: path, length: headerLength, fileSize: data.count)
        }
        dataStart = 8 + Int(headerLength)
        let headerBytes = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + dataStart))
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerBytes)
        } catch {
            throw SafeTensorsError.badHeader(path: path, reason: "the JSON does not parse")
        }
        guard let object = json as? [String: Any] else {
            throw SafeTensorsError.badHeader(path: path, reason: "the JSON is not an object")
        }
        var metadata: [String: String] = [:]
        var entries: [SafeTensorsEntry] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else {
                    throw SafeTensorsError.badHeader(path: path, reason: "__metadata__ is not an object")
                }
                for (k, v) in m {
                    guard let s = v as? String else {
                        throw SafeTensorsError.badHeader(path: path, reason: "__metadata__ value for '\(k)' is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            entries.append(try SafeTensors.parseEntry(name: name, value: value, path: path))
        }
        let dataSize = data.count - dataStart
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expectedBegin = 0
        for e in entries {
            guard e.begin == expectedBegin else {
                let reason = e.begin < expectedBegin ? "overlaps the tensor before it" : "leaves a gap before it in the data"
                throw SafeTensorsError.badTensor(path: path, name: e.name, reason: reason)
            }
            guard e.end <= dataSize else {
                throw SafeTensorsError.badTensor(path: path, name: e.name,
                                                 reason: "ends at byte \(e.end) but the data section holds \(dataSize) bytes")
            }
            let (bytes, overflow) = e.count.multipliedReportingOverflow(by: e.dtype.byteSize)
            guard !overflow, bytes == e.end - e.begin else {
                throw SafeTensorsError.badTensor(path: path, name: e.name,
                                                 reason: "has shape \(e.shape) (\(e.count) × \(e.dtype.byteSize) bytes) but spans \(e.end - e.begin) bytes")
            }
            expectedBegin = e.end
        }
        guard expectedBegin == dataSize else {
            throw SafeTensorsError.badHeader(path: path, reason: "the tensors cover \(expectedBegin) of \(dataSize) data bytes")
        }
        self.metadata = metadata
        self.entries = entries
        var byName: [String: Int] = [:]
        for (i, e) in entries.enumerated() { byName[e.name] = i }
        self.byName = byName
    }

    private static func parseEntry(name: String, value: Any, path: String) throws -> SafeTensorsEntry {
        func bad(_ reason: String) -> SafeTensorsError { .badTensor(path: path, name: name, reason: reason) }
        guard let info = value as? [String: Any] else { throw bad("is not a JSON object") }
        guard let dtypeName = info["dtype"] as? String else { throw bad("has no dtype") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw SafeTensorsError.unsupportedDType(path: path, name: name, dtype: dtypeName)
        }
        guard let shape = integers(info["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
            throw bad("has no valid shape (a list of non-negative integers)")
        }
        guard let offsets = integers(info["data_offsets"]), offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
            throw bad("has no valid data_offsets (two integers, begin ≤ end)")
        }
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            if overflow { throw bad("has a shape too large to hold") }
            count = p
        }
        return SafeTensorsEntry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
    }

    /// JSON numbers arrive as NSNumber; accept only exact non-boolean integers.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let list = value as? [Any] else { return nil }
        var out: [Int] = []
        for item in list {
            guard let n = item as? NSNumber else { return nil }
            let d = n.doubleValue
            guard d == d.rounded(), abs(d) < 9.0e15 else { return nil }
            out.append(n.intValue)
        }
        return out
    }

    public func entry(_ name: String) throws -> SafeTensorsEntry {
        guard let i = byName[name] else { throw SafeTensorsError.missingTensor(path: path, name: name) }
        return entries[i]
    }

    public func contains(_ name: String) -> Bool { byName[name] != nil }

    public func shape(of name: String) throws -> [Int] { try entry(name).shape }

    public func floats(_ name: String) throws -> [Float] {
        let e = try entry(name)
        return [Float](unsafeUninitializedCapacity: e.count) { buffer, initialized in
            if let base = buffer.baseAddress { convert(e, into: base) }
            initialized = e.count
        }
    }

    /// Converts tensor `name` into `destination`; `count` must equal its number of elements.
    public func copy(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws {
        let e = try entry(name)
        guard e.count == count else {
            throw SafeTensorsError.countMismatch(path: path, name: name, expected: count, actual: e.count)
        }
        convert(e, into: destination)
    }

    private func convert(_ e: SafeTensorsEntry, into out: UnsafeMutablePointer<Float>) {
        let n = e.count
        guard n > 0 else { return }
        data.withUnsafeBytes { raw in
            let src = raw.baseAddress! + dataStart + e.begin
            switch e.dtype {
            case .f32:
                if Int(bitPattern: src) % MemoryLayout<Float>.alignment == 0 && UInt32(littleEndian: 1) == 1 {
                    out.update(from: src.assumingMemoryBound(to: Float.self), count: n)
                } else {
                    for i in 0..<n {
                        out[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    }
                }
            case .f16:
                for i in 0..<n {
                    out[i] = SafeTensors.halfToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            case .bf16:
                for i in 0..<n {
                    let bits = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    out[i] = Float(bitPattern: UInt32(bits) << 16)
                }
            }
        }
    }

    /// IEEE 754 binary16 to Float, by bits (Float16 is unavailable on some x86 toolchains).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
    }
}

extension SafeTensors {
    /// Writes float32 tensors to `url` atomically (temp file in the same folder, fsync, rename). The header
    /// lists names sorted, as the Python library does, and the data follows in that same order.
    public static func write(_ items: [SafeTensorsItem], metadata: [String: String] = [:], to url: URL) throws {
        let path = url.path
        var seen = Set<String>()
        for item in items {
            guard !item.name.isEmpty, item.name != "__metadata__" else {
                throw SafeTensorsError.invalidInput(path: path, reason: "'\(item.name)' is not a valid tensor name")
            }
            guard seen.insert(item.name).inserted else {
                throw SafeTensorsError.invalidInput(path: path, reason: "tensor '\(item.name)' is given twice")
            }
            guard item.shape.allSatisfy({ $0 >= 0 }), item.shape.reduce(1, *) == item.count else {
                throw SafeTensorsError.invalidInput(path: path,
                                                    reason: "tensor '\(item.name)' has shape \(item.shape) but \(item.count) values")
            }
        }
        let sorted = items.sorted { $0.name < $1.name }
        let header = headerBytes(for: sorted.map { ($0.name, $0.shape) }, metadata: metadata)
        try AtomicFileWriter.write(to: url) { handle in
            var prefix = Data(count: 8)
            prefix.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(header.count).littleEndian, as: UInt64.self) }
            prefix.append(header)
            try handle.write(contentsOf: prefix)
            for item in sorted {
                try item.withBuffer { buffer in
                    guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
                    // Write in chunks so a big tensor doesn't need a second copy in memory.
                    let chunk = 1 << 20
                    var start = 0
                    while start < buffer.count {
                        let n = min(chunk, buffer.count - start)
                        var bytes = Data(count: n * 4)
                        bytes.withUnsafeMutableBytes { raw in
                            for i in 0..<n {
                                raw.storeBytes(of: base[start + i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                            }
                        }
                        try handle.write(contentsOf: bytes)
                        start += n
                    }
                }
            }
        }
    }

    /// The JSON header (F32 tensors in the given order), padded with spaces to a multiple of 8.
    static func headerBytes(for tensors: [(name: String, shape: [Int])], metadata: [String: String]) -> Data {
        var object: [String: Any] = [:]
        var offset = 0
        for (name, shape) in tensors {
            let bytes = shape.reduce(1, *) * 4
            object[name] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        if !metadata.isEmpty { object["__metadata__"] = metadata }
        var json = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        let padding = (8 - json.count % 8) % 8
        json.append(contentsOf: [UInt8](repeating: 0x20, count: padding))
        return json
    }
}

/// Writes a file by way of a temp file in the same folder: fsync, then rename over the target, so a
/// reader sees the old file or the new one, never half of one.
public enum AtomicFileWriter {
    public static func write(to url: URL, _ body: (FileHandle) throws -> Void) throws {
        let path = url.path
        let folder = url.deletingLastPathComponent()
        let temp = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard FileManager.default.createFile(atPath: temp.path, contents: nil) else {
            throw SafeTensorsError.writeFailed(path: path, reason: "cannot create a file in \(folder.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temp)
            do {
                try body(handle)
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            guard rename(temp.path, path) == 0 else {
                throw SafeTensorsError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            // Make the rename itself durable.
            let directory = open(folder.path, O_RDONLY)
            if directory >= 0 { _ = fsync(directory); _ = close(directory) }
        } catch let error as SafeTensorsError {
            try? FileManager.default.removeItem(at: temp)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw SafeTensorsError.writeFailed(path: path, reason: error.localizedDescription)
        }
    }
}
