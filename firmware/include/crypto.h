/* crypto.h — the firmware's one cryptographic interface.
 *
 * The firmware core does no cryptography itself: it validates, applies policy
 * and calls these functions. Each build links exactly one backend, chosen with
 * SIGIL_FW_CRYPTO: firmware/crypto/mbedtls_*.c (mbedTLS 2.28, portable) or
 * firmware/crypto/openssl_*.c (OpenSSL 3 libcrypto, the Linux appliance's
 * accelerator); docs/crypto-backends.md compares them. Both pass the same
 * known-answer tests, refuse the same requests with the same statuses and read
 * and write the same private key blobs, so an appliance can change backend
 * without losing keys. All functions return SIGIL_ST_OK or a failure status from
 * proto/sigil_status.h; outputs are wiped on failure.
 *
 * Thread safety: every function may be called from several worker threads at
 * once. A loaded key (sigil_crypto_key) may be used for signing from several
 * threads at once; the backend serialises internally where its library needs it
 * (mbedTLS: one mutex per key; OpenSSL: no lock on the signing path).
 */
#ifndef SIGIL_CRYPTO_H
#define SIGIL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "sigil_status.h"

#define SIGIL_CRYPTO_WUR __attribute__((warn_unused_result))

/* Key kinds the device generates. Values are stored in key blobs: never renumber. */
typedef enum {
    SIGIL_KEY_KIND_EC_P256 = 1,
    SIGIL_KEY_KIND_EC_P384 = 2,
    SIGIL_KEY_KIND_RSA_2048 = 3,
    SIGIL_KEY_KIND_RSA_3072 = 4,
    SIGIL_KEY_KIND_RSA_4096 = 5,
} sigil_key_kind;

/* Digest algorithms named by signing mechanisms (RSA-PSS hash and MGF1 hash). */
typedef enum {
    SIGIL_HASH_NONE = 0,
    SIGIL_HASH_SHA256 = 1,
    SIGIL_HASH_SHA384 = 2,
    SIGIL_HASH_SHA512 = 3,
} sigil_hash_alg;

/* Signature schemes. The input is always prepared by the caller:
 *  - ECDSA:      input is a digest (any length; truncated per FIPS 186-4); output r||s,
 *                each padded to the curve's byte length.
 *  - RSA_PKCS1:  input is the block to pad with EMSA-PKCS1-v1_5 type 1 as is
 *                (a DigestInfo for CKM_SHA*_RSA_PKCS, anything up to k-11 bytes for CKM_RSA_PKCS).
 *  - RSA_PSS:    input is a digest of hash's length; MGF1 uses the same hash; salt_len bytes of salt.
 */
typedef enum {
    SIGIL_SIG_ECDSA = 1,
    SIGIL_SIG_RSA_PKCS1 = 2,
    SIGIL_SIG_RSA_PSS = 3,
} sigil_sig_scheme;

typedef struct {
    sigil_sig_scheme scheme;
    sigil_hash_alg pss_hash;   /* RSA_PSS only */
    uint32_t pss_salt_len;     /* RSA_PSS only */
} sigil_sig_params;

/* Largest sizes the interface produces. */
#define SIGIL_CRYPTO_MAX_PRIV_DER 4096u  /* RSA-4096 PKCS#1 DER is ~2.35 KiB */
#define SIGIL_CRYPTO_MAX_PUB_A 512u     /* RSA modulus (4096 bit) or EC params DER */
#define SIGIL_CRYPTO_MAX_PUB_B 133u     /* EC point, uncompressed, P-521 size upper bound; RSA e */
#define SIGIL_CRYPTO_MAX_SIG 512u

/* Public half of a key, in the shape PKCS#11 wants it:
 *   EC:  a = CKA_EC_PARAMS (DER OID of the named curve), b = EC point 0x04||X||Y (raw, not wrapped)
 *   RSA: a = modulus (big-endian, no leading zero), b = public exponent (big-endian) */
typedef struct {
    uint8_t a[SIGIL_CRYPTO_MAX_PUB_A];
    size_t a_len;
    uint8_t b[SIGIL_CRYPTO_MAX_PUB_B];
    size_t b_len;
    uint32_t bits;
} sigil_crypto_pub;

typedef struct sigil_crypto_key sigil_crypto_key; /* opaque, loaded private key */

/* ---- life cycle ------------------------------------------------------- */

/* Seeds the device DRBG from the entropy function (platform-provided) and runs
 * the DRBG health check. Must be called once before anything else. */
typedef int (*sigil_entropy_fn)(void *ctx, uint8_t *out, size_t len); /* 0 = ok */
SIGIL_CRYPTO_WUR sigil_status sigil_crypto_init(sigil_entropy_fn entropy, void *entropy_ctx);
void sigil_crypto_shutdown(void);

