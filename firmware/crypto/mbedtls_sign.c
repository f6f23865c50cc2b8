/* mbedtls_sign.c — ECDSA, RSA PKCS#1 v1.5 and RSA-PSS signing (and the
 * verification the pairwise and self-tests need). */
#include <pthread.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include "mbedtls_internal.h"
#include "sig_check.h"
#include "sigil_secmem.h"

bool sigil_mbt_hash_info(sigil_hash_alg alg, mbedtls_md_type_t *md, size_t *len)
{
    switch (alg) {
    case SIGIL_HASH_SHA256:
        *md = MBEDTLS_MD_SHA256;
        break;
    case SIGIL_HASH_SHA384:
        *md = MBEDTLS_MD_SHA384;
        break;
    case SIGIL_HASH_SHA512:
        *md = MBEDTLS_MD_SHA512;
        break;
    case SIGIL_HASH_NONE:
    default:
        return false;
    }
    *len = sigil_hash_len(alg);
    return true;
}

/* The shared argument rules (sig_check.h); for PSS, *md and *md_len receive the hash. */
static sigil_status check_request(const sigil_crypto_key *key, const sigil_sig_params *params,
                                  size_t in_len, mbedtls_md_type_t *md, size_t *md_len)
{
    bool is_ec = mbedtls_pk_get_type(&key->pk) == MBEDTLS_PK_ECKEY;
    sigil_status st = sigil_sig_check_request(params, is_ec, key->sig_len,
                                              mbedtls_pk_get_bitlen(&key->pk), in_len);

    *md = MBEDTLS_MD_NONE;
    *md_len = 0;
    if (st == SIGIL_ST_OK && params->scheme == SIGIL_SIG_RSA_PSS &&
        !sigil_mbt_hash_info(params->pss_hash, md, md_len))
        st = SIGIL_ST_MECHANISM_PARAM_INVALID; /* unreachable: the shared check refused it */
    return st;
}

sigil_status sigil_mbt_sign_locked(sigil_crypto_key *key, const sigil_sig_params *params,
                                   const uint8_t *in, size_t in_len, uint8_t *sig,
                                   size_t sig_cap, size_t *sig_len)
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;
    mbedtls_md_type_t md;
    size_t md_len;
    mbedtls_mpi r, s;
    int ret;

    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    if (sig_len != NULL)
        *sig_len = 0;
    if (key == NULL || key->sig_len == 0 || params == NULL || sig == NULL || sig_len == NULL ||
        (in == NULL && in_len != 0))
        goto cleanup;
    st = check_request(key, params, in_len, &md, &md_len);
    if (st != SIGIL_ST_OK)
        goto cleanup;
    st = SIGIL_ST_BAD_ARGUMENT;
    if (sig_cap < key->sig_len)
        goto cleanup;

    switch (params->scheme) {
    case SIGIL_SIG_ECDSA: {
        mbedtls_ecp_keypair *ec = mbedtls_pk_ec(key->pk);
        size_t clen = key->sig_len / 2;
        ret = mbedtls_ecdsa_sign(&ec->grp, &r, &s, &ec->d, in, in_len, sigil_mbt_rng, NULL);
        if (ret == 0)
            ret = mbedtls_mpi_write_binary(&r, sig, clen);
        if (ret == 0)
            ret = mbedtls_mpi_write_binary(&s, sig + clen, clen);
        break;
    }
    case SIGIL_SIG_RSA_PKCS1:
        ret = mbedtls_rsa_rsassa_pkcs1_v15_sign(mbedtls_pk_rsa(key->pk), sigil_mbt_rng, NULL,
                                                MBEDTLS_RSA_PRIVATE, MBEDTLS_MD_NONE,
                                                (unsigned int)in_len, in, sig);
        break;
    case SIGIL_SIG_RSA_PSS: {
        mbedtls_rsa_context *rsa = mbedtls_pk_rsa(key->pk);
        /* The context's hash selects MGF1's hash. */
        mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, (int)md);
        ret = mbedtls_rsa_rsassa_pss_sign_ext(rsa, sigil_mbt_rng, NULL, md, (unsigned int)md_len,
                                              in, (int)params->pss_salt_len, sig);
        mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
        break;
    }
    default:
        ret = -1; /* unreachable: check_request refused it */
        break;
    }
    st = sigil_mbt_status(ret);
    if (st != SIGIL_ST_OK)
        goto cleanup;
    *sig_len = key->sig_len;
cleanup:
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    if (st != SIGIL_ST_OK && sig != NULL)
        sigil_wipe(sig, sig_cap);
    return st;
}

