/* test_crypto_pk.c — a crypto backend (built once per backend, see crypto.cmake):
 * key generation, loading, public export and signing, every signature verified
 * by OpenSSL libcrypto from the exported public values; the key blob format both
 * backends share; error statuses; concurrent signing with shared keys. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "test_crypto_util.h"
#if defined(SIGIL_TEST_BACKEND_OPENSSL)
#include "openssl_testhooks.h"
#endif

#define KIND_COUNT 5

/* Generated once per run in group_setup (RSA-4096 takes seconds, under either backend). */
typedef struct {
    sigil_key_kind kind;
    uint8_t der[SIGIL_CRYPTO_MAX_PRIV_DER];
    size_t der_len;
    sigil_crypto_pub pub;
    sigil_crypto_key *key; /* loaded from der */
    EVP_PKEY *ossl;        /* OpenSSL public key built from pub */
} gen_key;

static gen_key keys[KIND_COUNT] = {
    {.kind = SIGIL_KEY_KIND_EC_P256}, {.kind = SIGIL_KEY_KIND_EC_P384},
    {.kind = SIGIL_KEY_KIND_RSA_2048}, {.kind = SIGIL_KEY_KIND_RSA_3072},
    {.kind = SIGIL_KEY_KIND_RSA_4096},
};

static gen_key *key_of(sigil_key_kind kind)
{
    for (size_t i = 0; i < KIND_COUNT; i++)
        if (keys[i].kind == kind)
            return &keys[i];
    abort();
}

static int group_setup(void **state)
{
    (void)state;
    if (sigil_crypto_init(tc_entropy_getrandom, NULL) != SIGIL_ST_OK)
        return -1;
    for (size_t i = 0; i < KIND_COUNT; i++) {
        gen_key *g = &keys[i];
        if (sigil_crypto_keygen(g->kind, g->der, sizeof g->der, &g->der_len, &g->pub) !=
                SIGIL_ST_OK ||
            sigil_crypto_key_load(g->kind, g->der, g->der_len, &g->key) != SIGIL_ST_OK)
            return -1;
        g->ossl = tc_pkey_from_pub(g->kind, &g->pub);
        if (g->ossl == NULL)
            return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < KIND_COUNT; i++) {
        sigil_crypto_key_free(keys[i].key);
        EVP_PKEY_free(keys[i].ossl);
    }
    sigil_crypto_shutdown();
    return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* Signs with the backend and verifies with OpenSSL. */
static void sign_and_verify(sigil_crypto_key *key, EVP_PKEY *ossl, const sigil_sig_params *params,
                            const uint8_t *in, size_t in_len)
{
    uint8_t sig[SIGIL_CRYPTO_MAX_SIG];
    size_t sig_len = 0;
    assert_int_equal(sigil_crypto_sign(key, params, in, in_len, sig, sizeof sig, &sig_len),
                     SIGIL_ST_OK);
    assert_int_equal(sig_len, sigil_crypto_sig_len(key));
    if (!tc_openssl_verify(ossl, params, in, in_len, sig, sig_len))
        fail_msg("OpenSSL refused a signature (scheme %d, input %zu bytes)", params->scheme,
                 in_len);
    /* And a flipped bit is refused: the check above is not vacuous. */
    sig[sig_len / 2] ^= 0x01;
    assert_false(tc_openssl_verify(ossl, params, in, in_len, sig, sig_len));
}

/* ---- per kind: public export shape, OpenSSL agreement, signatures ---- */

static void check_ec(const gen_key *g)
{
    static const uint8_t oid_p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
    static const uint8_t oid_p384[] = {0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22};
    bool p256 = g->kind == SIGIL_KEY_KIND_EC_P256;
    size_t coord = p256 ? 32 : 48;
    const sigil_sig_params ecdsa = {.scheme = SIGIL_SIG_ECDSA};
    uint8_t digest[64];

    assert_int_equal(g->pub.bits, p256 ? 256 : 384);
    assert_int_equal(g->pub.a_len, p256 ? sizeof oid_p256 : sizeof oid_p384);
    assert_memory_equal(g->pub.a, p256 ? oid_p256 : oid_p384, g->pub.a_len);
    assert_int_equal(g->pub.b_len, 1 + 2 * coord);
    assert_int_equal(g->pub.b[0], 0x04);
    assert_int_equal(EVP_PKEY_get_bits(g->ossl), (int)g->pub.bits);
    assert_int_equal(sigil_crypto_sig_len(g->key), 2 * coord);

    /* Digests shorter than, equal to and longer than the order: OpenSSL truncates alike. */
    const size_t lens[] = {1, 20, 32, 48, 64};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (int rep = 0; rep < 3; rep++) {
            tc_random_bytes(digest, sizeof digest);
            sign_and_verify(g->key, g->ossl, &ecdsa, digest, lens[i]);
        }
    }
}

