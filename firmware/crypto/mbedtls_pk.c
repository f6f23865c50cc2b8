/* mbedtls_pk.c — key generation, loading, serialisation and public export. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include "mbedtls_internal.h"
#include "sigil_secmem.h"

#define RSA_PUBLIC_EXPONENT 65537

/* DER OIDs of the named curves (CKA_EC_PARAMS). */
static const uint8_t oid_p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22};

typedef struct {
    sigil_key_kind kind;
    mbedtls_pk_type_t type;
    mbedtls_ecp_group_id grp; /* EC only */
    unsigned bits;
    const uint8_t *oid;       /* EC only */
    size_t oid_len;
} kind_info;

static const kind_info kinds[] = {
    {.kind = SIGIL_KEY_KIND_EC_P256, .type = MBEDTLS_PK_ECKEY, .grp = MBEDTLS_ECP_DP_SECP256R1,
     .bits = 256, .oid = oid_p256, .oid_len = sizeof oid_p256},
    {.kind = SIGIL_KEY_KIND_EC_P384, .type = MBEDTLS_PK_ECKEY, .grp = MBEDTLS_ECP_DP_SECP384R1,
     .bits = 384, .oid = oid_p384, .oid_len = sizeof oid_p384},
    {.kind = SIGIL_KEY_KIND_RSA_2048, .type = MBEDTLS_PK_RSA, .bits = 2048},
    {.kind = SIGIL_KEY_KIND_RSA_3072, .type = MBEDTLS_PK_RSA, .bits = 3072},
    {.kind = SIGIL_KEY_KIND_RSA_4096, .type = MBEDTLS_PK_RSA, .bits = 4096},
};

static const kind_info *kind_lookup(sigil_key_kind kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].kind == kind)
            return &kinds[i];
    return NULL;
}

/* Writes an MPI big-endian without leading zeros. */
static sigil_status mpi_export(const mbedtls_mpi *x, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = mbedtls_mpi_size(x);
    if (n == 0 || n > cap)
        return SIGIL_ST_CRYPTO_FAILURE;
    if (mbedtls_mpi_write_binary(x, out, n) != 0)
        return SIGIL_ST_CRYPTO_FAILURE;
    *len = n;
    return SIGIL_ST_OK;
}

static sigil_status pub_export(mbedtls_pk_context *pk, const kind_info *ki, sigil_crypto_pub *pub)
{
    sigil_status st = SIGIL_ST_CRYPTO_FAILURE;
    mbedtls_mpi n, e;

    mbedtls_mpi_init(&n);
    mbedtls_mpi_init(&e);
    memset(pub, 0, sizeof *pub);
    if (ki->type == MBEDTLS_PK_ECKEY) {
        mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*pk);
        size_t olen = 0;
        memcpy(pub->a, ki->oid, ki->oid_len);
        pub->a_len = ki->oid_len;
        if (mbedtls_ecp_point_write_binary(&ec->grp, &ec->Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen,
                                           pub->b, sizeof pub->b) != 0)
            goto cleanup;
        pub->b_len = olen;
        pub->bits = (uint32_t)ec->grp.nbits;
    } else {
        mbedtls_rsa_context *rsa = mbedtls_pk_rsa(*pk);
        if (mbedtls_rsa_export(rsa, &n, NULL, NULL, NULL, &e) != 0)
            goto cleanup;
        st = mpi_export(&n, pub->a, sizeof pub->a, &pub->a_len);
        if (st != SIGIL_ST_OK)
            goto cleanup;
        st = mpi_export(&e, pub->b, sizeof pub->b, &pub->b_len);
        if (st != SIGIL_ST_OK)
            goto cleanup;
        st = SIGIL_ST_CRYPTO_FAILURE;
        pub->bits = (uint32_t)mbedtls_mpi_bitlen(&n);
    }
    st = SIGIL_ST_OK;
cleanup:
    mbedtls_mpi_free(&n);
    mbedtls_mpi_free(&e);
    if (st != SIGIL_ST_OK)
        sigil_wipe(pub, sizeof *pub);
    return st;
}

