/* mbedtls_selftest.c — power-up known-answer and pairwise tests of the mbedTLS backend.
 *
 * The vectors, the numbering of the checks and the symmetric half (hashes,
 * KDFs, AES-GCM through crypto.h) are shared with the other backends
 * (selftest_kat.c); this file adds HMAC and the asymmetric half on mbedTLS
 * key objects.
 */
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include "mbedtls_internal.h"
#include "selftest_kat.h"
#include "sigil_secmem.h"

static int mbt_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
                           uint8_t out[32])
{
    return mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key, key_len, msg,
                           msg_len, out);
}

/* ---- asymmetric ---- */

static sigil_crypto_key *ec_test_key(void)
{
    sigil_crypto_key *key = sigil_mbt_key_new();
    mbedtls_ecp_keypair *ec;
    int ret;

    if (key == NULL)
        return NULL;
    ret = mbedtls_pk_setup(&key->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (ret != 0)
        goto fail;
    ec = mbedtls_pk_ec(key->pk);
    ret = mbedtls_ecp_group_load(&ec->grp, MBEDTLS_ECP_DP_SECP256R1);
    if (ret == 0)
        ret = mbedtls_mpi_read_binary(&ec->d, sigil_kat_ec_d, sizeof sigil_kat_ec_d);
    if (ret == 0)
        ret = mbedtls_ecp_point_read_binary(&ec->grp, &ec->Q, sigil_kat_ec_q,
                                            sizeof sigil_kat_ec_q);
    if (ret != 0 || sigil_mbt_key_finish(key, SIGIL_KEY_KIND_EC_P256) != SIGIL_ST_OK)
        goto fail;
    return key;
fail:
    sigil_crypto_key_free(key);
    return NULL;
}

static sigil_crypto_key *rsa_test_key(void)
{
    sigil_crypto_key *key = sigil_mbt_key_new();
    mbedtls_rsa_context *rsa;
    int ret;

    if (key == NULL)
        return NULL;
    ret = mbedtls_pk_setup(&key->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
    if (ret != 0)
        goto fail;
    rsa = mbedtls_pk_rsa(key->pk);
    ret = mbedtls_rsa_import_raw(rsa, sigil_kat_rsa_n, sizeof sigil_kat_rsa_n, sigil_kat_rsa_p,
                                 sizeof sigil_kat_rsa_p, sigil_kat_rsa_q,
                                 sizeof sigil_kat_rsa_q, NULL, 0, sigil_kat_rsa_e,
                                 sizeof sigil_kat_rsa_e);
    if (ret == 0)
        ret = mbedtls_rsa_complete(rsa); /* derives D and the CRT values */
    if (ret != 0 || sigil_mbt_key_finish(key, SIGIL_KEY_KIND_RSA_2048) != SIGIL_ST_OK)
        goto fail;
    return key;
fail:
    sigil_crypto_key_free(key);
    return NULL;
}

static bool kat_ecdsa(const uint8_t digest[32])
{
    bool ok = false;
    const sigil_sig_params ecdsa = {.scheme = SIGIL_SIG_ECDSA};
    sigil_crypto_key *key = ec_test_key();
    mbedtls_ecp_keypair *ec;
    uint8_t sig[SIGIL_CRYPTO_MAX_SIG];
    size_t sig_len = 0;
    mbedtls_mpi r, s;

    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    memset(sig, 0, sizeof sig);
    if (key == NULL)
        goto cleanup;

    /* Known signature verifies... */
    memcpy(sig, sigil_kat_ec_sig, sizeof sigil_kat_ec_sig);
    sigil_kat_corrupt_if(SIGIL_KAT_ECDSA_VERIFY, sig);
    if (sigil_mbt_verify_locked(key, &ecdsa, digest, 32, sig, sizeof sigil_kat_ec_sig) !=
        SIGIL_ST_OK)
        goto cleanup;
    /* ...and an altered one does not. */
    memcpy(sig, sigil_kat_ec_sig, sizeof sigil_kat_ec_sig);
    sig[63] ^= 0x80;
    if (sigil_kat_corrupt_target() == SIGIL_KAT_ECDSA_VERIFY_BAD)
        sig[63] ^= 0x80;
    if (sigil_mbt_verify_locked(key, &ecdsa, digest, 32, sig, sizeof sigil_kat_ec_sig) ==
        SIGIL_ST_OK)
        goto cleanup;

    /* Deterministic signing (RFC 6979) reproduces the published signature. */
    ec = mbedtls_pk_ec(key->pk);
    if (mbedtls_ecdsa_sign_det_ext(&ec->grp, &r, &s, &ec->d, digest, 32, MBEDTLS_MD_SHA256,
                                   sigil_mbt_rng, NULL) != 0 ||
        mbedtls_mpi_write_binary(&r, sig, 32) != 0 ||
        mbedtls_mpi_write_binary(&s, sig + 32, 32) != 0 ||
        !sigil_kat_equal(SIGIL_KAT_ECDSA_SIGN_DET, sig, sigil_kat_ec_sig, sizeof sigil_kat_ec_sig))
        goto cleanup;

    /* Pairwise: a randomised signature by the interface's own path verifies. */
    if (sigil_mbt_sign_locked(key, &ecdsa, digest, 32, sig, sizeof sig, &sig_len) != SIGIL_ST_OK)
        goto cleanup;
    sigil_kat_corrupt_if(SIGIL_KAT_ECDSA_PAIRWISE, sig);
    if (sigil_mbt_verify_locked(key, &ecdsa, digest, 32, sig, sig_len) != SIGIL_ST_OK)
        goto cleanup;
    ok = true;
cleanup:
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    sigil_wipe(sig, sizeof sig);
    sigil_crypto_key_free(key);
    return ok;
}

static bool kat_rsa(const uint8_t digest[32])
{
    sigil_crypto_key *key = rsa_test_key();
    bool ok = key != NULL && sigil_kat_rsa(key, digest, sigil_mbt_sign_locked, sigil_mbt_verify_locked);
    sigil_crypto_key_free(key);
    return ok;
}

/* Requires sigil_crypto_init (the pairwise tests and blinding draw on the DRBG). */
sigil_status sigil_crypto_self_test(void)
{
    sigil_status st = SIGIL_ST_SELF_TEST_FAILED;
    uint8_t digest[32];

    if (!sigil_mbt_drbg_ready())
        goto cleanup;
    if (!sigil_kat_symmetric(mbt_hmac_sha256))
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
