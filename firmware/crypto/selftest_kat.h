/* selftest_kat.h — the power-up known-answer tests shared by every backend
 * (not a public header).
 *
 * One copy of the vectors and of the KAT numbering, used by mbedtls_selftest.c
 * and openssl_selftest.c. The symmetric half of the self-test (hashes, KDFs,
 * AES-GCM) runs through crypto.h only and lives here; each backend adds the
 * asymmetric half with its own key objects, using the vectors below and
 * sigil_kat_corrupt_if / sigil_kat_equal so that the test hook
 * (crypto_testhooks.h) reaches every check.
 *
 * Vectors (all published, except the RSA key, made for this test only):
 *  - SHA-256: FIPS 180-2 appendix B ("abc" and the two-block message).
 *  - HMAC-SHA256: RFC 4231 test case 2.
 *  - HKDF-SHA256: RFC 5869 test case 1.
 *  - PBKDF2-HMAC-SHA256: RFC 7914 section 11 ("passwd"/"salt", c=1, 64 bytes) and
 *    the widely published "password"/"salt", c=4096, 32 bytes.
 *  - AES-256-GCM: McGrew-Viega (GCM specification) test case 16.
 *  - ECDSA P-256: RFC 6979 A.2.5 key, SHA-256, message "sample" (verify of the
 *    known signature, refusal of an altered one, deterministic sign KAT).
 *  - RSA-2048: a key generated for this test with an independent implementation
 *    (pyca/cryptography over OpenSSL) and its PKCS#1 v1.5 SHA-256 signature of
 *    "sample" (deterministic, so it is a signing KAT as well as a verify KAT).
 *  - Pairwise sign/verify with the DRBG: ECDSA P-256 and RSA-PSS SHA-256.
 */
#ifndef SIGIL_SELFTEST_KAT_H
#define SIGIL_SELFTEST_KAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "crypto_testhooks.h"

/* Numbering of the checks; the test hook names them. Never renumber. */
enum {
    SIGIL_KAT_SHA256_ABC = 1,
    SIGIL_KAT_SHA256_2BLOCK,
    SIGIL_KAT_HMAC_SHA256,
    SIGIL_KAT_HKDF,
    SIGIL_KAT_PBKDF2_C1,
    SIGIL_KAT_PBKDF2_C4096,
    SIGIL_KAT_GCM_SEAL,
    SIGIL_KAT_GCM_OPEN,
    SIGIL_KAT_GCM_BAD_TAG,
    SIGIL_KAT_ECDSA_VERIFY,
    SIGIL_KAT_ECDSA_VERIFY_BAD,
    SIGIL_KAT_ECDSA_SIGN_DET,
    SIGIL_KAT_ECDSA_PAIRWISE,
    SIGIL_KAT_RSA_SIGN,
    SIGIL_KAT_RSA_VERIFY,
    SIGIL_KAT_RSA_PSS_PAIRWISE,
    SIGIL_KAT_END
};

/* ---- the test hook ---- */

/* The KAT whose result the hook corrupts, 0 for none. */
unsigned sigil_kat_corrupt_target(void);
/* Flips a bit of buf[0] when id is the hooked KAT. */
void sigil_kat_corrupt_if(unsigned id, uint8_t *buf);
/* Compares a result with its expected value in constant time, after the hook had its say. */
bool sigil_kat_equal(unsigned id, uint8_t *got, const uint8_t *want, size_t n);

/* ---- the symmetric half ---- */

/* HMAC-SHA256 of the backend (no entry point of its own in crypto.h). 0 = ok. */
typedef int (*sigil_kat_hmac_fn)(const uint8_t *key, size_t key_len, const uint8_t *msg,
                                 size_t msg_len, uint8_t out[32]);

/* KATs 1..9 through crypto.h and hmac. True when all pass. */
bool sigil_kat_symmetric(sigil_kat_hmac_fn hmac);

/* ---- the RSA half, through the backend's own sign and verify ---- */

typedef sigil_status (*sigil_kat_sign_fn)(sigil_crypto_key *key, const sigil_sig_params *params,
                                          const uint8_t *in, size_t in_len, uint8_t *sig,
                                          size_t sig_cap, size_t *sig_len);
typedef sigil_status (*sigil_kat_verify_fn)(sigil_crypto_key *key, const sigil_sig_params *params,
                                            const uint8_t *in, size_t in_len, const uint8_t *sig,
                                            size_t sig_len);

/* With the RSA test key (sigil_kat_rsa_*): PKCS#1 v1.5 over DigestInfo(SHA-256) ‖ digest
 * reproduces the known signature, the known signature verifies, and a randomised PSS
 * signature verifies (pairwise). True when all pass. */
bool sigil_kat_rsa(sigil_crypto_key *key, const uint8_t digest[32], sigil_kat_sign_fn sign,
                   sigil_kat_verify_fn verify);

/* ---- vectors of the asymmetric half ---- */

/* RFC 6979 A.2.5: P-256 private scalar, public point (uncompressed), the
 * nonce k for SHA-256("sample") and the resulting signature r||s. */
extern const uint8_t sigil_kat_ec_d[32];
extern const uint8_t sigil_kat_ec_q[65];
extern const uint8_t sigil_kat_ec_k[32];
extern const uint8_t sigil_kat_ec_sig[64];

/* DigestInfo prefix of SHA-256 (RFC 8017 9.2 note 1). */
extern const uint8_t sigil_kat_sha256_digest_info[19];

/* RSA-2048 self-test key (e = 65537) and its PKCS#1 v1.5 SHA-256 signature of "sample". */
extern const uint8_t sigil_kat_rsa_n[256];
extern const uint8_t sigil_kat_rsa_p[128];
extern const uint8_t sigil_kat_rsa_q[128];
extern const uint8_t sigil_kat_rsa_e[3];
extern const uint8_t sigil_kat_rsa_sig[256];

#endif