static void check_rsa(const gen_key *g)
{
    static const unsigned bits_of[] = {[SIGIL_KEY_KIND_RSA_2048] = 2048,
                                       [SIGIL_KEY_KIND_RSA_3072] = 3072,
                                       [SIGIL_KEY_KIND_RSA_4096] = 4096};
    unsigned bits = bits_of[g->kind];
    size_t k = bits / 8;
    const sigil_sig_params pkcs1 = {.scheme = SIGIL_SIG_RSA_PKCS1};
    uint8_t block[SIGIL_CRYPTO_MAX_SIG];

    assert_int_equal(g->pub.bits, bits);
    assert_int_equal(g->pub.a_len, k); /* no leading zero, top bit set */
    assert_true(g->pub.a[0] & 0x80);
    assert_int_equal(g->pub.b_len, 3);
    assert_memory_equal(g->pub.b, ((const uint8_t[]){0x01, 0x00, 0x01}), 3);
    assert_int_equal(EVP_PKEY_get_bits(g->ossl), (int)bits);
    assert_int_equal(sigil_crypto_sig_len(g->key), k);

    /* CKM_SHA256_RSA_PKCS: a DigestInfo. */
    tc_sha256_digest_info((const uint8_t *)"seal me", 7, block);
    sign_and_verify(g->key, g->ossl, &pkcs1, block, TC_SHA256_DIGEST_INFO_LEN);
    /* CKM_RSA_PKCS: any block up to k-11, including empty. */
    tc_random_bytes(block, sizeof block);
    sign_and_verify(g->key, g->ossl, &pkcs1, block, 1);
    sign_and_verify(g->key, g->ossl, &pkcs1, block, k - 11);
    sign_and_verify(g->key, g->ossl, &pkcs1, block, 0);

    /* PSS with each hash; salt 0, hash length and the largest that fits. */
    const sigil_hash_alg hashes[] = {SIGIL_HASH_SHA256, SIGIL_HASH_SHA384, SIGIL_HASH_SHA512};
    const size_t hlens[] = {32, 48, 64};
    for (size_t i = 0; i < 3; i++) {
        const uint32_t salts[] = {0, (uint32_t)hlens[i], (uint32_t)(k - hlens[i] - 2)};
        for (size_t j = 0; j < 3; j++) {
            const sigil_sig_params pss = {
                .scheme = SIGIL_SIG_RSA_PSS, .pss_hash = hashes[i], .pss_salt_len = salts[j]};
            tc_random_bytes(block, hlens[i]);
            sign_and_verify(g->key, g->ossl, &pss, block, hlens[i]);
        }
    }
}

