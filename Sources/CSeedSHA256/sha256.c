// SHA-256 compression for the vault's keyed digests. swift-crypto's HMAC costs about 0.6 µs per short
// value (a heap-allocated context per call, an outer hash rebuilt each time); a stream meets hundreds of
// thousands of new values a second, so SeedPrivacy runs HMAC over this function with precomputed inner and
// outer states instead. The x86 path uses the SHA extensions (Intel's published instruction sequence);
// the portable path is FIPS 180-4 as written.

#include "seed_sha256.h"

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

void seed_sha256_compress_portable(uint32_t state[8], const uint8_t *data, size_t blocks) {
    for (; blocks > 0; blocks--, data += 64) {
        uint32_t w[64];
        for (int t = 0; t < 16; t++) {
            w[t] = (uint32_t)data[4 * t] << 24 | (uint32_t)data[4 * t + 1] << 16 | (uint32_t)data[4 * t + 2] << 8 | data[4 * t + 3];
        }
        for (int t = 16; t < 64; t++) {
            uint32_t s0 = ROTR(w[t - 15], 7) ^ ROTR(w[t - 15], 18) ^ (w[t - 15] >> 3);
            uint32_t s1 = ROTR(w[t - 2], 17) ^ ROTR(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3], e = state[4], f = state[5], g = state[6], h = state[7];
        for (int t = 0; t < 64; t++) {
            uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
            uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }
        state[0] += a; state[1] += b; state[2] += c; state[3] += d;
        state[4] += e; state[5] += f; state[6] += g; state[7] += h;
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

// The instructions want the state as ABEF and CDGH.
__attribute__((target("sha,sse4.1,ssse3")))
static inline void load_state(const uint32_t state[8], __m128i *abef, __m128i *cdgh) {
    __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);  // CDAB
    __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B);  // EFGH
    *abef = _mm_alignr_epi8(tmp, efgh, 8);
    *cdgh = _mm_blend_epi16(efgh, tmp, 0xF0);
}

__attribute__((target("sha,sse4.1,ssse3")))
static inline void store_state(uint32_t state[8], __m128i abef, __m128i cdgh) {
    __m128i tmp = _mm_shuffle_epi32(abef, 0x1B);  // FEBA
    cdgh = _mm_shuffle_epi32(cdgh, 0xB1);  // DCHG
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(tmp, cdgh, 0xF0));  // DCBA
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(cdgh, tmp, 8));  // HGFE
}

// W[4i..4i+3] of a block: the first four straight from the data, then from W[t-16..t-1]: msg1 and msg2 do
// the sigma functions, alignr supplies W[t-7..t-4]. `m` holds the last sixteen words.
__attribute__((target("sha,sse4.1,ssse3")))
static inline __m128i schedule(__m128i m[4], int i, const uint8_t *data) {
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i w;
    if (i < 4) {
        w = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * i)), byteswap);
    } else {
        __m128i x = _mm_add_epi32(_mm_sha256msg1_epu32(m[i & 3], m[(i + 1) & 3]), _mm_alignr_epi8(m[(i + 3) & 3], m[(i + 2) & 3], 4));
        w = _mm_sha256msg2_epu32(x, m[(i + 3) & 3]);
    }
    m[i & 3] = w;
    return _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&K[4 * i]));
}

__attribute__((target("sha,sse4.1,ssse3")))
static void compress_sha_ni(uint32_t state[8], const uint8_t *data, size_t blocks) {
    __m128i state0, state1;
    load_state(state, &state0, &state1);
    for (; blocks > 0; blocks--, data += 64) {
        const __m128i abef = state0, cdgh = state1;
        __m128i m[4];
        for (int i = 0; i < 16; i++) {
            __m128i msg = schedule(m, i, data);
            state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
            state0 = _mm_sha256rnds2_epu32(state0, state1, _mm_shuffle_epi32(msg, 0x0E));
        }
        state0 = _mm_add_epi32(state0, abef);
        state1 = _mm_add_epi32(state1, cdgh);
    }
    store_state(state, state0, state1);
}

// Two messages round by round: each round waits for the one before it, so a second, independent chain
// fills the gaps, and a pair costs little more than one.
__attribute__((target("sha,sse4.1,ssse3")))
static void compress_pair_sha_ni(uint32_t state_a[8], const uint8_t *a, uint32_t state_b[8], const uint8_t *b) {
    __m128i a0, a1, b0, b1;
    load_state(state_a, &a0, &a1);
    load_state(state_b, &b0, &b1);
    const __m128i abef_a = a0, cdgh_a = a1, abef_b = b0, cdgh_b = b1;
    __m128i ma[4], mb[4];
    for (int i = 0; i < 16; i++) {
        __m128i msg_a = schedule(ma, i, a), msg_b = schedule(mb, i, b);
        a1 = _mm_sha256rnds2_epu32(a1, a0, msg_a);
        b1 = _mm_sha256rnds2_epu32(b1, b0, msg_b);
        a0 = _mm_sha256rnds2_epu32(a0, a1, _mm_shuffle_epi32(msg_a, 0x0E));
        b0 = _mm_sha256rnds2_epu32(b0, b1, _mm_shuffle_epi32(msg_b, 0x0E));
    }
    store_state(state_a, _mm_add_epi32(a0, abef_a), _mm_add_epi32(a1, cdgh_a));
    store_state(state_b, _mm_add_epi32(b0, abef_b), _mm_add_epi32(b1, cdgh_b));
}

int seed_sha256_has_extensions(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1") ? 1 : 0;
    }
    return cached;
}

void seed_sha256_compress(uint32_t state[8], const uint8_t *data, size_t blocks) {
    if (seed_sha256_has_extensions()) {
        compress_sha_ni(state, data, blocks);
    } else {
        seed_sha256_compress_portable(state, data, blocks);
    }
}
void seed_sha256_compress_pair(uint32_t state_a[8], const uint8_t *a, uint32_t state_b[8], const uint8_t *b) {
    if (seed_sha256_has_extensions()) {
        compress_pair_sha_ni(state_a, a, state_b, b);
    } else {
        seed_sha256_compress_portable(state_a, a, 1);
        seed_sha256_compress_portable(state_b, b, 1);
    }
}
#else
int seed_sha256_has_extensions(void) { return 0; }

void seed_sha256_compress(uint32_t state[8], const uint8_t *data, size_t blocks) {
    seed_sha256_compress_portable(state, data, blocks);
}
void seed_sha256_compress_pair(uint32_t state_a[8], const uint8_t *a, uint32_t state_b[8], const uint8_t *b) {
    seed_sha256_compress_portable(state_a, a, 1);
    seed_sha256_compress_portable(state_b, b, 1);
}
#endif