/* Errors (in this order): SIGIL_ST_BAD_ARGUMENT (NULL pointers), MECHANISM_INVALID
 * (unknown scheme), KEY_TYPE_INCONSISTENT (scheme does not fit the key),
 * BAD_ARGUMENT (sig_cap below sigil_crypto_sig_len), MECHANISM_PARAM_INVALID
 * (PSS hash), DATA_LEN_RANGE, MECHANISM_PARAM_INVALID (PSS salt), CRYPTO_FAILURE. */
sigil_status sigil_crypto_sign(sigil_crypto_key *key, const sigil_sig_params *params,
                               const uint8_t *in, size_t in_len, uint8_t *sig, size_t sig_cap,
                               size_t *sig_len)
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;

    if (key == NULL) {
        if (sig_len != NULL)
            *sig_len = 0;
        if (sig != NULL)
            sigil_wipe(sig, sig_cap);
        return st;
    }
    /* RSA blinding values and ECP precomputation live in the key's context. */
    pthread_mutex_lock(&key->lock);
    st = sigil_mbt_sign_locked(key, params, in, in_len, sig, sig_cap, sig_len);
    pthread_mutex_unlock(&key->lock);
    return st;
}

sigil_status sigil_mbt_verify_locked(sigil_crypto_key *key, const sigil_sig_params *params,
                                     const uint8_t *in, size_t in_len, const uint8_t *sig,
                                     size_t sig_len)
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;
    mbedtls_md_type_t md;
    size_t md_len;
    mbedtls_mpi r, s;
    int ret;

    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    if (key == NULL || key->sig_len == 0 || params == NULL || sig == NULL ||
        (in == NULL && in_len != 0))
        goto cleanup;
    st = check_request(key, params, in_len, &md, &md_len);
    if (st != SIGIL_ST_OK)
        goto cleanup;
    st = SIGIL_ST_CRYPTO_FAILURE;
    if (sig_len != key->sig_len)
        goto cleanup;

    switch (params->scheme) {
    case SIGIL_SIG_ECDSA: {
        mbedtls_ecp_keypair *ec = mbedtls_pk_ec(key->pk);
        size_t clen = sig_len / 2;
        ret = mbedtls_mpi_read_binary(&r, sig, clen);
        if (ret == 0)
            ret = mbedtls_mpi_read_binary(&s, sig + clen, clen);
        if (ret == 0)
            ret = mbedtls_ecdsa_verify(&ec->grp, in, in_len, &ec->Q, &r, &s);
        break;
    }
    case SIGIL_SIG_RSA_PKCS1:
        ret = mbedtls_rsa_rsassa_pkcs1_v15_verify(mbedtls_pk_rsa(key->pk), NULL, NULL,
                                                  MBEDTLS_RSA_PUBLIC, MBEDTLS_MD_NONE,
                                                  (unsigned int)in_len, in, sig);
        break;
    case SIGIL_SIG_RSA_PSS:
        ret = mbedtls_rsa_rsassa_pss_verify_ext(mbedtls_pk_rsa(key->pk), NULL, NULL,
                                                MBEDTLS_RSA_PUBLIC, md, (unsigned int)md_len, in,
                                                md, (int)params->pss_salt_len, sig);
        break;
    default:
        ret = -1;
        break;
    }
    st = ret == 0 ? SIGIL_ST_OK : SIGIL_ST_CRYPTO_FAILURE;
cleanup:
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    return st;
}

sigil_status sigil_mbt_pairwise_check(sigil_crypto_key *key)
{
    sigil_status st = SIGIL_ST_CRYPTO_FAILURE;
    /* "Sigil pairwise check digest v1" padded to 32 bytes. */
    static const uint8_t digest[32] = "Sigil pairwise check digest v1";
    const sigil_sig_params params = {
        .scheme = mbedtls_pk_get_type(&key->pk) == MBEDTLS_PK_ECKEY ? SIGIL_SIG_ECDSA
                                                                     : SIGIL_SIG_RSA_PKCS1,
    };
    uint8_t sig[SIGIL_CRYPTO_MAX_SIG];
    size_t sig_len = 0;

    if (sigil_mbt_sign_locked(key, &params, digest, sizeof digest, sig, sizeof sig, &sig_len) !=
        SIGIL_ST_OK)
        goto cleanup;
    if (sigil_mbt_verify_locked(key, &params, digest, sizeof digest, sig, sig_len) != SIGIL_ST_OK)
        goto cleanup;
    st = SIGIL_ST_OK;
cleanup:
    sigil_wipe(sig, sizeof sig);
    return st;
}
