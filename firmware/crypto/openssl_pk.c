/* openssl_pk.c — key generation, loading, serialisation and public export.
 *
 * Key blobs are the ones the mbedTLS backend reads and writes, so that an
 * appliance can change backend without losing keys: DER, unencrypted (the key
 * store encrypts the blob as a whole), RSA as PKCS#1 RSAPrivateKey and EC as
 * SEC1 ECPrivateKey with the named curve and the public point
 * (i2d_PrivateKey's "type-specific" structure). Loading also accepts an
 * unencrypted PKCS#8 PrivateKeyInfo, as mbedTLS does.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include "openssl_internal.h"
#include "sigil_secmem.h"

#define RSA_PUBLIC_EXPONENT 65537u

/* DER OIDs of the named curves (CKA_EC_PARAMS). */
static const uint8_t oid_p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22};

typedef struct {
    sigil_key_kind kind;
    bool ec;
    const char *group;  /* EC only: OpenSSL group name */
    int nid;            /* EC only */
    unsigned bits;
    const uint8_t *oid; /* EC only */
    size_t oid_len;
} kind_info;

static const kind_info kinds[] = {
    {.kind = SIGIL_KEY_KIND_EC_P256, .ec = true, .group = "P-256", .nid = NID_X9_62_prime256v1,
     .bits = 256, .oid = oid_p256, .oid_len = sizeof oid_p256},
    {.kind = SIGIL_KEY_KIND_EC_P384, .ec = true, .group = "P-384", .nid = NID_secp384r1,
     .bits = 384, .oid = oid_p384, .oid_len = sizeof oid_p384},
    {.kind = SIGIL_KEY_KIND_RSA_2048, .ec = false, .bits = 2048},
    {.kind = SIGIL_KEY_KIND_RSA_3072, .ec = false, .bits = 3072},
    {.kind = SIGIL_KEY_KIND_RSA_4096, .ec = false, .bits = 4096},
};

static const kind_info *kind_lookup(sigil_key_kind kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].kind == kind)
            return &kinds[i];
    return NULL;
}

const EVP_MD *sigil_ossl_md(sigil_hash_alg alg)
{
    switch (alg) {
    case SIGIL_HASH_SHA256:
        return sigil_ossl_alg.sha256;
    case SIGIL_HASH_SHA384:
        return sigil_ossl_alg.sha384;
    case SIGIL_HASH_SHA512:
        return sigil_ossl_alg.sha512;
    case SIGIL_HASH_NONE:
    default:
        return NULL;
    }
}

/* ---- life cycle of the key object ---- */

sigil_crypto_key *sigil_ossl_key_new(void)
{
    sigil_crypto_key *key = calloc(1, sizeof *key);
    if (key == NULL)
        return NULL;
    for (size_t m = 0; m < SIGIL_OSSL_MODE_COUNT; m++)
        for (size_t i = 0; i < SIGIL_OSSL_POOL_SLOTS; i++)
            atomic_init(&key->pool[m][i], NULL);
    return key;
}

void sigil_crypto_key_free(sigil_crypto_key *key)
{
    if (key == NULL)
        return;
    sigil_ossl_pool_drain(key);
    EVP_PKEY_free(key->pkey); /* OpenSSL clears the private values it frees */
    sigil_wipe(key, sizeof *key);
    free(key);
}

/* ---- checks and public export ---- */

/* Writes a BIGNUM big-endian without leading zeros. */
static sigil_status bn_export(const BIGNUM *x, uint8_t *out, size_t cap, size_t *len)
{
    int n = BN_num_bytes(x);
    if (n <= 0 || (size_t)n > cap || BN_bn2bin(x, out) != n)
        return SIGIL_ST_CRYPTO_FAILURE;
    *len = (size_t)n;
    return SIGIL_ST_OK;
}

