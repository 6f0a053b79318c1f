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
}