static void test_keygen_kind(void **state)
{
    const gen_key *g = key_of(*(const sigil_key_kind *)*state);
    sigil_crypto_pub pub;

    assert_true(g->der_len > 0 && g->der_len <= SIGIL_CRYPTO_MAX_PRIV_DER);
    /* The loaded key reports the same public half as keygen did. */
    assert_int_equal(sigil_crypto_key_public(g->key, &pub), SIGIL_ST_OK);
    assert_int_equal(pub.a_len, g->pub.a_len);
    assert_memory_equal(pub.a, g->pub.a, pub.a_len);
    assert_int_equal(pub.b_len, g->pub.b_len);
    assert_memory_equal(pub.b, g->pub.b, pub.b_len);
    assert_int_equal(pub.bits, g->pub.bits);

    /* OpenSSL parses the private DER and finds the exported public key in it. */
    const unsigned char *p = g->der;
    EVP_PKEY *priv = d2i_AutoPrivateKey(NULL, &p, (long)g->der_len);
    assert_non_null(priv);
    assert_ptr_equal(p, g->der + g->der_len);
    assert_int_equal(EVP_PKEY_eq(priv, g->ossl), 1);
    EVP_PKEY_free(priv);

    /* The blob format both backends read and write: the traditional DER of the
     * key type (SEC1 ECPrivateKey with named curve and public point; PKCS#1
     * RSAPrivateKey), in the canonical encoding OpenSSL's i2d_PrivateKey
     * produces, byte for byte. */
    p = g->der;
    priv = d2i_PrivateKey(tc_kind_is_ec(g->kind) ? EVP_PKEY_EC : EVP_PKEY_RSA, NULL, &p,
                          (long)g->der_len);
    assert_non_null(priv);
    unsigned char *re = NULL;
    int re_len = i2d_PrivateKey(priv, &re);
    assert_int_equal(re_len, (int)g->der_len);
    assert_memory_equal(re, g->der, g->der_len);
    /* SEC1 version 1 + OCTET STRING; PKCS#1 version 0 + INTEGER (PKCS#8 would have a SEQUENCE). */
    const uint8_t *body = g->der + (g->der[1] & 0x80 ? 2 + (g->der[1] & 0x7f) : 2);
    if (tc_kind_is_ec(g->kind))
        assert_memory_equal(body, ((const uint8_t[]){0x02, 0x01, 0x01, 0x04}), 4);
    else
        assert_memory_equal(body, ((const uint8_t[]){0x02, 0x01, 0x00, 0x02}), 4);
    OPENSSL_clear_free(re, (size_t)re_len);
    EVP_PKEY_free(priv);

    if (tc_kind_is_ec(g->kind))
        check_ec(g);
    else
        check_rsa(g);
}

/* ---- key_load ---- */

static void test_key_load_round_trip(void **state)
{
    (void)state;
    const sigil_sig_params ecdsa = {.scheme = SIGIL_SIG_ECDSA};
    const sigil_sig_params pkcs1 = {.scheme = SIGIL_SIG_RSA_PKCS1};
    uint8_t digest[32];
    tc_random_bytes(digest, sizeof digest);
    for (size_t i = 0; i < KIND_COUNT; i++) {
        sigil_crypto_key *key = NULL;
        sigil_crypto_pub pub;
        assert_int_equal(sigil_crypto_key_load(keys[i].kind, keys[i].der, keys[i].der_len, &key),
                         SIGIL_ST_OK);
        assert_int_equal(sigil_crypto_key_public(key, &pub), SIGIL_ST_OK);
        assert_memory_equal(pub.a, keys[i].pub.a, pub.a_len);
        assert_memory_equal(pub.b, keys[i].pub.b, pub.b_len);
        sign_and_verify(key, keys[i].ossl, tc_kind_is_ec(keys[i].kind) ? &ecdsa : &pkcs1, digest,
                        sizeof digest);
        sigil_crypto_key_free(key);
    }
}