static sigil_status pub_export(EVP_PKEY *pkey, const kind_info *ki, sigil_crypto_pub *pub)
{
    sigil_status st = SIGIL_ST_CRYPTO_FAILURE;
    BIGNUM *a = NULL, *b = NULL;

    memset(pub, 0, sizeof *pub);
    if (ki->ec) {
        /* The point as 04||X||Y, whatever form the blob stored it in. */
        size_t coord = (ki->bits + 7) / 8;
        if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &a) != 1 ||
            EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &b) != 1 ||
            1 + 2 * coord > sizeof pub->b ||
            BN_bn2binpad(a, pub->b + 1, (int)coord) != (int)coord ||
            BN_bn2binpad(b, pub->b + 1 + coord, (int)coord) != (int)coord)
            goto cleanup;
        pub->b[0] = 0x04;
        pub->b_len = 1 + 2 * coord;
        memcpy(pub->a, ki->oid, ki->oid_len);
        pub->a_len = ki->oid_len;
    } else {
        if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &a) != 1 ||
            EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &b) != 1)
            goto cleanup;
        st = bn_export(a, pub->a, sizeof pub->a, &pub->a_len);
        if (st == SIGIL_ST_OK)
            st = bn_export(b, pub->b, sizeof pub->b, &pub->b_len);
        if (st != SIGIL_ST_OK)
            goto cleanup;
    }
    pub->bits = (uint32_t)EVP_PKEY_get_bits(pkey);
    st = SIGIL_ST_OK;
cleanup:
    BN_free(a);
    BN_free(b);
    if (st != SIGIL_ST_OK)
        sigil_wipe(pub, sizeof *pub);
    ERR_clear_error();
    return st;
}

/* The key is on the kind's named curve, given by name (not explicit parameters). */
static bool ec_group_ok(EVP_PKEY *pkey, const kind_info *ki)
{
    char name[64], encoding[32];
    size_t len = 0;
    int nid;

    if (EVP_PKEY_get_group_name(pkey, name, sizeof name, &len) != 1)
        return false;
    nid = OBJ_txt2nid(name);
    if (nid == NID_undef)
        nid = EC_curve_nist2nid(name);
    if (nid != ki->nid)
        return false;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING, encoding,
                                       sizeof encoding, &len) != 1)
        return false;
    return strcmp(encoding, OSSL_PKEY_EC_ENCODING_GROUP) == 0;
}

/* The private half of an RSA key matches its public half, as mbedTLS's
 * mbedtls_rsa_check_pub_priv checks it: two primes, N = P*Q, e odd and > 1,
 * D*E = 1 mod (P-1) and mod, and the CRT values derived from them.
 * (EVP_PKEY_pairwise_check adds primality tests of P and Q: 30 ms for RSA-2048,
 * 220 ms for RSA-4096 on the development machine — too slow for every load.) */
static bool rsa_consistent(EVP_PKEY *pkey)
{
    bool ok = false;
    BIGNUM *n = NULL, *e = NULL, *d = NULL, *p = NULL, *q = NULL, *dp = NULL, *dq = NULL,
           *qinv = NULL, *extra = NULL;
    BN_CTX *bc = BN_CTX_secure_new_ex(sigil_ossl_libctx);
    BIGNUM *t, *p1, *q1;

    if (bc == NULL)
        goto cleanup;
    BN_CTX_start(bc);
    t = BN_CTX_get(bc);
    p1 = BN_CTX_get(bc);
    q1 = BN_CTX_get(bc);
    if (q1 == NULL)
        goto cleanup;
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &d) != 1 ||
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1, &p) != 1 ||
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2, &q) != 1 ||
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1, &dp) != 1 ||
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2, &dq) != 1 ||
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, &qinv) != 1)
        goto cleanup;
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR3, &extra) == 1)
        goto cleanup; /* multi-prime: neither backend makes such keys */
    if (!BN_is_odd(e) || BN_is_one(e) || !BN_is_odd(n) || BN_cmp(p, BN_value_one()) <= 0 ||
        BN_cmp(q, BN_value_one()) <= 0)
        goto cleanup;
    /* N = P*Q */
    if (!BN_mul(t, p, q, bc) || BN_cmp(t, n) != 0)
        goto cleanup;
    if (!BN_sub(p1, p, BN_value_one()) || !BN_sub(q1, q, BN_value_one()))
        goto cleanup;
    /* D*E = 1 mod (P-1) and mod */
    if (!BN_mod_mul(t, d, e, p1, bc) || !BN_is_one(t) || !BN_mod_mul(t, d, e, q1, bc) ||
        !BN_is_one(t))
        goto cleanup;
    /* DP = D mod (P-1), DQ = D mod, QINV*Q = 1 mod P */
    if (!BN_nnmod(t, d, p1, bc) || BN_cmp(t, dp) != 0 || !BN_nnmod(t, d, q1, bc) ||
        BN_cmp(t, dq) != 0 || !BN_mod_mul(t, qinv, q, p, bc) || !BN_is_one(t))
        goto cleanup;
    ok = true;
