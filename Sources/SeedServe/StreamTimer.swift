import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Times one streamed completion over a plain blocking socket: the client side of `seed bench serve`.
///
/// The benchmark client shares the two cores with the server it measures, so it must cost next to nothing
/// per event. URLSession on Linux (libcurl, delegate queues) plus a JSON parse per event took a large part
/// of a core at a few thousand events per second; `Data` buffers searched with `range(of:)` still cost
/// 13 % of the process's samples with 8 streams of the demo model, as much as the server's NIO threads.
/// So this reads into one byte buffer, one `recv` per packet, and scans it in place: chunk sizes, event
/// boundaries, and nothing parsed but the closing usage.
struct StreamTimer {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let port: Int

    /// Posts `body` to `path` and reads the answer's server-sent events to the end.
    func run(path: String, body: Data) throws -> ServeBenchmark.StreamTiming {
        let socket = try connect()
        defer { close(socket) }
        let started = ContinuousClock.now
        var request = Data("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
        request.append(body)
        try request.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = send(socket, raw.baseAddress! + sent, raw.count - sent, 0)
                guard n > 0 else { throw Failure(description: "the server closed the connection while the request was sent") }
                sent += n
            }
        }
        var input = SocketBytes(socket: socket)
        let head = try input.readHead()
        guard head.hasPrefix("HTTP/1.1 200") else { throw Failure(description: "the server answered \(head.prefix { $0 != "\r" && $0 != "\n" })") }
        guard head.lowercased().contains("transfer-encoding: chunked") else { throw Failure(description: "the stream was not chunked") }

        var events = EventBytes()
        var first: ContinuousClock.Instant?, last: ContinuousClock.Instant?
        var tokens = 0
        while try input.readChunk(into: &events) {
            let now = ContinuousClock.now
            while let event = events.next() {
                // Every token is an event with a non-empty `choices` (its text may be empty: part of a
                // character); the closing event has empty choices and the usage.
                if events.contains(Self.tokenMarker, in: event) {
                    if first == nil { first = now }
                    last = now
                } else if let count = events.number(after: Self.usageMarker, in: event) {
                    tokens = count
                }
            }
        }
        let firstToken = first ?? .now
        return ServeBenchmark.StreamTiming(timeToFirstToken: (firstToken - started).seconds,
                                           decodeSeconds: ((last ?? firstToken) - firstToken).seconds, tokens: tokens)
    }

    private static let tokenMarker = Array("\"choices\":[{".utf8)
    private static let usageMarker = Array("\"completion_tokens\":".utf8)

    private func connect() throws -> Int32 {
        #if canImport(Glibc)
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let socket = Darwin.socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard socket >= 0 else { throw Failure(description: "no socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                #if canImport(Glibc)
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                #else
                Darwin.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                #endif
            }
        }
        guard connected == 0 else {
            close(socket)
            throw Failure(description: "cannot connect to 127.0.0.1:\(port)")
        }
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return socket
    }
}

/// Index of the first occurrence of `pattern` in `bytes[range]`, if any.
private func find(_ pattern: [UInt8], in bytes: [UInt8], _ range: Range<Int>) -> Int? {
    guard let lead = pattern.first, range.count >= pattern.count else { return nil }
    var i = range.lowerBound
    let last = range.upperBound - pattern.count
    while i <= last {
        if bytes[i] == lead {
            var j = 1
            while j < pattern.count && bytes[i + j] == pattern[j] { j += 1 }
            if j == pattern.count { return i }
        }
        i += 1
    }
    return nil
}

/// The bytes of a blocking socket, read as they come into one buffer: the response head, then the
/// chunks of an HTTP/1.1 chunked body.
private struct SocketBytes {
    let socket: Int32
    private var bytes = [UInt8](repeating: 0, count: 64 * 1024)
    private var start = 0, end = 0

    init(socket: Int32) { self.socket = socket }

    mutating func readHead() throws -> String {
        let stop = try position(of: Self.headEnd)
        let head = String(decoding: bytes[start..<stop], as: UTF8.self)
        start = stop + Self.headEnd.count
        return head
    }

    /// Appends the next chunk's bytes to `events`; false after the last (zero-size) chunk.
    mutating func readChunk(into events: inout EventBytes) throws -> Bool {
        let lineEnd = try position(of: Self.lineEnd)
        guard lineEnd > start, Self.hexValue(bytes[start]) != nil else {
            throw StreamTimer.Failure(description: "a chunk size line could not be read")
        }
        var size = 0
        for byte in bytes[start..<lineEnd] {
            guard let digit = Self.hexValue(byte) else { break }
            size = size * 16 + digit
        }
        start = lineEnd + 2
        while end - start < size + 2 { try receive() }
        events.append(bytes[start..<(start + size)])
        start += size + 2
        return size > 0
    }

    private static let headEnd = Array("\r\n\r\n".utf8)
    private static let lineEnd = Array("\r\n".utf8)

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: return Int(byte - 0x30)
        case 0x41...0x46: return Int(byte - 0x41 + 10)
        case 0x61...0x66: return Int(byte - 0x61 + 10)
        default: return nil
        }
    }

    /// Where `marker` starts in the unread bytes, receiving more until it comes.
    private mutating func position(of marker: [UInt8]) throws -> Int {
        // Counted from `start`, which `receive` may move.
        var searched = 0
        while true {
            if let found = find(marker, in: bytes, (start + searched)..<end) { return found }
            searched = max(0, end - start - marker.count + 1)
            try receive()
        }
    }

    private mutating func receive() throws {
        if start == end {
            start = 0
            end = 0
        } else if bytes.count - end < 16 * 1024 {
            // Moves what is unread to the front, and grows the buffer when that is most of it.
            bytes.withUnsafeMutableBufferPointer { b in
                _ = memmove(b.baseAddress!, b.baseAddress! + start, end - start)
            }
            end -= start
            start = 0
            if bytes.count - end < 16 * 1024 { bytes += [UInt8](repeating: 0, count: bytes.count) }
        }
        let n = bytes.withUnsafeMutableBufferPointer { recv(socket, $0.baseAddress! + end, $0.count - end, 0) }
        guard n > 0 else { throw StreamTimer.Failure(description: "the server closed the stream early") }
        end += n
    }
}

/// The body's bytes cut into server-sent events at blank lines.
private struct EventBytes {
    private var bytes: [UInt8] = []
    private var start = 0

    mutating func append(_ chunk: ArraySlice<UInt8>) {
        if start == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            start = 0
        }
        bytes.append(contentsOf: chunk)
    }

    /// The next whole event's range, if one has arrived.
    mutating func next() -> Range<Int>? {
        guard let end = find(Self.separator, in: bytes, start..<bytes.count) else { return nil }
        defer { start = end + Self.separator.count }
        return start..<end
    }

    func contains(_ marker: [UInt8], in event: Range<Int>) -> Bool { find(marker, in: bytes, event) != nil }

    /// The decimal number right after `marker` in the event, if the marker is there.
    func number(after marker: [UInt8], in event: Range<Int>) -> Int? {
        guard let found = find(marker, in: bytes, event) else { return nil }
        var value = 0, i = found + marker.count, digits = 0
        while i < event.upperBound, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            value = value * 10 + Int(bytes[i] - 0x30)
            i += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    private static let separator = Array("\n\n".utf8)
}
