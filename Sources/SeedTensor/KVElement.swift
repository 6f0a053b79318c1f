import CSeedHalf

/// The number types that attention reads keys and values in: float32 as they are, float16 widened to
/// float32 as they load. A KV cache in float16 halves the bytes that a decoding step's attention reads,
/// and with several sequences decoding those bytes rival the weights'.
public protocol KVElement {
    /// The 16 elements from `p` on, as floats.
    static func load16(_ p: UnsafePointer<Self>) -> SIMD16<Float>
    var asFloat: Float { get }
}

extension Float: KVElement {
    @inline(__always)
    public static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }
    @inline(__always)
    public var asFloat: Float { self }
}

extension Float16: KVElement {
    @inline(__always)
    public static func load16(_ p: UnsafePointer<Float16>) -> SIMD16<Float> { seed_widen_halves(p) }
    @inline(__always)
    public var asFloat: Float { Float(self) }
}

/// Runs of values to and from float16, sixteen at a time (`seed_half.h`), for KV caches kept in float16.
public enum HalfConversion {
    /// The largest finite float16.
    public static let largest: Float = 65504

    /// `x` as the nearest float16, ±65504 beyond its range (the scalar twin of `seed_store_halves`). Inlinable:
    /// a cache stores each key one element at a time.
    @inlinable @inline(__always)
    public static func half(_ x: Float) -> Float16 { Float16(min(max(x, -largest), largest)) }

    /// Writes `count` floats from `source` to `target` as float16, rounded to nearest. Values beyond the
    /// float16 range are clamped to ±65504 instead of becoming infinities, which would turn a whole
    /// attention row into NaN.
    @inline(__always)
    public static func store(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float16>, count: Int) {
        var i = 0
        while i + 16 <= count {
            seed_store_halves(UnsafeRawPointer(source + i).loadUnaligned(as: SIMD16<Float>.self), target + i)
            i += 16
        }
        while i < count {
            target[i] = half(source[i])
            i += 1
        }
    }

    /// Writes `count` float16 values from `source` to `target` as floats (exactly).
    @inline(__always)
    public static func widen(_ source: UnsafePointer<Float16>, _ target: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            UnsafeMutableRawPointer(target + i).storeBytes(of: seed_widen_halves(source + i), as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            target[i] = Float(source[i])
            i += 1
        }
    }
}