cleanup:
    BN_CTX_end(bc);
    BN_CTX_free(bc);
    BN_free(n);
    BN_free(e);
    BN_clear_free(d);
    BN_clear_free(p);
    BN_clear_free(q);
    BN_clear_free(dp);
    BN_clear_free(dq);
    BN_clear_free(qinv);
    BN_clear_free(extra);
    ERR_clear_error();
    return ok;
}

/* EC: the public point is d*G (EVP_PKEY_pairwise_check, one scalar multiplication). */
static bool ec_consistent(EVP_PKEY *pkey)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(sigil_ossl_libctx, pkey, NULL);
    bool ok = ctx != NULL && EVP_PKEY_pairwise_check(ctx) == 1;
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

sigil_status sigil_ossl_key_finish(sigil_crypto_key *key, sigil_key_kind kind)
{
    sigil_status st = SIGIL_ST_INTEGRITY_FAILURE;
    const kind_info *ki = kind_lookup(kind);

    if (ki == NULL) {
        st = SIGIL_ST_KEY_SIZE_RANGE;
        goto cleanup;
    }
    if (key->pkey == NULL)
        goto cleanup;
    if (ki->ec) {
        if (!EVP_PKEY_is_a(key->pkey, "EC") || !ec_group_ok(key->pkey, ki) ||
            !ec_consistent(key->pkey))
            goto cleanup;
        key->sig_len = 2 * (size_t)((ki->bits + 7) / 8);
    } else {
        if (!EVP_PKEY_is_a(key->pkey, "RSA") || EVP_PKEY_get_bits(key->pkey) != (int)ki->bits ||
            !rsa_consistent(key->pkey))
            goto cleanup;
        key->sig_len = (size_t)EVP_PKEY_get_size(key->pkey);
    }
    key->mod_bits = ki->bits;
    key->is_ec = ki->ec;
    st = pub_export(key->pkey, ki, &key->pub);
    if (st != SIGIL_ST_OK)
        goto cleanup;
    key->kind = kind;
    st = SIGIL_ST_OK;
cleanup:
    if (st != SIGIL_ST_OK)
        key->sig_len = 0;
    ERR_clear_error();
    return st;
}

/* ---- generation ---- */

static sigil_status generate(const kind_info *ki, EVP_PKEY **out)
{
    sigil_status st = SIGIL_ST_CRYPTO_FAILURE;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(sigil_ossl_libctx, ki->ec ? "EC" : "RSA", NULL);
    size_t bits = ki->bits, primes = 2;
    unsigned int e = RSA_PUBLIC_EXPONENT;
    OSSL_PARAM params[4];

    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1)
        goto cleanup;
    if (ki->ec) {
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                     (char *)ki->group, 0);
        params[1] = OSSL_PARAM_construct_end();
    } else {
        params[0] = OSSL_PARAM_construct_size_t(OSSL_PKEY_PARAM_RSA_BITS, &bits);
        params[1] = OSSL_PARAM_construct_size_t(OSSL_PKEY_PARAM_RSA_PRIMES, &primes);
        params[2] = OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_E, &e);
        params[3] = OSSL_PARAM_construct_end();
    }
    /* Randomness: the library context's private DRBG, seeded from the platform. */
    if (EVP_PKEY_CTX_set_params(ctx, params) != 1 || EVP_PKEY_generate(ctx, out) != 1)
        goto cleanup;
    st = SIGIL_ST_OK;
cleanup:
    EVP_PKEY_CTX_free(ctx);
    return st == SIGIL_ST_OK ? st : sigil_ossl_fail(st);
}

/* Writes the private key as DER (RSA: PKCS#1 RSAPrivateKey; EC: SEC1 ECPrivateKey
 * with parameters and public key) into out. */
static sigil_status priv_der_write(EVP_PKEY *pkey, uint8_t *out, size_t cap, size_t *len)
{
    sigil_status st = SIGIL_ST_CRYPTO_FAILURE;
    unsigned char *der = NULL;
    int n = i2d_PrivateKey(pkey, &der); /* allocates; the provider's "type-specific" DER */

    if (n <= 0 || der == NULL) {
        st = sigil_ossl_fail(st);
        goto cleanup;
    }
    if ((size_t)n > cap) {
        st = SIGIL_ST_BAD_ARGUMENT;
        goto cleanup;
    }
    memcpy(out, der, (size_t)n);
    *len = (size_t)n;
    st = SIGIL_ST_OK;
cleanup:
    if (der != NULL)
        OPENSSL_clear_free(der, (size_t)n);
    return st;
}

