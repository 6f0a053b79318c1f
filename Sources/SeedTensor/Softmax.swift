/// Row-wise softmax, used where a full row of scores is materialised (sampling, tests); attention and the
/// loss fuse their own softmax so they never write the probabilities out.
public enum Softmax {
    /// In place. Subtracting the row maximum first keeps exp from overflowing on large logits; a row whose
    /// entries are all -infinity has no distribution and its result is unspecified.
    public static func rows(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, pool: ThreadPool = .shared) {
        let p = VectorMath.pool(pool, work: rows * cols)
        p.parallelRanges(rows, minimum: Swift.max(1, 4096 / Swift.max(1, cols))) { range in
            for r in range { row(x + r * cols, count: cols) }
        }
    }

    @inline(__always)
    static func row(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let total = VectorMath.expShifted(x, count: count, minus: VectorMath.max(x, count: count))
        let inverse = 1 / total
        for j in 0..<count { x[j] *= inverse }
    }
}
