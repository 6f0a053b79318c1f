#ifndef SEED_SCAN_H
#define SEED_SCAN_H

#include <stddef.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// Byte runs for SeedPrivacy's scanner, sixteen bytes per step with SSE2 (every x86-64 CPU has it; other
/// CPUs take the bytewise loops, which give the same answers).
/// Swift's SIMD types have no movemask, and finding the first byte that ends a run was the hottest loop
/// of the scanner: a word end tested byte by byte with three range checks and a branch each.
/// Static inline, so that Swift inlines them into its loops.

#if defined(__SSE2__)
/// Lanes of `v` that are ASCII letters, digits or '_' (the scanner's word bytes), as a 16-bit mask.
static inline int seed_word_mask(__m128i v) {
    const __m128i digit = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    const __m128i is_digit = _mm_cmpeq_epi8(_mm_min_epu8(digit, _mm_set1_epi8(9)), digit);
    const __m128i letter = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
    const __m128i is_letter = _mm_cmpeq_epi8(_mm_min_epu8(letter, _mm_set1_epi8(25)), letter);
    const __m128i is_underscore = _mm_cmpeq_epi8(v, _mm_set1_epi8('_'));
    return _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(is_digit, is_letter), is_underscore));
}
#endif

/// The first index at or after `i` (below `n`) whose byte is not a word byte, or `n`.
static inline ptrdiff_t seed_word_end(const uint8_t *p, ptrdiff_t i, ptrdiff_t n) {
#if defined(__SSE2__)
    while (i + 16 <= n) {
        const int mask = seed_word_mask(_mm_loadu_si128((const __m128i *)(p + i)));
        if (mask != 0xFFFF) return i + __builtin_ctz(~mask);
        i += 16;
    }
#endif
    while (i < n) {
        const uint8_t b = p[i];
        const int word = (uint8_t)(b - '0') < 10 || (uint8_t)((b | 0x20) - 'a') < 26 || b == '_';
        if (!word) return i;
        i += 1;
    }
    return n;
}

/// The first index at or after `i` (below `n`) holding a byte that stops a JSON string's plain run: a
/// quote, a backslash or a control character; `n` if there is none.
static inline ptrdiff_t seed_string_stop(const uint8_t *p, ptrdiff_t i, ptrdiff_t n) {
#if defined(__SSE2__)
    while (i + 16 <= n) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
        const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
        const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
        const int mask = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control));
        if (mask != 0) return i + __builtin_ctz(mask);
        i += 16;
    }
#endif
    while (i < n && p[i] != '"' && p[i] != '\\' && p[i] >= 0x20) i += 1;
    return i;
}

#endif