/* Known-answer tests for every algorithm the backend offers (hash, HMAC, HKDF,
 * PBKDF2, AES-GCM, ECDSA and RSA verify-of-known-signature plus sign/verify
 * pairwise checks). SIGIL_ST_OK or SIGIL_ST_SELF_TEST_FAILED. */
SIGIL_CRYPTO_WUR sigil_status sigil_crypto_self_test(void);

/* Name of the backend, e.g. "mbedtls 2.28.3". */
const char *sigil_crypto_backend_name(void);

/* ---- random ------------------------------------------------------------ */
SIGIL_CRYPTO_WUR sigil_status sigil_crypto_random(uint8_t *out, size_t len);

/* ---- symmetric ---------------------------------------------------------- */
SIGIL_CRYPTO_WUR sigil_status sigil_crypto_sha256(const uint8_t *in, size_t len, uint8_t out[32]);

/* HKDF-SHA256 (RFC 5869). */
SIGIL_CRYPTO_WUR sigil_status sigil_crypto_hkdf_sha256(const uint8_t *salt, size_t salt_len,
                                                       const uint8_t *ikm, size_t ikm_len,
                                                       const uint8_t *info, size_t info_len,
                                                       uint8_t *out, size_t out_len);

/* PBKDF2-HMAC-SHA256. */
SIGIL_CRYPTO_WUR sigil_status sigil_crypto_pbkdf2_sha256(const uint8_t *pw, size_t pw_len,
                                                         const uint8_t *salt, size_t salt_len,
                                                         uint32_t iterations,
                                                         uint8_t *out, size_t out_len);

/* AES-256-GCM with a 12-byte IV and 16-byte tag. open() returns
 * SIGIL_ST_INTEGRITY_FAILURE when the tag does not verify (and wipes out). */
#define SIGIL_GCM_IV_LEN 12u
#define SIGIL_GCM_TAG_LEN 16u
SIGIL_CRYPTO_WUR sigil_status sigil_crypto_aead_seal(const uint8_t key[32], const uint8_t iv[12],
                                                     const uint8_t *aad, size_t aad_len,
                                                     const uint8_t *pt, size_t pt_len,
                                                     uint8_t *ct, uint8_t tag[16]);
SIGIL_CRYPTO_WUR sigil_status sigil_crypto_aead_open(const uint8_t key[32], const uint8_t iv[12],
                                                     const uint8_t *aad, size_t aad_len,
                                                     const uint8_t *ct, size_t ct_len,
                                                     const uint8_t tag[16], uint8_t *pt);

/* ---- asymmetric -------------------------------------------------------- */

/* Generates a key pair inside the device. priv_der receives the private key
 * as unencrypted DER — PKCS#1 RSAPrivateKey for RSA, SEC1 ECPrivateKey with the
 * named curve and public point for EC, the same in every backend — to be
 * encrypted by the key store and never to leave the device; pub receives the
 * public half. */
SIGIL_CRYPTO_WUR sigil_status sigil_crypto_keygen(sigil_key_kind kind,
                                                  uint8_t *priv_der, size_t priv_cap, size_t *priv_len,
                                                  sigil_crypto_pub *pub);

/* Parses a serialised private key into a loaded key usable for signing. */
SIGIL_CRYPTO_WUR sigil_status sigil_crypto_key_load(sigil_key_kind kind,
                                                    const uint8_t *priv_der, size_t priv_len,
                                                    sigil_crypto_key **out);
void sigil_crypto_key_free(sigil_crypto_key *key);

/* Signs in. sig_cap must be at least the key's signature size; *sig_len is set.
 * Errors: SIGIL_ST_DATA_LEN_RANGE (input too long/short for the scheme and key),
 * SIGIL_ST_KEY_TYPE_INCONSISTENT (a known scheme that does not fit the key, e.g.
 * ECDSA with an RSA key), SIGIL_ST_MECHANISM_INVALID (unknown scheme),
 * SIGIL_ST_MECHANISM_PARAM_INVALID (bad PSS hash or salt), SIGIL_ST_BAD_ARGUMENT
 * (NULL pointer, or sig_cap below sigil_crypto_sig_len), SIGIL_ST_CRYPTO_FAILURE. */
SIGIL_CRYPTO_WUR sigil_status sigil_crypto_sign(sigil_crypto_key *key, const sigil_sig_params *params,
                                                const uint8_t *in, size_t in_len,
                                                uint8_t *sig, size_t sig_cap, size_t *sig_len);

/* Size in bytes of a signature by this key (2*coord for EC, modulus for RSA). */
size_t sigil_crypto_sig_len(const sigil_crypto_key *key);

/* Public half of a loaded key (used when the key store re-derives it). */
SIGIL_CRYPTO_WUR sigil_status sigil_crypto_key_public(const sigil_crypto_key *key, sigil_crypto_pub *pub);

#endif