/* Errors: SIGIL_ST_KEY_SIZE_RANGE (unknown kind), SIGIL_ST_BAD_ARGUMENT (NULL
 * output or priv_cap too small for the DER), SIGIL_ST_GENERAL_ERROR (before
 * sigil_crypto_init), SIGIL_ST_CRYPTO_FAILURE (generation or pairwise test failed),
 * SIGIL_ST_NO_MEMORY. */
sigil_status sigil_crypto_keygen(sigil_key_kind kind, uint8_t *priv_der, size_t priv_cap,
                                 size_t *priv_len, sigil_crypto_pub *pub)
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;
    const kind_info *ki = kind_lookup(kind);
    sigil_crypto_key *key = NULL;

    if (priv_der == NULL || priv_len == NULL || pub == NULL)
        return st;
    *priv_len = 0;
    if (ki == NULL) {
        st = SIGIL_ST_KEY_SIZE_RANGE;
        goto cleanup;
    }
    if (!sigil_ossl_ready()) {
        st = SIGIL_ST_GENERAL_ERROR;
        goto cleanup;
    }
    key = sigil_ossl_key_new();
    if (key == NULL) {
        st = SIGIL_ST_NO_MEMORY;
        goto cleanup;
    }
    st = generate(ki, &key->pkey);
    if (st != SIGIL_ST_OK)
        goto cleanup;
    st = sigil_ossl_key_finish(key, kind);
    if (st != SIGIL_ST_OK) {
        st = SIGIL_ST_CRYPTO_FAILURE; /* a fresh key that is inconsistent is a generator fault */
        goto cleanup;
    }
    st = sigil_ossl_pairwise_check(key);
    if (st != SIGIL_ST_OK)
        goto cleanup;
    st = priv_der_write(key->pkey, priv_der, priv_cap, priv_len);
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

/* ---- loading ---- */

/* Errors: SIGIL_ST_BAD_ARGUMENT (NULL or empty input), SIGIL_ST_KEY_SIZE_RANGE
 * (unknown kind), SIGIL_ST_GENERAL_ERROR (before sigil_crypto_init),
 * SIGIL_ST_INTEGRITY_FAILURE (not a DER private key, or not one of this kind, or
 * its halves do not match, or trailing bytes), SIGIL_ST_NO_MEMORY. */
sigil_status sigil_crypto_key_load(sigil_key_kind kind, const uint8_t *priv_der, size_t priv_len,
                                   sigil_crypto_key **out)
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;
    const kind_info *ki = kind_lookup(kind);
    sigil_crypto_key *key = NULL;
    const unsigned char *p = priv_der;

    if (out == NULL)
        return st;
    *out = NULL;
    if (priv_der == NULL || priv_len == 0)
        goto cleanup;
    if (ki == NULL) {
        st = SIGIL_ST_KEY_SIZE_RANGE;
        goto cleanup;
    }
    st = SIGIL_ST_GENERAL_ERROR;
    if (sigil_ossl_libctx == NULL)
        goto cleanup;
    st = SIGIL_ST_INTEGRITY_FAILURE;
    if (priv_len > (size_t)LONG_MAX)
        goto cleanup;
    key = sigil_ossl_key_new();
    if (key == NULL) {
        st = SIGIL_ST_NO_MEMORY;
        goto cleanup;
    }
    /* SEC1 / PKCS#1 (or PKCS#8) of the kind's algorithm; all of the input. */
    key->pkey = d2i_PrivateKey_ex(ki->ec ? EVP_PKEY_EC : EVP_PKEY_RSA, NULL, &p, (long)priv_len,
                                  sigil_ossl_libctx, NULL);
    if (key->pkey == NULL) {
        st = sigil_ossl_fail(SIGIL_ST_INTEGRITY_FAILURE);
        goto cleanup;
    }
    if (p != priv_der + priv_len)
        goto cleanup;
    st = sigil_ossl_key_finish(key, kind);
    if (st != SIGIL_ST_OK)
        goto cleanup;
    *out = key;
    key = NULL;
cleanup:
    sigil_crypto_key_free(key);
    ERR_clear_error();
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
