/* mbedtls_internal.h — shared pieces of the mbedTLS 2.28 backend (not a public header).
 *
 * Locking: each loaded key has its own mutex, held around every operation that
 * touches its mbedTLS context (RSA blinding values and ECP group tables are
 * mutated by private and public operations alike). The DRBG has its own mutex.
 * Lock order: key -> DRBG. The DRBG never takes a key lock.
 */
#ifndef SIGIL_MBEDTLS_INTERNAL_H
#define SIGIL_MBEDTLS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md.h>
#include <mbedtls/pk.h>

#include "crypto.h"

struct sigil_crypto_key {
    sigil_key_kind kind;
    pthread_mutex_t lock;  /* serialises every use of pk */
    mbedtls_pk_context pk;
    size_t sig_len;        /* immutable after sigil_mbt_key_finish */
    sigil_crypto_pub pub;  /* immutable after sigil_mbt_key_finish */
};

/* ---- mbedtls_drbg.c ---- */

/* mbedTLS f_rng callback over the device DRBG; p_rng is ignored. 0 or an mbedTLS error. */
int sigil_mbt_rng(void *p_rng, unsigned char *out, size_t len);

/* True between a successful sigil_crypto_init and sigil_crypto_shutdown. */
bool sigil_mbt_drbg_ready(void);

/* Maps an mbedTLS error code to a status: 0 -> OK, allocation failures ->
 * NO_MEMORY, everything else -> CRYPTO_FAILURE. */
sigil_status sigil_mbt_status(int err);

/* ---- mbedtls_pk.c ---- */

/* Allocates an empty key (mutex initialised, pk empty). NULL when out of memory. */
sigil_crypto_key *sigil_mbt_key_new(void);

/* Checks that key->pk holds a consistent private key of the given kind, then
 * fills kind, sig_len and pub. SIGIL_ST_INTEGRITY_FAILURE when the key does not
 * match the kind or its halves do not match. Call before the key is shared. */
__attribute__((warn_unused_result)) sigil_status sigil_mbt_key_finish(sigil_crypto_key *key,
                                                                      sigil_key_kind kind);

/* ---- mbedtls_sign.c ---- */

/* Hash named by a signing mechanism: mbedTLS type and size, or false when unsupported. */
bool sigil_mbt_hash_info(sigil_hash_alg alg, mbedtls_md_type_t *md, size_t *len);

/* Sign/verify with key->lock already held (or the key not yet shared).
 * Same argument checks and statuses as sigil_crypto_sign. */
__attribute__((warn_unused_result)) sigil_status
sigil_mbt_sign_locked(sigil_crypto_key *key, const sigil_sig_params *params, const uint8_t *in,
                      size_t in_len, uint8_t *sig, size_t sig_cap, size_t *sig_len);
/* SIGIL_ST_OK when sig verifies, SIGIL_ST_CRYPTO_FAILURE when it does not. */
__attribute__((warn_unused_result)) sigil_status
sigil_mbt_verify_locked(sigil_crypto_key *key, const sigil_sig_params *params, const uint8_t *in,
                        size_t in_len, const uint8_t *sig, size_t sig_len);

/* Pairwise consistency test: sign a fixed digest and verify it. */
__attribute__((warn_unused_result)) sigil_status sigil_mbt_pairwise_check(sigil_crypto_key *key);

#endif
