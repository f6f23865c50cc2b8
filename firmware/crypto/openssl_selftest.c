/* openssl_selftest.c — power-up known-answer and pairwise tests of the OpenSSL backend.
 *
 * The same 16 checks as the mbedTLS backend, on the same vectors
 * (selftest_kat.c holds them, with the numbering and the symmetric half); this
 * file adds HMAC and the asymmetric half on OpenSSL key objects. The RFC 6979
 * signing KAT runs OpenSSL's ECDSA core with the published nonce
 * (openssl_ecdsa_kat.c), since OpenSSL 3.0 has no deterministic ECDSA.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "openssl_internal.h"
#include "selftest_kat.h"
#include "sigil_secmem.h"

static int ossl_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg,
                            size_t msg_len, uint8_t out[32])
{
    size_t out_len = 0;
    int ok = EVP_Q_mac(sigil_ossl_libctx, "HMAC", NULL, "SHA2-256", NULL, key, key_len, msg,
                       msg_len, out, 32, &out_len) != NULL &&
             out_len == 32;
    ERR_clear_error();
    return ok ? 0 : -1;
}

/* Wraps a key built from raw values into a loaded key of the given kind. */
static sigil_crypto_key *key_from_params(const char *alg, OSSL_PARAM_BLD *bld, sigil_key_kind kind)
{
    sigil_crypto_key *key = sigil_ossl_key_new();
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(sigil_ossl_libctx, alg, NULL);

    if (key == NULL || params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &key->pkey, EVP_PKEY_KEYPAIR, params) != 1 ||
        sigil_ossl_key_finish(key, kind) != SIGIL_ST_OK) {
        sigil_crypto_key_free(key);
        key = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params); /* OSSL_PARAM_BLD params holding secrets are cleared */
    ERR_clear_error();
    return key;
}

static sigil_crypto_key *ec_test_key(void)
{
    sigil_crypto_key *key = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *d = BN_secure_new();

    if (bld == NULL || d == NULL ||
        BN_bin2bn(sigil_kat_ec_d, sizeof sigil_kat_ec_d, d) == NULL ||
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, sigil_kat_ec_q,
                                         sizeof sigil_kat_ec_q) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1)
        goto cleanup;
    key = key_from_params("EC", bld, SIGIL_KEY_KIND_EC_P256);
cleanup:
    BN_clear_free(d);
    OSSL_PARAM_BLD_free(bld);
    return key;
}

/* The RSA test key from N, E, P, Q, with D = E^-1 mod lcm(P-1, Q-1) and the CRT values. */
static sigil_crypto_key *rsa_test_key(void)
{
    sigil_crypto_key *key = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BN_CTX *bc = BN_CTX_secure_new_ex(sigil_ossl_libctx);
    BIGNUM *n = BN_bin2bn(sigil_kat_rsa_n, sizeof sigil_kat_rsa_n, NULL);
    BIGNUM *e = BN_bin2bn(sigil_kat_rsa_e, sizeof sigil_kat_rsa_e, NULL);
    BIGNUM *p = BN_secure_new(), *q = BN_secure_new();
    BIGNUM *d = BN_secure_new(), *dp = BN_secure_new(), *dq = BN_secure_new();
    BIGNUM *qinv = BN_secure_new(), *p1 = BN_secure_new(), *q1 = BN_secure_new();
    BIGNUM *g = BN_secure_new(), *l = BN_secure_new();

    if (bld == NULL || bc == NULL || n == NULL || e == NULL || p == NULL || q == NULL ||
        d == NULL || dp == NULL || dq == NULL || qinv == NULL || p1 == NULL || q1 == NULL ||
        g == NULL || l == NULL ||
        BN_bin2bn(sigil_kat_rsa_p, sizeof sigil_kat_rsa_p, p) == NULL ||
        BN_bin2bn(sigil_kat_rsa_q, sizeof sigil_kat_rsa_q, q) == NULL)
        goto cleanup;
    if (!BN_sub(p1, p, BN_value_one()) || !BN_sub(q1, q, BN_value_one()) ||
        !BN_gcd(g, p1, q1, bc) || !BN_mul(l, p1, q1, bc) || !BN_div(l, NULL, l, g, bc) ||
        BN_mod_inverse(d, e, l, bc) == NULL || !BN_nnmod(dp, d, p1, bc) ||
        !BN_nnmod(dq, d, q1, bc) || BN_mod_inverse(qinv, q, p, bc) == NULL)
        goto cleanup;
    if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv) != 1)
        goto cleanup;
    key = key_from_params("RSA", bld, SIGIL_KEY_KIND_RSA_2048);
