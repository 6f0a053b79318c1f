#ifndef SEED_SHA256_H
#define SEED_SHA256_H

#include <stddef.h>
#include <stdint.h>

/// Runs the SHA-256 compression function over `blocks` 64-byte blocks of `data`, updating `state`
/// (eight words, big-endian order of the standard). Uses the CPU's SHA extensions when it has them.
void seed_sha256_compress(uint32_t state[8], const uint8_t *data, size_t blocks);

/// One block of each of two independent messages: with the SHA extensions, the two round chains run
/// interleaved, about twice the throughput of two calls.
void seed_sha256_compress_pair(uint32_t state_a[8], const uint8_t *a, uint32_t state_b[8], const uint8_t *b);

/// Whether `seed_sha256_compress` uses the SHA extensions (tests run both paths).
int seed_sha256_has_extensions(void);

/// The portable path, always available: the reference the accelerated path is tested against.
void seed_sha256_compress_portable(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
