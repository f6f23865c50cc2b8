/* fake_platform.h — an in-memory sigil_platform for firmware unit tests.
 *
 * Deterministic: entropy is a seeded counter-based stream (splitmix64), the clocks
 * only move when a test moves them, the root secret is derived from the seed (or set
 * explicitly), and storage is an in-memory map name -> blob behind a mutex.
 *
 * Fault injection (one-shot each; counted over store_write calls only):
 *   fake_platform_fail_write_after(p, n)  the Nth store_write from now returns
 *                                         SIGIL_STORE_ERROR and stores nothing;
 *   fake_platform_tear_write_after(p, n)  the Nth store_write from now stores only the
 *                                         first len/2 bytes and returns SIGIL_STORE_ERROR.
 * n = 1 means the very next write; n = 0 disarms. Both may be armed at once; when both
 * hit the same write, fail wins.
 *
 * Storage names are checked like the real platform: 1..SIGIL_STORAGE_NAME_MAX characters
 * of [a-z0-9._-]; any other name makes store_* return SIGIL_STORE_ERROR.
 */
#ifndef SIGIL_FAKE_PLATFORM_H
#define SIGIL_FAKE_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform.h"

sigil_platform *fake_platform_new(uint64_t seed);
void fake_platform_free(sigil_platform *p);

/* Entropy: restart the stream from seed; make entropy() fail (return -1) while fail is true. */
void fake_platform_seed(sigil_platform *p, uint64_t seed);
void fake_platform_fail_entropy(sigil_platform *p, bool fail);

/* Clocks. advance_ms moves the monotonic clock and the wall clock together. */
void fake_platform_set_time(sigil_platform *p, uint64_t secs_since_epoch);
void fake_platform_set_monotonic_ms(sigil_platform *p, uint64_t ms);
void fake_platform_advance_ms(sigil_platform *p, uint64_t ms);

/* Root secret: replaces the seed-derived default. */
void fake_platform_set_root_secret(sigil_platform *p, const uint8_t secret[SIGIL_ROOT_SECRET_LEN]);

/* How many times the root secret was destroyed (zeroisation). */
unsigned fake_platform_root_destroyed(const sigil_platform *p);

/* Fault injection (see above). */
void fake_platform_fail_write_after(sigil_platform *p, unsigned n);
void fake_platform_tear_write_after(sigil_platform *p, unsigned n);
/* store_read returns SIGIL_STORE_ERROR while fail is true. */
void fake_platform_fail_reads(sigil_platform *p, bool fail);
/* Number of store_write calls so far (successful or not). */
unsigned long fake_platform_write_count(const sigil_platform *p);

/* Direct access to stored blobs, bypassing the injector and the name check.
 * fake_platform_blob returns a pointer into the fake's storage, valid until that blob is
 * next written or removed, or NULL when absent. */
const uint8_t *fake_platform_blob(const sigil_platform *p, const char *name, size_t *len);
void fake_platform_set_blob(sigil_platform *p, const char *name, const uint8_t *data, size_t len);
/* Flips bit `bit` (0 = LSB of byte 0) of a stored blob. False if absent or out of range. */
bool fake_platform_flip_bit(sigil_platform *p, const char *name, size_t bit);
/* Stored names in ascending strcmp order. name_at returns NULL when i >= count; the
 * pointer is valid until that blob is removed. */
size_t fake_platform_blob_count(const sigil_platform *p);
const char *fake_platform_blob_name(const sigil_platform *p, size_t i);

#endif
