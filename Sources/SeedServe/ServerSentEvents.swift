import Foundation
import Hummingbird

/// A streaming response in the server-sent events format that OpenAI's clients read: `data: JSON` events,
/// then `data: [DONE]`. A failed write means the client went away: the writer stops, which cancels the
/// task that produces the events and so the generation that feeds it. While a request waits for a place in
/// the engine or reads a long prompt, a comment line (which clients skip) goes out every half second, so
/// that a client that left is noticed then too, not only once tokens flow.
enum ServerSentEvents {
    static func response(_ events: EventQueue) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { events.cancel() }
            do {
                while let batch = try await events.next() {
                    var buffer = ByteBuffer()
                    for event in batch { frame(event, into: &buffer) }
                    try await writer.write(buffer)
                }
            } catch let error as APIError {
                // The status line is gone already; OpenAI's clients raise on an error event instead.
                var buffer = ByteBuffer()
                frame(error.json, into: &buffer)
                try await writer.write(buffer)
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        })
    }

    private static func frame(_ json: Data, into buffer: inout ByteBuffer) {
        if json.isEmpty {
            buffer.writeString(":\n\n")
            return
        }
        buffer.writeString("data: ")
        buffer.writeBytes(json)
        buffer.writeString("\n\n")
    }

    /// Runs `produce` in a task whose events fill the queue; the writer stopping early cancels the task.
    static func produce(_ produce: @escaping @Sendable (EventQueue) async throws -> Void) -> EventQueue {
        let queue = EventQueue()
        queue.task = Task {
            do {
                try await produce(queue)
                queue.finish()
            } catch {
                queue.finish(throwing: error)
            }
        }
        Task {
            repeat { try? await Task.sleep(for: JSONResponse.heartbeat) } while queue.heartbeat()
        }
        return queue
    }
}

/// The events of one response on their way from the producing task to the writer. The writer takes all
/// that piled up since its last write and sends them as one chunk: when the engine runs ahead of the
/// network (many streams of a small model) a stream's tokens go out a few per write, instead of one
/// write, one flush and one client wake-up per token.
final class EventQueue: @unchecked Sendable {
    private let lock = NSLock()
    /// Events to send; an empty one is a heartbeat.
    private var pending: [Data] = []
    private var yieldedSinceHeartbeat = false
    private var ended = false
    private var failure: Error?
    private var waiter: CheckedContinuation<Void, Never>?
    fileprivate var task: Task<Void, Never>? {
        get { lock.withLock { _task } }
        set { lock.withLock { _task = newValue } }
    }
    private var _task: Task<Void, Never>?

    func yield(_ event: Data) {
        lock.lock()
        guard !ended else { return lock.unlock() }
        pending.append(event)
        yieldedSinceHeartbeat = true
        let waking = waiter
        waiter = nil
        lock.unlock()
        waking?.resume()
    }

    func finish(throwing error: Error? = nil) {
        lock.lock()
        if !ended { ended = true; failure = error }
        let waking = waiter
        waiter = nil
        lock.unlock()
        waking?.resume()
    }

    /// Queues a heartbeat unless an event came since the last one or one is still waiting to go; false once
    /// the queue has ended.
    func heartbeat() -> Bool {
        lock.lock()
        if ended { lock.unlock(); return false }
        var waking: CheckedContinuation<Void, Never>?
        if !yieldedSinceHeartbeat && pending.isEmpty {
            pending.append(Data())
            waking = waiter
            waiter = nil
        }
        yieldedSinceHeartbeat = false
        lock.unlock()
        waking?.resume()
        return true
    }

    /// Stops the producing task; events still to come are dropped.
    func cancel() {
        task?.cancel()
        finish()
    }

    /// Every event not yet taken, waiting for at least one; nil once the producer has finished and all
    /// its events were taken, or its error then. A cancelled writer stops waiting.
    func next() async throws -> [Data]? {
        while true {
            switch take() {
            case .events(let batch): return batch
            case .end(nil): return nil
            case .end(let failure?): throw failure
            case .wait: break
            }
            try Task.checkCancellation()
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    if !park(continuation) { continuation.resume() }
                }
            } onCancel: {
                lock.lock()
                let waking = waiter
                waiter = nil
                lock.unlock()
                waking?.resume()
            }
        }
    }

    private enum Taken { case events([Data]), end(Error?), wait }

    private func take() -> Taken {
        lock.lock()
        defer { lock.unlock() }
        if !pending.isEmpty {
            let batch = pending
            pending = []
            return .events(batch)
        }
        return ended ? .end(failure) : .wait
    }

    /// Leaves `continuation` to be resumed by the next event, unless one came meanwhile (false).
    private func park(_ continuation: CheckedContinuation<Void, Never>) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard pending.isEmpty && !ended && !Task.isCancelled else { return false }
        waiter = continuation
        return true
    }
}