static void test_key_load_rejects(void **state)
{
    (void)state;
    const gen_key *p256 = key_of(SIGIL_KEY_KIND_EC_P256);
    const gen_key *p384 = key_of(SIGIL_KEY_KIND_EC_P384);
    const gen_key *r2048 = key_of(SIGIL_KEY_KIND_RSA_2048);
    sigil_crypto_key *key = (sigil_crypto_key *)&key; /* must be reset to NULL */
    uint8_t der[SIGIL_CRYPTO_MAX_PRIV_DER];

    /* A key of another kind is an integrity failure (the kind is stored beside the blob). */
    assert_int_equal(sigil_crypto_key_load(SIGIL_KEY_KIND_EC_P384, p256->der, p256->der_len, &key),
                     SIGIL_ST_INTEGRITY_FAILURE);
    assert_null(key);
    assert_int_equal(sigil_crypto_key_load(SIGIL_KEY_KIND_RSA_2048, p256->der, p256->der_len, &key),
                     SIGIL_ST_INTEGRITY_FAILURE);
    assert_int_equal(sigil_crypto_key_load(SIGIL_KEY_KIND_RSA_3072, r2048->der, r2048->der_len, &key),
                     SIGIL_ST_INTEGRITY_FAILURE);
    assert_int_equal(sigil_crypto_key_load(SIGIL_KEY_KIND_EC_P256, r2048->der, r2048->der_len, &key),
                     SIGIL_ST_INTEGRITY_FAILURE);
    /* Truncated and garbage DER. */
    assert_int_equal(sigil_crypto_key_load(SIGIL_KEY_KIND_EC_P256, p256->der, p256->der_len - 1, &key),
                     SIGIL_ST_INTEGRITY_FAILURE);
    tc_random_bytes(der, 200);
    assert_int_equal(sigil_crypto_key_load(SIGIL_KEY_KIND_EC_P256, der, 200, &key),
                     SIGIL_ST_INTEGRITY_FAILURE);
    /* SEC1 with the public point of another P-256 key: halves do not match. */
    uint8_t other_der[SIGIL_CRYPTO_MAX_PRIV_DER];
    size_t other_len = 0;
    sigil_crypto_pub other_pub;
    assert_int_equal(sigil_crypto_keygen(SIGIL_KEY_KIND_EC_P256, other_der, sizeof other_der,
                                         &other_len, &other_pub),
                     SIGIL_ST_OK);
    memcpy(der, p256->der, p256->der_len);
    assert_memory_equal(der + p256->der_len - 65, p256->pub.b, 65); /* point is last */
    memcpy(der + p256->der_len - 65, other_pub.b, 65);
    assert_int_equal(sigil_crypto_key_load(SIGIL_KEY_KIND_EC_P256, der, p256->der_len, &key),
                     SIGIL_ST_INTEGRITY_FAILURE);
    /* RSA with one modulus byte changed. */
    memcpy(der, r2048->der, r2048->der_len);
    uint8_t *n = memmem(der, r2048->der_len, r2048->pub.a, 16);
    assert_non_null(n);
    n[100] ^= 0x01;
    assert_int_equal(sigil_crypto_key_load(SIGIL_KEY_KIND_RSA_2048, der, r2048->der_len, &key),
                     SIGIL_ST_INTEGRITY_FAILURE);
    /* Arguments. */
    assert_int_equal(sigil_crypto_key_load((sigil_key_kind)9, p384->der, p384->der_len, &key),
                     SIGIL_ST_KEY_SIZE_RANGE);
    assert_int_equal(sigil_crypto_key_load(SIGIL_KEY_KIND_EC_P256, NULL, 10, &key),
                     SIGIL_ST_BAD_ARGUMENT);
    assert_int_equal(sigil_crypto_key_load(SIGIL_KEY_KIND_EC_P256, p256->der, p256->der_len, NULL),
                     SIGIL_ST_BAD_ARGUMENT);
    assert_null(key);
    sigil_crypto_key_free(NULL);
}

/* Keys that OpenSSL generated load and sign (restore from a libcrypto-backed appliance). */
static void test_key_load_openssl_keys(void **state)
{
    (void)state;
    const struct {
        sigil_key_kind kind;
        const char *alg;
        const char *param;
    } cases[] = {
        {SIGIL_KEY_KIND_EC_P256, "EC", "P-256"},
        {SIGIL_KEY_KIND_EC_P384, "EC", "P-384"},
        {SIGIL_KEY_KIND_RSA_2048, "RSA", NULL},
    };
    uint8_t digest[48];
    tc_random_bytes(digest, sizeof digest);
    for (size_t i = 0; i < 3; i++) {
        EVP_PKEY *pk = cases[i].param ? EVP_PKEY_Q_keygen(NULL, NULL, cases[i].alg, cases[i].param)
                                      : EVP_PKEY_Q_keygen(NULL, NULL, cases[i].alg, (size_t)2048);
        assert_non_null(pk);
        unsigned char *der = NULL;
        int der_len = i2d_PrivateKey(pk, &der); /* SEC1 / PKCS#1 */
        assert_true(der_len > 0);
        sigil_crypto_key *key = NULL;
        assert_int_equal(sigil_crypto_key_load(cases[i].kind, der, (size_t)der_len, &key),
                         SIGIL_ST_OK);
        const sigil_sig_params params = {
            .scheme = cases[i].param ? SIGIL_SIG_ECDSA : SIGIL_SIG_RSA_PSS,
            .pss_hash = SIGIL_HASH_SHA384, .pss_salt_len = 48};
        sign_and_verify(key, pk, &params, digest, sizeof digest);
        sigil_crypto_key_free(key);
        OPENSSL_clear_free(der, (size_t)der_len);
        EVP_PKEY_free(pk);
    }
}

/* ---- keygen errors ---- */

