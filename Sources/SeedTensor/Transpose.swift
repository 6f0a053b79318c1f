/// Transposed copies of small float blocks, for packing a weight stored `[out, in]` into the GEMM's column
/// panels. Done one float at a time, that packing took 9 % of reading a 512-token prompt with a GPT-2-small-
/// sized model, as much as a tenth of the multiply-adds it feeds.
enum Transpose {
    typealias V = SIMD8<Float>

    /// Writes the 8×8 block with rows at `source + r * sourceStride` to `destination` transposed: its column c
    /// becomes the row at `destination + c * destinationStride`.
    ///
    /// Three rounds of "unzip" (the even and the odd lanes of two rows side by side) each rotate the six bits
    /// of an element's index (row, column) right by one; three rotations swap row and column.
    @inline(__always)
    static func block8x8(_ source: UnsafePointer<Float>, sourceStride: Int,
                         _ destination: UnsafeMutablePointer<Float>, destinationStride: Int) {
        let raw = UnsafeRawPointer(source)
        var r = (raw.loadUnaligned(as: V.self),
                 raw.loadUnaligned(fromByteOffset: 4 * sourceStride, as: V.self),
                 raw.loadUnaligned(fromByteOffset: 8 * sourceStride, as: V.self),
                 raw.loadUnaligned(fromByteOffset: 12 * sourceStride, as: V.self),
                 raw.loadUnaligned(fromByteOffset: 16 * sourceStride, as: V.self),
                 raw.loadUnaligned(fromByteOffset: 20 * sourceStride, as: V.self),
                 raw.loadUnaligned(fromByteOffset: 24 * sourceStride, as: V.self),
                 raw.loadUnaligned(fromByteOffset: 28 * sourceStride, as: V.self))
        for _ in 0..<3 {
            let (a0, a4) = unzip(r.0, r.1), (a1, a5) = unzip(r.2, r.3)
            let (a2, a6) = unzip(r.4, r.5), (a3, a7) = unzip(r.6, r.7)
            r = (a0, a1, a2, a3, a4, a5, a6, a7)
        }
        let out = UnsafeMutableRawPointer(destination)
        out.storeBytes(of: r.0, as: V.self)
        out.storeBytes(of: r.1, toByteOffset: 4 * destinationStride, as: V.self)
        out.storeBytes(of: r.2, toByteOffset: 8 * destinationStride, as: V.self)
        out.storeBytes(of: r.3, toByteOffset: 12 * destinationStride, as: V.self)
        out.storeBytes(of: r.4, toByteOffset: 16 * destinationStride, as: V.self)
        out.storeBytes(of: r.5, toByteOffset: 20 * destinationStride, as: V.self)
        out.storeBytes(of: r.6, toByteOffset: 24 * destinationStride, as: V.self)
        out.storeBytes(of: r.7, toByteOffset: 28 * destinationStride, as: V.self)
    }

    @inline(__always)
    private static func unzip(_ a: V, _ b: V) -> (even: V, odd: V) {
        let both = SIMD16(lowHalf: a, highHalf: b)
        return (both.evenHalf, both.oddHalf)
    }
}
