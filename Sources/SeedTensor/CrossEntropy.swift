import Foundation

/// Softmax cross-entropy over the vocabulary, fused with its gradient so the (tokens × vocab) logits are
/// read twice and written once instead of materialising probabilities separately.
///
/// A target < 0 marks a row to ignore (prompt tokens in supervised fine-tuning, padding). A target ≥ vocab
/// is a programming error and is not checked: these kernels run with checks compiled out (-Ounchecked).
public enum CrossEntropy {
    /// Per row: loss = logsumexp(logits) − logits[target]; then the row is overwritten with
    /// gradScale · (softmax(logits) − onehot(target)), or zeros for an ignored row.
    /// Returns the summed loss of the counted rows (added in row order, so the bits do not depend on
    /// scheduling) and how many rows were counted.
    public static func forwardBackward(logits: UnsafeMutablePointer<Float>, targets: UnsafePointer<Int32>, rows: Int,
                                       vocab: Int, gradScale: Float, pool: ThreadPool = .shared) -> (lossSum: Double, count: Int) {
        perRow(rows: rows, vocab: vocab, targets: targets, pool: pool) { r, target in
            let x = logits + r * vocab
            guard target >= 0 else {
                x.update(repeating: 0, count: vocab)
                return 0
            }
            let m = VectorMath.max(x, count: vocab)
            let targetLogit = x[target]
            let total = VectorMath.expShifted(x, count: vocab, minus: m)
            let factor = SIMD16<Float>(repeating: gradScale / total)
            var i = 0
            while i + 16 <= vocab { VectorMath.store(VectorMath.load(x + i) * factor, x + i); i += 16 }
            while i < vocab { x[i] *= factor[0]; i += 1 }
            x[target] -= gradScale
            return Double(m) + Foundation.log(Double(total)) - Double(targetLogit)
        }
    }

    /// Loss only (validation); the logits are left untouched.
    public static func loss(logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, vocab: Int,
                            pool: ThreadPool = .shared) -> (lossSum: Double, count: Int) {
        perRow(rows: rows, vocab: vocab, targets: targets, pool: pool) { r, target in
            guard target >= 0 else { return 0 }
            let x = logits + r * vocab
            let m = VectorMath.max(x, count: vocab)
            let mv = SIMD16<Float>(repeating: m)
            var sum = SIMD16<Float>()
            var i = 0
            while i + 16 <= vocab { sum += VectorMath.exp(VectorMath.load(x + i) - mv); i += 16 }
            if i < vocab { sum += VectorMath.exp(VectorMath.load(x + i, count: vocab - i, fill: -.infinity) - mv) }
            return Double(m) + Foundation.log(Double(sum.sum())) - Double(x[target])
        }
    }

    /// Runs `body(row, target)` over rows in parallel, collects the per-row losses in a scratch array and
    /// sums the counted ones serially in row order.
    private static func perRow(rows: Int, vocab: Int, targets: UnsafePointer<Int32>, pool: ThreadPool,
                               _ body: (Int, Int) -> Double) -> (lossSum: Double, count: Int) {
        if rows <= 0 { return (0, 0) }
        let losses = UnsafeMutablePointer<Double>.allocate(capacity: rows)
        defer { losses.deallocate() }
        let p = VectorMath.pool(pool, work: rows * vocab)
        p.parallelRanges(rows, minimum: Swift.max(1, 8192 / Swift.max(1, vocab))) { range in
            for r in range { losses[r] = body(r, Int(targets[r])) }
        }
        var sum = 0.0, count = 0
        for r in 0..<rows where targets[r] >= 0 {
            sum += losses[r]
            count += 1
        }
        return (sum, count)
    }
}