static void test_keygen_errors(void **state)
{
    (void)state;
    uint8_t der[SIGIL_CRYPTO_MAX_PRIV_DER];
    size_t der_len = 99;
    sigil_crypto_pub pub;

    assert_int_equal(sigil_crypto_keygen((sigil_key_kind)0, der, sizeof der, &der_len, &pub),
                     SIGIL_ST_KEY_SIZE_RANGE);
    assert_int_equal(der_len, 0);
    assert_int_equal(sigil_crypto_keygen((sigil_key_kind)6, der, sizeof der, &der_len, &pub),
                     SIGIL_ST_KEY_SIZE_RANGE);
    /* Too small a buffer: refused and wiped. */
    memset(der, 0xAA, sizeof der);
    memset(&pub, 0xAA, sizeof pub);
    assert_int_equal(sigil_crypto_keygen(SIGIL_KEY_KIND_EC_P256, der, 40, &der_len, &pub),
                     SIGIL_ST_BAD_ARGUMENT);
    assert_int_equal(der_len, 0);
    assert_true(all_zero(der, 40));
    assert_true(all_zero((const uint8_t *)&pub, sizeof pub));
    assert_int_equal(sigil_crypto_keygen(SIGIL_KEY_KIND_EC_P256, NULL, 0, &der_len, &pub),
                     SIGIL_ST_BAD_ARGUMENT);
    assert_int_equal(sigil_crypto_keygen(SIGIL_KEY_KIND_EC_P256, der, sizeof der, &der_len, NULL),
                     SIGIL_ST_BAD_ARGUMENT);
    /* Two keys of a kind differ. */
    assert_int_equal(sigil_crypto_keygen(SIGIL_KEY_KIND_EC_P256, der, sizeof der, &der_len, &pub),
                     SIGIL_ST_OK);
    assert_memory_not_equal(pub.b, key_of(SIGIL_KEY_KIND_EC_P256)->pub.b, pub.b_len);
}

/* ---- sign errors ---- */

/* Expects st with the signature buffer wiped and *sig_len zero. */
static void expect_sign_error(sigil_crypto_key *key, const sigil_sig_params *params,
                              const uint8_t *in, size_t in_len, size_t sig_cap, sigil_status want)
{
    uint8_t sig[SIGIL_CRYPTO_MAX_SIG];
    size_t sig_len = 12345;
    memset(sig, 0xAA, sizeof sig);
    assert_int_equal(sigil_crypto_sign(key, params, in, in_len, sig, sig_cap, &sig_len), want);
    assert_int_equal(sig_len, 0);
    assert_true(all_zero(sig, sig_cap));
}

