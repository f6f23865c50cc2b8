/* openssl_internal.h — shared pieces of the OpenSSL 3 libcrypto backend (not a public header).
 *
 * Library context: everything the backend does runs in one private
 * OSSL_LIB_CTX (sigil_ossl_libctx) holding the "default" provider and a
 * built-in provider whose only algorithm is the platform entropy as an
 * OpenSSL seed source (openssl_seed.c). That context's DRBG chain — primary
 * CTR-DRBG (AES-256) seeded by the platform, per-thread public and private
 * CTR-DRBGs below it — is the device DRBG: sigil_crypto_random, key
 * generation, ECDSA nonces, RSA blinding and PSS salts all draw from it, and
 * nothing in the backend reads the operating system's entropy directly.
 * Other OpenSSL users in the process (the tests, TLS) keep the default context.
 * The context lives until the process ends (see openssl_drbg.c for why).
 *
 * Concurrency, without a lock on the signing path:
 *  - a loaded key holds an immutable EVP_PKEY (and its public half), shared by
 *    every thread; OpenSSL's key objects are safe for concurrent private
 *    operations (RSA blinding is per key object with its own internal lock);
 *  - the mutable part of a signature — the EVP_PKEY_CTX and the provider's
 *    signature context — is never shared: each call takes an initialised one
 *    from the key's small lock-free pool (one atomic exchange), uses it alone
 *    and gives it back (one compare-and-swap), creating one only when the pool
 *    is empty. A pool is per key and per mode, so it dies with the key: no key
 *    material lingers in another thread's cache after sigil_crypto_key_free.
 *  - random numbers come from OpenSSL's per-thread DRBGs; only reseeds from the
 *    primary take a lock.
 */
#ifndef SIGIL_OPENSSL_INTERNAL_H
#define SIGIL_OPENSSL_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto.h"

/* Signing modes with a context pool of their own (each needs different ctx settings). */
typedef enum {
    SIGIL_OSSL_MODE_ECDSA = 0,
    SIGIL_OSSL_MODE_RSA_PKCS1,
    SIGIL_OSSL_MODE_RSA_PSS_SHA256,
    SIGIL_OSSL_MODE_RSA_PSS_SHA384,
    SIGIL_OSSL_MODE_RSA_PSS_SHA512,
    SIGIL_OSSL_MODE_COUNT
} sigil_ossl_mode;

/* Contexts kept per key and mode: enough for one per worker thread on the
 * machines we target; beyond that, extra contexts are made and freed per call. */
#define SIGIL_OSSL_POOL_SLOTS 8u

struct sigil_crypto_key {
    sigil_key_kind kind;
    bool is_ec;
    EVP_PKEY *pkey;        /* immutable after sigil_ossl_key_finish */
    size_t sig_len;        /* immutable after sigil_ossl_key_finish */
    size_t mod_bits;       /* RSA modulus length; EC group order length */
    sigil_crypto_pub pub;  /* immutable after sigil_ossl_key_finish */
    /* Idle, initialised signing contexts (NULL = empty slot). */
    _Atomic(EVP_PKEY_CTX *) pool[SIGIL_OSSL_MODE_COUNT][SIGIL_OSSL_POOL_SLOTS];
};

/* ---- openssl_seed.c ---- */

/* Name of the seed source algorithm and of the built-in provider that offers it. */
#define SIGIL_OSSL_SEED_ALG "SIGIL-PLATFORM-SEED"
#define SIGIL_OSSL_SEED_PROVIDER "sigil-platform-seed"

/* Registers and loads the seed provider into libctx. 1 on success. */
int sigil_ossl_seed_provider_load(OSSL_LIB_CTX *libctx);

/* Sets the platform entropy function the seed source calls (NULL: the seed
 * source fails, so the DRBGs cannot reseed). */
void sigil_ossl_seed_set(sigil_entropy_fn fn, void *ctx);

/* Number of successful calls of the entropy function so far. */
unsigned long sigil_ossl_seed_calls(void);

/* ---- openssl_drbg.c ---- */

/* The backend's library context; NULL before the first sigil_crypto_init. */
extern OSSL_LIB_CTX *sigil_ossl_libctx;

/* Algorithms fetched once from the library context (valid while it lives). */
typedef struct {
    EVP_MD *sha256, *sha384, *sha512;
    EVP_CIPHER *aes256gcm;
    EVP_KDF *hkdf, *pbkdf2;
    EVP_MAC *hmac;
} sigil_ossl_algs;
extern sigil_ossl_algs sigil_ossl_alg;

/* True between a successful sigil_crypto_init and sigil_crypto_shutdown. */
bool sigil_ossl_ready(void);

/* Status for an OpenSSL failure: NO_MEMORY when the error queue holds an
 * allocation failure, else fallback. Clears this thread's error queue. */
sigil_status sigil_ossl_fail(sigil_status fallback);

/* ---- openssl_pk.c ---- */

/* Allocates an empty key. NULL when out of memory. */
sigil_crypto_key *sigil_ossl_key_new(void);

/* Checks that key->pkey holds a consistent private key of the given kind,
 * then fills kind, is_ec, sig_len, mod_bits and pub. SIGIL_ST_INTEGRITY_FAILURE
 * when the key does not match the kind or its halves do not match,
 * SIGIL_ST_KEY_SIZE_RANGE for an unknown kind. Call before the key is shared. */
__attribute__((warn_unused_result)) sigil_status sigil_ossl_key_finish(sigil_crypto_key *key,
                                                                       sigil_key_kind kind);

/* The EVP_MD of a signing mechanism's hash, or NULL when unsupported. */
const EVP_MD *sigil_ossl_md(sigil_hash_alg alg);

/* ---- openssl_sign.c ---- */

/* Frees every pooled context of a key (the key is no longer in use). */
void sigil_ossl_pool_drain(sigil_crypto_key *key);

/* SIGIL_ST_OK when sig verifies under the key's public half,
 * SIGIL_ST_CRYPTO_FAILURE when it does not (or bad arguments). */
__attribute__((warn_unused_result)) sigil_status
sigil_ossl_verify(const sigil_crypto_key *key, const sigil_sig_params *params, const uint8_t *in,
                  size_t in_len, const uint8_t *sig, size_t sig_len);

/* Pairwise consistency test: sign a fixed digest and verify it. */
__attribute__((warn_unused_result)) sigil_status sigil_ossl_pairwise_check(sigil_crypto_key *key);

/* ---- openssl_ecdsa_kat.c ---- */

/* ECDSA signature of digest with the nonce k given (r||s, coord bytes each):
 * OpenSSL's own signing arithmetic with a known nonce, for the RFC 6979
 * known-answer test. 1 on success. Test vectors only: a fixed k leaks the key. */
int sigil_ossl_ecdsa_sign_with_k(EVP_PKEY *pkey, const uint8_t *digest, size_t digest_len,
                                 const uint8_t *k, size_t k_len, uint8_t *sig, size_t coord);

#endif
