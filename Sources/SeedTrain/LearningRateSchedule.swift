import Foundation

/// Linear warmup from 0 to `peak` over `warmup` steps, then cosine decay to `minimum` at `total` steps.
public struct LearningRateSchedule: Sendable, Equatable {
    public var peak: Double
    public var minimum: Double
    public var warmup: Int
    public var total: Int

    public init(peak: Double, minimum: Double, warmup: Int, total: Int) {
        self.peak = peak; self.minimum = minimum; self.warmup = warmup; self.total = total
    }

    /// The rate for 0-based `step`.
    public func rate(at step: Int) -> Double {
        if step < warmup { return peak * Double(step + 1) / Double(warmup) }
        if step >= total { return minimum }
        let progress = Double(step - warmup) / Double(max(1, total - warmup))
        return minimum + 0.5 * (peak - minimum) * (1 + cos(Double.pi * progress))
    }
}