static void test_sign_errors(void **state)
{
    (void)state;
    sigil_crypto_key *ec = key_of(SIGIL_KEY_KIND_EC_P256)->key;
    sigil_crypto_key *rsa = key_of(SIGIL_KEY_KIND_RSA_2048)->key;
    const size_t k = 256;
    const sigil_sig_params ecdsa = {.scheme = SIGIL_SIG_ECDSA};
    const sigil_sig_params pkcs1 = {.scheme = SIGIL_SIG_RSA_PKCS1};
    const sigil_sig_params pss = {
        .scheme = SIGIL_SIG_RSA_PSS, .pss_hash = SIGIL_HASH_SHA256, .pss_salt_len = 32};
    const sigil_sig_params unknown = {.scheme = (sigil_sig_scheme)77};
    uint8_t in[SIGIL_CRYPTO_MAX_SIG];
    tc_random_bytes(in, sizeof in);

    /* A scheme of the other key family: KEY_TYPE_INCONSISTENT; an unknown one: MECHANISM_INVALID. */
    expect_sign_error(ec, &pkcs1, in, 32, SIGIL_CRYPTO_MAX_SIG, SIGIL_ST_KEY_TYPE_INCONSISTENT);
    expect_sign_error(ec, &pss, in, 32, SIGIL_CRYPTO_MAX_SIG, SIGIL_ST_KEY_TYPE_INCONSISTENT);
    expect_sign_error(rsa, &ecdsa, in, 32, SIGIL_CRYPTO_MAX_SIG, SIGIL_ST_KEY_TYPE_INCONSISTENT);
    expect_sign_error(rsa, &unknown, in, 32, SIGIL_CRYPTO_MAX_SIG, SIGIL_ST_MECHANISM_INVALID);
    expect_sign_error(ec, &unknown, in, 32, SIGIL_CRYPTO_MAX_SIG, SIGIL_ST_MECHANISM_INVALID);

    /* Input length. */
    expect_sign_error(rsa, &pkcs1, in, k - 10, SIGIL_CRYPTO_MAX_SIG, SIGIL_ST_DATA_LEN_RANGE);
    expect_sign_error(rsa, &pss, in, 31, SIGIL_CRYPTO_MAX_SIG, SIGIL_ST_DATA_LEN_RANGE);
    expect_sign_error(rsa, &pss, in, 33, SIGIL_CRYPTO_MAX_SIG, SIGIL_ST_DATA_LEN_RANGE);
    expect_sign_error(ec, &ecdsa, in, 0, SIGIL_CRYPTO_MAX_SIG, SIGIL_ST_DATA_LEN_RANGE);

    /* PSS parameters: salt one byte too long, no hash, unknown hash. */
    sigil_sig_params bad = pss;
    bad.pss_salt_len = (uint32_t)(k - 32 - 1);
    expect_sign_error(rsa, &bad, in, 32, SIGIL_CRYPTO_MAX_SIG, SIGIL_ST_MECHANISM_PARAM_INVALID);
    bad.pss_salt_len = UINT32_MAX;
    expect_sign_error(rsa, &bad, in, 32, SIGIL_CRYPTO_MAX_SIG, SIGIL_ST_MECHANISM_PARAM_INVALID);
    bad = pss;
    bad.pss_hash = SIGIL_HASH_NONE;
    expect_sign_error(rsa, &bad, in, 32, SIGIL_CRYPTO_MAX_SIG, SIGIL_ST_MECHANISM_PARAM_INVALID);
    bad.pss_hash = (sigil_hash_alg)9;
    expect_sign_error(rsa, &bad, in, 32, SIGIL_CRYPTO_MAX_SIG, SIGIL_ST_MECHANISM_PARAM_INVALID);

    /* Signature buffer one byte short: BAD_ARGUMENT. */
    expect_sign_error(rsa, &pkcs1, in, 32, k - 1, SIGIL_ST_BAD_ARGUMENT);
    expect_sign_error(ec, &ecdsa, in, 32, 63, SIGIL_ST_BAD_ARGUMENT);

    /* NULL pointers. */
    size_t sig_len;
    uint8_t sig[SIGIL_CRYPTO_MAX_SIG];
    assert_int_equal(sigil_crypto_sign(NULL, &ecdsa, in, 32, sig, sizeof sig, &sig_len),
                     SIGIL_ST_BAD_ARGUMENT);
    assert_int_equal(sigil_crypto_sign(ec, NULL, in, 32, sig, sizeof sig, &sig_len),
                     SIGIL_ST_BAD_ARGUMENT);
    assert_int_equal(sigil_crypto_sign(ec, &ecdsa, NULL, 32, sig, sizeof sig, &sig_len),
                     SIGIL_ST_BAD_ARGUMENT);
    assert_int_equal(sigil_crypto_sign(ec, &ecdsa, in, 32, NULL, 64, &sig_len),
                     SIGIL_ST_BAD_ARGUMENT);
    assert_int_equal(sigil_crypto_sign(ec, &ecdsa, in, 32, sig, sizeof sig, NULL),
                     SIGIL_ST_BAD_ARGUMENT);
    assert_int_equal(sigil_crypto_sig_len(NULL), 0);
    sigil_crypto_pub pub;
    assert_int_equal(sigil_crypto_key_public(NULL, &pub), SIGIL_ST_BAD_ARGUMENT);

    /* The boundaries themselves are accepted. */
    sign_and_verify(rsa, key_of(SIGIL_KEY_KIND_RSA_2048)->ossl, &pkcs1, in, k - 11);
    bad = pss;
    bad.pss_salt_len = (uint32_t)(k - 32 - 2);
    sign_and_verify(rsa, key_of(SIGIL_KEY_KIND_RSA_2048)->ossl, &bad, in, 32);
}

/* ECDSA nonces and PSS salts are fresh per signature, also when a backend
 * reuses its signing contexts: two signatures of one input differ (a repeated
 * ECDSA nonce would give the private key away). */