cleanup:
    BN_free(n);
    BN_free(e);
    BN_clear_free(p);
    BN_clear_free(q);
    BN_clear_free(d);
    BN_clear_free(dp);
    BN_clear_free(dq);
    BN_clear_free(qinv);
    BN_clear_free(p1);
    BN_clear_free(q1);
    BN_clear_free(g);
    BN_clear_free(l);
    BN_CTX_free(bc);
    OSSL_PARAM_BLD_free(bld);
    ERR_clear_error();
    return key;
}

static bool kat_ecdsa(const uint8_t digest[32])
{
    bool ok = false;
    const sigil_sig_params ecdsa = {.scheme = SIGIL_SIG_ECDSA};
    sigil_crypto_key *key = ec_test_key();
    uint8_t sig[SIGIL_CRYPTO_MAX_SIG];
    size_t sig_len = 0;

    memset(sig, 0, sizeof sig);
    if (key == NULL)
        goto cleanup;

    /* Known signature verifies... */
    memcpy(sig, sigil_kat_ec_sig, sizeof sigil_kat_ec_sig);
    sigil_kat_corrupt_if(SIGIL_KAT_ECDSA_VERIFY, sig);
    if (sigil_ossl_verify(key, &ecdsa, digest, 32, sig, sizeof sigil_kat_ec_sig) != SIGIL_ST_OK)
        goto cleanup;
    /* ...and an altered one does not. */
    memcpy(sig, sigil_kat_ec_sig, sizeof sigil_kat_ec_sig);
    sig[63] ^= 0x80;
    if (sigil_kat_corrupt_target() == SIGIL_KAT_ECDSA_VERIFY_BAD)
        sig[63] ^= 0x80;
    if (sigil_ossl_verify(key, &ecdsa, digest, 32, sig, sizeof sigil_kat_ec_sig) == SIGIL_ST_OK)
        goto cleanup;

    /* Signing with the RFC 6979 nonce reproduces the published signature. */
    if (!sigil_ossl_ecdsa_sign_with_k(key->pkey, digest, 32, sigil_kat_ec_k,
                                      sizeof sigil_kat_ec_k, sig, 32) ||
        !sigil_kat_equal(SIGIL_KAT_ECDSA_SIGN_DET, sig, sigil_kat_ec_sig, sizeof sigil_kat_ec_sig))
        goto cleanup;

    /* Pairwise: a randomised signature by the interface's own path verifies. */
    if (sigil_crypto_sign(key, &ecdsa, digest, 32, sig, sizeof sig, &sig_len) != SIGIL_ST_OK)
        goto cleanup;
    sigil_kat_corrupt_if(SIGIL_KAT_ECDSA_PAIRWISE, sig);
    if (sigil_ossl_verify(key, &ecdsa, digest, 32, sig, sig_len) != SIGIL_ST_OK)
        goto cleanup;
    ok = true;
cleanup:
    sigil_wipe(sig, sizeof sig);
    sigil_crypto_key_free(key);
    return ok;
}

/* sigil_ossl_verify in the shape sigil_kat_rsa takes. */
static sigil_status verify_kat(sigil_crypto_key *key, const sigil_sig_params *params, const uint8_t *in,
                               size_t in_len, const uint8_t *sig, size_t sig_len)
{
    return sigil_ossl_verify(key, params, in, in_len, sig, sig_len);
}

static bool kat_rsa(const uint8_t digest[32])
{
    sigil_crypto_key *key = rsa_test_key();
    bool ok = key != NULL && sigil_kat_rsa(key, digest, sigil_crypto_sign, verify_kat);
    sigil_crypto_key_free(key);
    return ok;
}

/* Requires sigil_crypto_init (the pairwise tests and blinding draw on the DRBG). */
sigil_status sigil_crypto_self_test(void)
{
    sigil_status st = SIGIL_ST_SELF_TEST_FAILED;
    uint8_t digest[32];

    memset(digest, 0, sizeof digest);
    if (!sigil_ossl_ready())
        goto cleanup;
    if (!sigil_kat_symmetric(ossl_hmac_sha256))
        goto cleanup;
    if (sigil_crypto_sha256((const uint8_t *)"sample", 6, digest) != SIGIL_ST_OK)
        goto cleanup;
    if (!kat_ecdsa(digest) || !kat_rsa(digest))
        goto cleanup;
    st = SIGIL_ST_OK;
cleanup:
    sigil_wipe(digest, sizeof digest);
    return st;
}
