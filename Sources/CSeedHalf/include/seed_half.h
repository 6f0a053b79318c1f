#ifndef SEED_HALF_H
#define SEED_HALF_H

// Sixteen IEEE half floats to and from sixteen floats in one instruction each (F16C / AVX-512), which
// Swift's generic SIMD conversions do not compile to: Clang lowers these vector conversions to
// vcvtph2ps / vcvtps2ph, and Swift imports the vector types as SIMD16<Float> and SIMD16<Float16>.

typedef float seed_float_x16 __attribute__((ext_vector_type(16)));
typedef _Float16 seed_half_x16 __attribute__((ext_vector_type(16)));

/// The 16 halves at `p` (any alignment), widened exactly.
static inline seed_float_x16 seed_widen_halves(const _Float16 *p) {
    seed_half_x16 h;
    __builtin_memcpy(&h, p, sizeof h);
    return __builtin_convertvector(h, seed_float_x16);
}

/// `v` rounded to the nearest halves (ties to even), stored at `p` (any alignment). Values beyond the half
/// range become ±65504, the largest finite half, instead of infinities.
static inline void seed_store_halves(seed_float_x16 v, _Float16 *p) {
    const seed_float_x16 largest = 65504.0f;
    v = __builtin_elementwise_max(__builtin_elementwise_min(v, largest), -largest);
    seed_half_x16 h = __builtin_convertvector(v, seed_half_x16);
    __builtin_memcpy(p, &h, sizeof h);
}

#endif