static void test_signatures_randomised(void **state)
{
    (void)state;
    const gen_key *ec = key_of(SIGIL_KEY_KIND_EC_P256);
    const gen_key *rsa = key_of(SIGIL_KEY_KIND_RSA_2048);
    const sigil_sig_params ecdsa = {.scheme = SIGIL_SIG_ECDSA};
    const sigil_sig_params pss = {
        .scheme = SIGIL_SIG_RSA_PSS, .pss_hash = SIGIL_HASH_SHA256, .pss_salt_len = 32};
    const sigil_sig_params pkcs1 = {.scheme = SIGIL_SIG_RSA_PKCS1};
    uint8_t digest[32], a[SIGIL_CRYPTO_MAX_SIG], b[SIGIL_CRYPTO_MAX_SIG];
    size_t a_len = 0, b_len = 0;
    tc_random_bytes(digest, sizeof digest);

    for (int i = 0; i < 3; i++) {
        assert_int_equal(sigil_crypto_sign(ec->key, &ecdsa, digest, 32, a, sizeof a, &a_len),
                         SIGIL_ST_OK);
        assert_int_equal(sigil_crypto_sign(ec->key, &ecdsa, digest, 32, b, sizeof b, &b_len),
                         SIGIL_ST_OK);
        assert_memory_not_equal(a, b, 32); /* r differs: the nonce differs */
        assert_memory_not_equal(a + 32, b + 32, 32);
        assert_int_equal(sigil_crypto_sign(rsa->key, &pss, digest, 32, a, sizeof a, &a_len),
                         SIGIL_ST_OK);
        assert_int_equal(sigil_crypto_sign(rsa->key, &pss, digest, 32, b, sizeof b, &b_len),
                         SIGIL_ST_OK);
        assert_memory_not_equal(a, b, a_len);
    }
    /* PKCS#1 v1.5 is deterministic (blinding must not show in the result). */
    assert_int_equal(sigil_crypto_sign(rsa->key, &pkcs1, digest, 32, a, sizeof a, &a_len),
                     SIGIL_ST_OK);
    assert_int_equal(sigil_crypto_sign(rsa->key, &pkcs1, digest, 32, b, sizeof b, &b_len),
                     SIGIL_ST_OK);
    assert_memory_equal(a, b, a_len);
}

/* ---- concurrency ---- */

#define THREADS 4
#define MANY_THREADS 12
#define ROUNDS 50

static atomic_uint thread_failures;
static atomic_uint thread_rounds;

static void *signer(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    const gen_key *ec = key_of(SIGIL_KEY_KIND_EC_P256);
    const gen_key *rsa = key_of(SIGIL_KEY_KIND_RSA_2048);
    const sigil_sig_params ecdsa = {.scheme = SIGIL_SIG_ECDSA};
    const sigil_sig_params pkcs1 = {.scheme = SIGIL_SIG_RSA_PKCS1};
    const sigil_sig_params pss = {
        .scheme = SIGIL_SIG_RSA_PSS, .pss_hash = SIGIL_HASH_SHA256, .pss_salt_len = 32};
    uint8_t msg[16], block[TC_SHA256_DIGEST_INFO_LEN], sig[SIGIL_CRYPTO_MAX_SIG];
    size_t sig_len;

    unsigned rounds = atomic_load(&thread_rounds);
    for (unsigned r = 0; r < rounds; r++) {
        memcpy(msg, &id, sizeof id);
        memcpy(msg + 4, &r, sizeof r);
        tc_random_bytes(msg + 8, 8);
        tc_sha256_digest_info(msg, sizeof msg, block);
        const uint8_t *digest = block + TC_SHA256_DIGEST_INFO_LEN - 32;

        if (sigil_crypto_sign(ec->key, &ecdsa, digest, 32, sig, sizeof sig, &sig_len) !=
                SIGIL_ST_OK ||
            !tc_openssl_verify(ec->ossl, &ecdsa, digest, 32, sig, sig_len))
            atomic_fetch_add(&thread_failures, 1);
        const sigil_sig_params *rp = (r % 2) ? &pss : &pkcs1;
        const uint8_t *rin = (r % 2) ? digest : block;
        size_t rlen = (r % 2) ? 32 : sizeof block;
        if (sigil_crypto_sign(rsa->key, rp, rin, rlen, sig, sizeof sig, &sig_len) != SIGIL_ST_OK ||
            !tc_openssl_verify(rsa->ossl, rp, rin, rlen, sig, sig_len))
            atomic_fetch_add(&thread_failures, 1);
    }
    return NULL;
}

