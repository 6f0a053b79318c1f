import Foundation

/// What a server said about its limits in one answer's headers. OpenAI (and Azure, Groq, proxies) send
/// `x-ratelimit-*`; self-hosted servers send none, and then every field is nil.
public struct RateLimitHeaders: Equatable, Sendable {
    public var limitRequests: Double?
    public var limitTokens: Double?
    public var remainingRequests: Double?
    public var remainingTokens: Double?
    /// Seconds until the request (token) window is back to its full limit.
    public var resetRequests: Double?
    public var resetTokens: Double?
    /// Seconds to wait before the next request, from `retry-after-ms` or `retry-after`.
    public var retryAfter: Double?

    public init() {}

    /// `header` looks a name up case-insensitively and gives its first value.
    public init(header: (String) -> String?) {
        limitRequests = header("x-ratelimit-limit-requests").flatMap(Self.number)
        limitTokens = header("x-ratelimit-limit-tokens").flatMap(Self.number)
        remainingRequests = header("x-ratelimit-remaining-requests").flatMap(Self.number)
        remainingTokens = header("x-ratelimit-remaining-tokens").flatMap(Self.number)
        resetRequests = header("x-ratelimit-reset-requests").flatMap(Self.duration)
        resetTokens = header("x-ratelimit-reset-tokens").flatMap(Self.duration)
        if let ms = header("retry-after-ms").flatMap(Double.init), ms >= 0 {
            retryAfter = ms / 1000
        } else if let value = header("retry-after") {
            retryAfter = Self.retryAfterSeconds(value)
        }
    }

    /// Azure has sent -1 for "unknown"; such values are dropped rather than read as "nothing left".
    static func number(_ text: String) -> Double? {
        guard let v = Double(text.trimmingCharacters(in: .whitespaces)), v >= 0 else { return nil }
        return v
    }

    /// Go-style durations as OpenAI sends them: `1s`, `6m0s`, `12ms`, `1h2m3.5s`, `250us`; a bare number is seconds.
    public static func duration(_ text: String) -> Double? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if let plain = Double(s) { return plain >= 0 ? plain : nil }
        var total = 0.0
        var number = ""
        var unit = ""
        var sawPart = false
        func flush() -> Bool {
            guard let v = Double(number) else { return false }
            let scale: Double
            switch unit {
            case "h": scale = 3600
            case "m": scale = 60
            case "s": scale = 1
            case "ms": scale = 1e-3
            case "us", "µs": scale = 1e-6
            case "ns": scale = 1e-9
            default: return false
            }
            total += v * scale
            number = ""
            unit = ""
            sawPart = true
            return true
        }
        for ch in s {
            if ch.isNumber || ch == "." {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(ch)
            } else if ch.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(ch)
            } else {
                return nil
            }
        }
        guard !number.isEmpty, flush(), sawPart else { return nil }
        return total
    }

    /// `retry-after` is seconds or an HTTP date.
    static func retryAfterSeconds(_ text: String, now: Date = Date()) -> Double? {
        if let seconds = Double(text.trimmingCharacters(in: .whitespaces)) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
