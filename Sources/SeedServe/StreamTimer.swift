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
/// of a core at a few thousand events per second; this reads the chunked body with one `recv` per packet
/// and finds the event boundaries with a byte search, parsing nothing but the closing usage.
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
        var reader = ChunkedReader(socket: socket)
        let head = try reader.readHead()
        guard head.hasPrefix("HTTP/1.1 200") else { throw Failure(description: "the server answered \(head.prefix { $0 != "\r" && $0 != "\n" })") }
        guard head.lowercased().contains("transfer-encoding: chunked") else { throw Failure(description: "the stream was not chunked") }

        var events = EventSplitter()
        var first: ContinuousClock.Instant?, last: ContinuousClock.Instant?
        var tokens = 0
        while let payload = try reader.nextChunk() {
            let now = ContinuousClock.now
            for event in events.feed(payload) {
                // Every token is an event with a non-empty `choices` (its text may be empty: part of a
                // character); the closing event has empty choices and the usage.
                if event.range(of: Self.tokenMarker) != nil {
                    if first == nil { first = now }
                    last = now
                } else if let count = Self.completionTokens(in: event) {
                    tokens = count
                }
            }
        }
        let firstToken = first ?? .now
        return ServeBenchmark.StreamTiming(timeToFirstToken: (firstToken - started).seconds,
                                           decodeSeconds: ((last ?? firstToken) - firstToken).seconds, tokens: tokens)
    }

    private static let tokenMarker = Data("\"choices\":[{".utf8)
    private static let usageMarker = Data("\"completion_tokens\":".utf8)

    private static func completionTokens(in event: Data) -> Int? {
        guard let marker = event.range(of: usageMarker) else { return nil }
        let digits = event[marker.upperBound...].prefix { $0 >= 0x30 && $0 <= 0x39 }
        return Int(String(decoding: digits, as: UTF8.self))
    }

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

/// The head and then the chunks of an HTTP/1.1 chunked body, read from a blocking socket.
private struct ChunkedReader {
    let socket: Int32
    private var buffer = Data()
    /// One receive buffer for the whole stream: a token's event arrives in a packet of its own.
    private var received = [UInt8](repeating: 0, count: 64 * 1024)

    init(socket: Int32) { self.socket = socket }

    mutating func readHead() throws -> String {
        let end = try readUntil(Data("\r\n\r\n".utf8))
        let head = String(decoding: buffer.prefix(end), as: UTF8.self)
        buffer.removeFirst(end + 4)
        return head
    }

    /// The next chunk's bytes, or nil after the last (zero-size) chunk.
    mutating func nextChunk() throws -> Data? {
        let lineEnd = try readUntil(Data("\r\n".utf8))
        let sizeText = String(decoding: buffer.prefix(lineEnd), as: UTF8.self).split(separator: ";").first ?? ""
        guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
            throw StreamTimer.Failure(description: "a chunk size line could not be read")
        }
        buffer.removeFirst(lineEnd + 2)
        while buffer.count < size + 2 { try receive() }
        let chunk = buffer.prefix(size)
        buffer.removeFirst(size + 2)
        return size == 0 ? nil : Data(chunk)
    }

    private mutating func readUntil(_ marker: Data) throws -> Int {
        var searched = 0
        while true {
            if let found = buffer.range(of: marker, in: (buffer.startIndex + searched)..<buffer.endIndex) {
                return found.lowerBound - buffer.startIndex
            }
            searched = max(0, buffer.count - marker.count + 1)
            try receive()
        }
    }

    private mutating func receive() throws {
        let n = recv(socket, &received, received.count, 0)
        guard n > 0 else { throw StreamTimer.Failure(description: "the server closed the stream early") }
        buffer.append(contentsOf: received[0..<n])
    }
}

/// Cuts a byte stream into server-sent events at blank lines.
private struct EventSplitter {
    private var pending = Data()

    mutating func feed(_ bytes: Data) -> [Data] {
        pending.append(bytes)
        var events: [Data] = []
        while let end = pending.range(of: Data("\n\n".utf8)) {
            events.append(Data(pending[pending.startIndex..<end.lowerBound]))
            pending.removeSubrange(pending.startIndex..<end.upperBound)
        }
        return events
    }
}