static void run_signers(unsigned threads, unsigned rounds)
{
    pthread_t t[MANY_THREADS];
    assert_true(threads <= MANY_THREADS);
    atomic_store(&thread_failures, 0);
    atomic_store(&thread_rounds, rounds);
    for (uintptr_t i = 0; i < threads; i++)
        assert_int_equal(pthread_create(&t[i], NULL, signer, (void *)i), 0);
    for (size_t i = 0; i < threads; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(atomic_load(&thread_failures), 0);
}

static void test_concurrent_signing(void **state)
{
    (void)state;
    run_signers(THREADS, ROUNDS);
}

/* More threads than the OpenSSL backend keeps signing contexts per key: the
 * overflow path (contexts made and freed per call) runs concurrently too. */
static void test_concurrent_signing_many_threads(void **state)
{
    (void)state;
    run_signers(MANY_THREADS, ROUNDS / 5);
}

#if defined(SIGIL_TEST_BACKEND_OPENSSL)
/* Sequential signatures reuse one pooled context per key and mode; with the
 * pool off, every signature builds its own. Both give valid signatures. */
static void test_openssl_ctx_pool(void **state)
{
    (void)state;
    const gen_key *ec = key_of(SIGIL_KEY_KIND_EC_P384);
    const gen_key *rsa = key_of(SIGIL_KEY_KIND_RSA_3072);
    const sigil_sig_params ecdsa = {.scheme = SIGIL_SIG_ECDSA};
    const sigil_sig_params pss = {
        .scheme = SIGIL_SIG_RSA_PSS, .pss_hash = SIGIL_HASH_SHA512, .pss_salt_len = 20};
    uint8_t digest[64];
    tc_random_bytes(digest, sizeof digest);

    sign_and_verify(ec->key, ec->ossl, &ecdsa, digest, 48); /* fills the pool */
    sign_and_verify(rsa->key, rsa->ossl, &pss, digest, 64);
    unsigned long before = sigil_ossl_test_pool_created();
    for (int i = 0; i < 20; i++) {
        sign_and_verify(ec->key, ec->ossl, &ecdsa, digest, 48);
        sign_and_verify(rsa->key, rsa->ossl, &pss, digest, 64);
    }
    assert_int_equal(sigil_ossl_test_pool_created(), before);

    sigil_ossl_test_set_ctx_pool(false);
    before = sigil_ossl_test_pool_created();
    for (int i = 0; i < 5; i++)
        sign_and_verify(ec->key, ec->ossl, &ecdsa, digest, 48);
    sigil_ossl_test_set_ctx_pool(true);
    assert_int_equal(sigil_ossl_test_pool_created(), before + 5);
}
#endif

int main(void)
{
    static const sigil_key_kind kind_p256 = SIGIL_KEY_KIND_EC_P256, kind_p384 = SIGIL_KEY_KIND_EC_P384,
                                kind_2048 = SIGIL_KEY_KIND_RSA_2048, kind_3072 = SIGIL_KEY_KIND_RSA_3072,
                                kind_4096 = SIGIL_KEY_KIND_RSA_4096;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_keygen_kind, (void *)&kind_p256),
        cmocka_unit_test_prestate(test_keygen_kind, (void *)&kind_p384),
        cmocka_unit_test_prestate(test_keygen_kind, (void *)&kind_2048),
        cmocka_unit_test_prestate(test_keygen_kind, (void *)&kind_3072),
        cmocka_unit_test_prestate(test_keygen_kind, (void *)&kind_4096),
        cmocka_unit_test(test_key_load_round_trip),
        cmocka_unit_test(test_key_load_rejects),
        cmocka_unit_test(test_key_load_openssl_keys),
        cmocka_unit_test(test_keygen_errors),
        cmocka_unit_test(test_sign_errors),
        cmocka_unit_test(test_signatures_randomised),
        cmocka_unit_test(test_concurrent_signing),
        cmocka_unit_test(test_concurrent_signing_many_threads),
#if defined(SIGIL_TEST_BACKEND_OPENSSL)
        cmocka_unit_test(test_openssl_ctx_pool),
#endif
    };
    return cmocka_run_group_tests_name("crypto keys and signatures (" TC_BACKEND " backend)",
                                       tests, group_setup, group_teardown);
}