sigil_crypto_key *sigil_mbt_key_new(void)
{
    sigil_crypto_key *key = calloc(1, sizeof *key);
    if (key == NULL)
        return NULL;
    if (pthread_mutex_init(&key->lock, NULL) != 0) {
        free(key);
        return NULL;
    }
    mbedtls_pk_init(&key->pk);
    return key;
}

void sigil_crypto_key_free(sigil_crypto_key *key)
{
    if (key == NULL)
        return;
    mbedtls_pk_free(&key->pk); /* mbedTLS zeroises every MPI it frees */
    pthread_mutex_destroy(&key->lock);
    sigil_wipe(key, sizeof *key);
    free(key);
}

sigil_status sigil_mbt_key_finish(sigil_crypto_key *key, sigil_key_kind kind)
{
    sigil_status st = SIGIL_ST_INTEGRITY_FAILURE;
    const kind_info *ki = kind_lookup(kind);

    if (ki == NULL) {
        st = SIGIL_ST_KEY_SIZE_RANGE;
        goto cleanup;
    }
    if (mbedtls_pk_get_type(&key->pk) != ki->type)
        goto cleanup;
    if (ki->type == MBEDTLS_PK_ECKEY) {
        const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(key->pk);
        if (ec->grp.id != ki->grp)
            goto cleanup;
        key->sig_len = 2 * ((ec->grp.nbits + 7) / 8);
    } else {
        if (mbedtls_pk_get_bitlen(&key->pk) != ki->bits)
            goto cleanup;
        key->sig_len = mbedtls_rsa_get_len(mbedtls_pk_rsa(key->pk));
    }
    /* The private half must match the public half: Q = d*G for EC; for RSA
     * N = P*Q, D*E = 1 and the CRT values (mbedtls_rsa_check_pub_priv). */
    if (mbedtls_pk_check_pair(&key->pk, &key->pk) != 0)
        goto cleanup;
    st = pub_export(&key->pk, ki, &key->pub);
    if (st != SIGIL_ST_OK)
        goto cleanup;
    key->kind = kind;
    st = SIGIL_ST_OK;
cleanup:
    if (st != SIGIL_ST_OK)
        key->sig_len = 0;
    return st;
}

/* Writes the private key as DER (RSA: PKCS#1 RSAPrivateKey; EC: SEC1 ECPrivateKey
 * with parameters and public key) into out. */
static sigil_status priv_der_write(mbedtls_pk_context *pk, uint8_t *out, size_t cap, size_t *len)
{
    sigil_status st = SIGIL_ST_CRYPTO_FAILURE;
    /* mbedtls_pk_write_key_der writes at the end of its buffer. */
    uint8_t tmp[SIGIL_CRYPTO_MAX_PRIV_DER];
    int n = mbedtls_pk_write_key_der(pk, tmp, sizeof tmp);

    if (n <= 0)
        goto cleanup;
    if ((size_t)n > cap) {
        st = SIGIL_ST_BAD_ARGUMENT;
        goto cleanup;
    }
    memcpy(out, tmp + sizeof tmp - (size_t)n, (size_t)n);
    *len = (size_t)n;
    st = SIGIL_ST_OK;
cleanup:
    sigil_wipe(tmp, sizeof tmp);
    return st;
}

/* Errors: SIGIL_ST_KEY_SIZE_RANGE (unknown kind), SIGIL_ST_BAD_ARGUMENT (NULL
 * output or priv_cap too small for the DER), SIGIL_ST_GENERAL_ERROR (before
 * sigil_crypto_init), SIGIL_ST_CRYPTO_FAILURE (generation or pairwise test failed). */
