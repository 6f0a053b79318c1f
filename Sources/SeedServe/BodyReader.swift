import Foundation
import Hummingbird

/// Reads request bodies within a size limit and a time limit.
struct BodyReader: Sendable {
    let limit: Int
    let timeout: Duration

    /// The whole body; 413 when it is (or announces itself) larger than the limit, 408 when it is too slow.
    func read(_ body: RequestBody, headers: HTTPFields) async throws -> Data {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit { throw APIError.bodyTooLarge(limit: limit) }
        let limit = limit, timeout = timeout
        do {
            let buffer = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
                group.addTask { try await body.collect(upTo: limit) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let buffer = first else { throw APIError.timedOut }
                return buffer
            }
            return Data(buffer.readableBytesView)
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            throw APIError.bodyTooLarge(limit: limit)
        }
    }

    /// Runs a generation request so that a client that closes its connection cancels it: the handler's task
    /// is cancelled, which drops the token streams and removes the sequences from the engine. (A streamed
    /// answer notices instead when writing to the closed connection fails.) Watching the connection uses up
    /// its request stream, so Hummingbird closes it after the response: `Connection: close` tells clients
    /// not to reuse it.
    func generation(_ request: Request, _ respond: @escaping @Sendable (Data) async throws -> Response) async throws -> Response {
        let headers = request.headers
        var response: Response
        do {
            response = try await request.body.consumeWithCancellationOnInboundClose { body in
                try await respond(try await read(body, headers: headers))
            }
        } catch let error as APIError {
            response = error.response
        }
        response.headers[.connection] = "close"
        return response
    }
}
