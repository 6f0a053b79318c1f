import Foundation
import Hummingbird

/// A streaming response in the server-sent events format that OpenAI's clients read: `data: JSON` events,
/// then `data: [DONE]`. A failed write means the client went away: the loop ends, which drops the event
/// stream and so cancels the generation that feeds it.
enum ServerSentEvents {
    static func response(_ events: AsyncThrowingStream<Data, Error>) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            do {
                for try await event in events { try await writer.write(frame(event)) }
            } catch let error as APIError {
                // The status line is gone already; OpenAI's clients raise on an error event instead.
                try await writer.write(frame(error.json))
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        })
    }

    private static func frame(_ json: Data) -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(json)
        buffer.writeString("\n\n")
        return buffer
    }

    /// Runs `produce` in a task whose events become the stream; ending the stream early cancels the task.
    static func produce(_ produce: @escaping @Sendable (AsyncThrowingStream<Data, Error>.Continuation) async throws -> Void)
        -> AsyncThrowingStream<Data, Error> {
        let (stream, continuation) = AsyncThrowingStream<Data, Error>.makeStream()
        let task = Task {
            do {
                try await produce(continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
