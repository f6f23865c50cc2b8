/* test_crypto_util.h — helpers shared by the crypto backends' unit tests:
 * a getrandom() entropy source and OpenSSL-side checks of what a backend exports.
 *
 * Every test program is built once per backend (tests/unit/crypto.cmake) with
 * SIGIL_TEST_BACKEND_MBEDTLS or SIGIL_TEST_BACKEND_OPENSSL defined; OpenSSL on
 * the test side always uses its default library context, never the backend's. */
#ifndef SIGIL_TEST_CRYPTO_UTIL_H
#define SIGIL_TEST_CRYPTO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto.h"

#if defined(SIGIL_TEST_BACKEND_MBEDTLS)
#define TC_BACKEND "mbedtls"
#define TC_BACKEND_NAME_PREFIX "mbedtls 2.28."
#elif defined(SIGIL_TEST_BACKEND_OPENSSL)
#define TC_BACKEND "openssl"
#define TC_BACKEND_NAME_PREFIX "openssl 3."
#else
#error "define SIGIL_TEST_BACKEND_MBEDTLS or SIGIL_TEST_BACKEND_OPENSSL"
#endif

/* sigil_entropy_fn over getrandom(2); ctx may point to a tc_entropy_stats to count calls. */
typedef struct {
    unsigned calls;
    size_t bytes;
} tc_entropy_stats;
int tc_entropy_getrandom(void *ctx, uint8_t *out, size_t len);
/* An entropy source that always fails. */
int tc_entropy_failing(void *ctx, uint8_t *out, size_t len);

/* Fills buf with random bytes from getrandom(2) (for test inputs). */
void tc_random_bytes(uint8_t *buf, size_t len);

bool tc_kind_is_ec(sigil_key_kind kind);

/* Builds an OpenSSL public key from the backend's export: the EC params are
 * parsed as a DER OID (and must be exactly one), the point is imported as is;
 * RSA modulus and exponent are read big-endian. NULL when OpenSSL refuses it. */
EVP_PKEY *tc_pkey_from_pub(sigil_key_kind kind, const sigil_crypto_pub *pub);

/* OpenSSL verification of a backend signature. ECDSA: r||s converted to a DER
 * ECDSA-Sig-Value, raw digest; RSA_PKCS1: raw EMSA-PKCS1-v1_5 block (no md);
 * RSA_PSS: md = pss_hash, MGF1 = same, salt length = pss_salt_len. */
bool tc_openssl_verify(EVP_PKEY *pkey, const sigil_sig_params *params, const uint8_t *in,
                       size_t in_len, const uint8_t *sig, size_t sig_len);

/* DigestInfo(SHA-256(msg)): the block CKM_SHA256_RSA_PKCS hands to RSA_PKCS1. */
#define TC_SHA256_DIGEST_INFO_LEN 51u
void tc_sha256_digest_info(const uint8_t *msg, size_t len, uint8_t out[TC_SHA256_DIGEST_INFO_LEN]);

#endif