sigil_status sigil_crypto_keygen(sigil_key_kind kind, uint8_t *priv_der, size_t priv_cap,
                                 size_t *priv_len, sigil_crypto_pub *pub)
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;
    const kind_info *ki = kind_lookup(kind);
    sigil_crypto_key *key = NULL;
    int ret;

    if (priv_der == NULL || priv_len == NULL || pub == NULL)
        return st;
    *priv_len = 0;
    if (ki == NULL) {
        st = SIGIL_ST_KEY_SIZE_RANGE;
        goto cleanup;
    }
    if (!sigil_mbt_drbg_ready()) {
        st = SIGIL_ST_GENERAL_ERROR;
        goto cleanup;
    }
    key = sigil_mbt_key_new();
    if (key == NULL) {
        st = SIGIL_ST_NO_MEMORY;
        goto cleanup;
    }
    ret = mbedtls_pk_setup(&key->pk, mbedtls_pk_info_from_type(ki->type));
    if (ret == 0 && ki->type == MBEDTLS_PK_ECKEY)
        ret = mbedtls_ecp_gen_key(ki->grp, mbedtls_pk_ec(key->pk), sigil_mbt_rng, NULL);
    else if (ret == 0)
        ret = mbedtls_rsa_gen_key(mbedtls_pk_rsa(key->pk), sigil_mbt_rng, NULL, ki->bits,
                                  RSA_PUBLIC_EXPONENT);
    if (ret != 0) {
        st = sigil_mbt_status(ret);
        goto cleanup;
    }
    st = sigil_mbt_key_finish(key, kind);
    if (st != SIGIL_ST_OK) {
        st = SIGIL_ST_CRYPTO_FAILURE; /* a fresh key that is inconsistent is a generator fault */
        goto cleanup;
    }
    st = sigil_mbt_pairwise_check(key);
    if (st != SIGIL_ST_OK)
        goto cleanup;
    st = priv_der_write(&key->pk, priv_der, priv_cap, priv_len);
    if (st != SIGIL_ST_OK)
        goto cleanup;
    memcpy(pub, &key->pub, sizeof *pub);
cleanup:
    sigil_crypto_key_free(key);
    if (st != SIGIL_ST_OK) {
        sigil_wipe(priv_der, priv_cap);
        *priv_len = 0;
        sigil_wipe(pub, sizeof *pub);
    }
    return st;
}

/* Errors: SIGIL_ST_BAD_ARGUMENT (NULL or empty input), SIGIL_ST_KEY_SIZE_RANGE
 * (unknown kind), SIGIL_ST_INTEGRITY_FAILURE (not a DER private key, or not one
 * of this kind, or its halves do not match), SIGIL_ST_NO_MEMORY. */
sigil_status sigil_crypto_key_load(sigil_key_kind kind, const uint8_t *priv_der, size_t priv_len,
                                   sigil_crypto_key **out)
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;
    sigil_crypto_key *key = NULL;
    int ret;

    if (out == NULL)
        return st;
    *out = NULL;
    if (priv_der == NULL || priv_len == 0)
        goto cleanup;
    if (kind_lookup(kind) == NULL) {
        st = SIGIL_ST_KEY_SIZE_RANGE;
        goto cleanup;
    }
    key = sigil_mbt_key_new();
    if (key == NULL) {
        st = SIGIL_ST_NO_MEMORY;
        goto cleanup;
    }
    /* DER, unencrypted (the key store encrypts the blob as a whole). */
    ret = mbedtls_pk_parse_key(&key->pk, priv_der, priv_len, NULL, 0);
    if (ret != 0) {
        st = sigil_mbt_status(ret) == SIGIL_ST_NO_MEMORY ? SIGIL_ST_NO_MEMORY
                                                          : SIGIL_ST_INTEGRITY_FAILURE;
        goto cleanup;
    }
    st = sigil_mbt_key_finish(key, kind);
    if (st != SIGIL_ST_OK)
        goto cleanup;
    *out = key;
    key = NULL;
cleanup:
    sigil_crypto_key_free(key);
    return st;
}

size_t sigil_crypto_sig_len(const sigil_crypto_key *key)
{
    return key == NULL ? 0 : key->sig_len;
}

sigil_status sigil_crypto_key_public(const sigil_crypto_key *key, sigil_crypto_pub *pub)
{
    if (pub == NULL)
        return SIGIL_ST_BAD_ARGUMENT;
    if (key == NULL || key->sig_len == 0) {
        sigil_wipe(pub, sizeof *pub);
        return SIGIL_ST_BAD_ARGUMENT;
    }
    /* Immutable since load: no lock needed. */
    memcpy(pub, &key->pub, sizeof *pub);
    return SIGIL_ST_OK;
}
