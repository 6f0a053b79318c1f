#ifndef SEED_PREFETCH_H
#define SEED_PREFETCH_H

/// Asks for the cache line at `p` ahead of a read or write (Swift has no prefetch of its own), so that a
/// loop over random slots of a table larger than the caches keeps several misses in flight instead of
/// waiting for each, and a GEMM tile's output rows arrive while its multiply-adds run. A hint only: a bad
/// address does not fault.
static inline void seed_prefetch(const void *p) { __builtin_prefetch(p, 1, 3); }

/// The same for a line that will only be read: no request for ownership, as a write hint would make.
static inline void seed_prefetch_read(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
