import Foundation

/// Cuts generated text at the first stop string. Text that might be the start of a stop string is held
/// back until the next piece shows whether it is, so a stream never sends a stop string's first half.
struct StopMatcher {
    let stops: [String]
    /// Each stop's length in characters, counted once (`String.count` walks the string).
    private let lengths: [Int]
    private var pending = ""

    init(_ stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }
        lengths = self.stops.map(\.count)
    }

    /// True while text is held back as a possible start of a stop string.
    var isHolding: Bool { !pending.isEmpty }

    /// Adds generated text; returns the text that is now safe to send, and whether a stop string ended it.
    mutating func append(_ text: String) -> (release: String, stopped: Bool) {
        if stops.isEmpty { return (text, false) }
        pending += text
        let matches = stops.compactMap { pending.range(of: $0) }
        if let first = matches.min(by: { $0.lowerBound < $1.lowerBound }) {
            let release = String(pending[..<first.lowerBound])
            pending = ""
            return (release, true)
        }
        var held = 0
        let pendingCount = pending.count
        for (stop, count) in zip(stops, lengths) {
            for length in stride(from: min(count - 1, pendingCount), to: held, by: -1) where pending.hasSuffix(stop.prefix(length)) {
                held = length
                break
            }
        }
        let cut = pending.index(pending.endIndex, offsetBy: -held)
        let release = String(pending[..<cut])
        pending = String(pending[cut...])
        return (release, false)
    }

    /// What was held back, once the answer has ended without a stop string.
    mutating func flush() -> String {
        defer { pending = "" }
        return pending
    }
}
