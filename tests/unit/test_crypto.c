/* test_crypto.c — a crypto backend (built once per backend, see crypto.cmake):
 * life cycle, DRBG, self-test, hashes, KDFs, AES-GCM.
 * Known answers come from the RFCs; random inputs are cross-checked against OpenSSL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include "crypto.h"
#include "crypto_testhooks.h"
#include "test_crypto_util.h"

static tc_entropy_stats entropy_stats;

static int group_setup(void **state)
{
    (void)state;
    return sigil_crypto_init(tc_entropy_getrandom, &entropy_stats) == SIGIL_ST_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
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

/* ---- life cycle and DRBG ---- */

static void test_backend_name(void **state)
{
    (void)state;
    const char *name = sigil_crypto_backend_name();
    assert_non_null(name);
    assert_int_equal(strncmp(name, TC_BACKEND_NAME_PREFIX, strlen(TC_BACKEND_NAME_PREFIX)), 0);
}

static void test_init_seeds_from_entropy(void **state)
{
    (void)state;
    /* CTR_DRBG-AES-256 needs at least 256 bits of entropy at instantiation. */
    assert_true(entropy_stats.calls >= 1);
    assert_true(entropy_stats.bytes >= 32);
}

static void test_init_twice_refused(void **state)
{
    (void)state;
    uint8_t buf[16];
    assert_int_equal(sigil_crypto_init(tc_entropy_getrandom, NULL), SIGIL_ST_BAD_ARGUMENT);
    /* The running instance is untouched. */
    assert_int_equal(sigil_crypto_random(buf, sizeof buf), SIGIL_ST_OK);
    assert_int_equal(sigil_crypto_init(NULL, NULL), SIGIL_ST_BAD_ARGUMENT);
}

static void test_init_failing_entropy(void **state)
{
    (void)state;
    uint8_t buf[16];
    sigil_crypto_shutdown();
    assert_int_equal(sigil_crypto_random(buf, sizeof buf), SIGIL_ST_GENERAL_ERROR);
    assert_int_equal(sigil_crypto_self_test(), SIGIL_ST_SELF_TEST_FAILED);

    assert_int_equal(sigil_crypto_init(tc_entropy_failing, NULL), SIGIL_ST_CRYPTO_FAILURE);
    memset(buf, 0xAA, sizeof buf);
    assert_int_equal(sigil_crypto_random(buf, sizeof buf), SIGIL_ST_GENERAL_ERROR);
    assert_true(all_zero(buf, sizeof buf)); /* output wiped on failure */

    /* A failed init leaves the backend ready for a good one. */
    assert_int_equal(sigil_crypto_init(tc_entropy_getrandom, NULL), SIGIL_ST_OK);
    assert_int_equal(sigil_crypto_random(buf, sizeof buf), SIGIL_ST_OK);
}

static void test_reinit_reseeds_from_platform(void **state)
{
    (void)state;
    static tc_entropy_stats again; /* the backend keeps the pointer for its reseeds */
    uint8_t a[32], b[32];
    assert_int_equal(sigil_crypto_random(a, sizeof a), SIGIL_ST_OK);
    sigil_crypto_shutdown();
    /* No random service between shutdown and init. */
    memset(b, 0xAA, sizeof b);
    assert_int_equal(sigil_crypto_random(b, sizeof b), SIGIL_ST_GENERAL_ERROR);
    assert_true(all_zero(b, sizeof b));
    uint8_t der[64];
    size_t der_len = 1;
    sigil_crypto_pub pub;
    assert_int_equal(sigil_crypto_keygen(SIGIL_KEY_KIND_EC_P256, der, sizeof der, &der_len, &pub),
                     SIGIL_ST_GENERAL_ERROR);
    /* A new init draws on its own entropy function straight away. */
    assert_int_equal(sigil_crypto_init(tc_entropy_getrandom, &again), SIGIL_ST_OK);
    assert_true(again.calls >= 1);
    assert_true(again.bytes >= 32);
    assert_int_equal(sigil_crypto_random(b, sizeof b), SIGIL_ST_OK);
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(sigil_crypto_self_test(), SIGIL_ST_OK);
}

static void test_random(void **state)
{
    (void)state;
    /* Larger than one CTR_DRBG request (1024 bytes): the backend must chunk. */
    static uint8_t a[3000], b[3000];
    assert_int_equal(sigil_crypto_random(a, sizeof a), SIGIL_ST_OK);
    assert_int_equal(sigil_crypto_random(b, sizeof b), SIGIL_ST_OK);
    assert_memory_not_equal(a, b, sizeof a);
    assert_false(all_zero(a + 2048, 952)); /* the tail was written too */
    assert_int_equal(sigil_crypto_random(NULL, 0), SIGIL_ST_OK);
    assert_int_equal(sigil_crypto_random(NULL, 1), SIGIL_ST_BAD_ARGUMENT);
}

/* ---- self-test ---- */

static void test_self_test_passes(void **state)
{
    (void)state;
    assert_int_equal(sigil_crypto_self_test(), SIGIL_ST_OK);
}

static void test_self_test_detects_each_kat(void **state)
{
    (void)state;
    for (unsigned id = 1; id <= SIGIL_CRYPTO_KAT_COUNT; id++) {
        sigil_crypto_test_corrupt_kat(id);
        sigil_status st = sigil_crypto_self_test();
        sigil_crypto_test_corrupt_kat(0);
        if (st != SIGIL_ST_SELF_TEST_FAILED)
            fail_msg("self-test missed a corrupted result of KAT %u", id);
    }
    assert_int_equal(sigil_crypto_self_test(), SIGIL_ST_OK);
}

/* ---- SHA-256 ---- */

static void test_sha256_kat(void **state)
{
    (void)state;
    static const uint8_t empty[32] = {
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
        0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
    };
    static const uint8_t abc[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
        0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
    };
    uint8_t out[32];
    assert_int_equal(sigil_crypto_sha256(NULL, 0, out), SIGIL_ST_OK);
    assert_memory_equal(out, empty, 32);
    assert_int_equal(sigil_crypto_sha256((const uint8_t *)"abc", 3, out), SIGIL_ST_OK);
    assert_memory_equal(out, abc, 32);
    assert_int_equal(sigil_crypto_sha256(NULL, 1, out), SIGIL_ST_BAD_ARGUMENT);
    assert_int_equal(sigil_crypto_sha256(abc, 1, NULL), SIGIL_ST_BAD_ARGUMENT);
}

static void test_sha256_vs_openssl(void **state)
{
    (void)state;
    static uint8_t msg[300];
    uint8_t ours[32], theirs[32];
    tc_random_bytes(msg, sizeof msg);
    for (size_t len = 0; len <= sizeof msg; len += 7) {
        assert_int_equal(sigil_crypto_sha256(msg, len, ours), SIGIL_ST_OK);
        SHA256(msg, len, theirs);
        assert_memory_equal(ours, theirs, 32);
    }
}

/* ---- HKDF ---- */

static void test_hkdf_rfc5869(void **state)
{
    (void)state;
    static const uint8_t okm1[42] = {
        0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a, 0x90, 0x43, 0x4f, 0x64, 0xd0, 0x36,
        0x2f, 0x2a, 0x2d, 0x2d, 0x0a, 0x90, 0xcf, 0x1a, 0x5a, 0x4c, 0x5d, 0xb0, 0x2d, 0x56,
        0xec, 0xc4, 0xc5, 0xbf, 0x34, 0x00, 0x72, 0x08, 0xd5, 0xb8, 0x87, 0x18, 0x58, 0x65,
    };
    static const uint8_t okm3[42] = { /* test case 3: no salt, no info */
        0x8d, 0xa4, 0xe7, 0x75, 0xa5, 0x63, 0xc1, 0x8f, 0x71, 0x5f, 0x80, 0x2a, 0x06, 0x3c,
        0x5a, 0x31, 0xb8, 0xa1, 0x1f, 0x5c, 0x5e, 0xe1, 0x87, 0x9e, 0xc3, 0x45, 0x4e, 0x5f,
        0x3c, 0x73, 0x8d, 0x2d, 0x9d, 0x20, 0x13, 0x95, 0xfa, 0xa4, 0xb6, 0x1a, 0x96, 0xc8,
    };
    uint8_t ikm[22], salt[13], info[10], out[42];
    memset(ikm, 0x0b, sizeof ikm);
    for (size_t i = 0; i < sizeof salt; i++)
        salt[i] = (uint8_t)i;
    for (size_t i = 0; i < sizeof info; i++)
        info[i] = (uint8_t)(0xf0 + i);
    assert_int_equal(sigil_crypto_hkdf_sha256(salt, sizeof salt, ikm, sizeof ikm, info,
                                              sizeof info, out, sizeof out),
                     SIGIL_ST_OK);
    assert_memory_equal(out, okm1, sizeof out);
    assert_int_equal(sigil_crypto_hkdf_sha256(NULL, 0, ikm, sizeof ikm, NULL, 0, out, sizeof out),
                     SIGIL_ST_OK);
    assert_memory_equal(out, okm3, sizeof out);
}

static void openssl_hkdf(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                         const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len),
        OSSL_PARAM_construct_end(),
    };
    assert_non_null(ctx);
    assert_int_equal(EVP_KDF_derive(ctx, out, out_len, p), 1);
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
}

static void test_hkdf_vs_openssl_and_limits(void **state)
{
    (void)state;
    uint8_t salt[32], ikm[48], info[20];
    static uint8_t ours[255 * 32 + 1], theirs[255 * 32];
    tc_random_bytes(salt, sizeof salt);
    tc_random_bytes(ikm, sizeof ikm);
    tc_random_bytes(info, sizeof info);
    const size_t lens[] = {1, 31, 32, 33, 64, 100, 255 * 32};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        assert_int_equal(sigil_crypto_hkdf_sha256(salt, sizeof salt, ikm, sizeof ikm, info,
                                                  sizeof info, ours, lens[i]),
                         SIGIL_ST_OK);
        openssl_hkdf(salt, sizeof salt, ikm, sizeof ikm, info, sizeof info, theirs, lens[i]);
        assert_memory_equal(ours, theirs, lens[i]);
    }
    assert_int_equal(sigil_crypto_hkdf_sha256(salt, sizeof salt, ikm, sizeof ikm, info,
                                              sizeof info, ours, 255 * 32 + 1),
                     SIGIL_ST_BAD_ARGUMENT);
    assert_true(all_zero(ours, 255 * 32 + 1)); /* wiped on failure */
    assert_int_equal(sigil_crypto_hkdf_sha256(salt, sizeof salt, ikm, sizeof ikm, info,
                                              sizeof info, ours, 0),
                     SIGIL_ST_BAD_ARGUMENT);
    assert_int_equal(sigil_crypto_hkdf_sha256(NULL, 1, ikm, sizeof ikm, NULL, 0, ours, 32),
                     SIGIL_ST_BAD_ARGUMENT);
}

/* ---- PBKDF2 ---- */

static void test_pbkdf2_kat(void **state)
{
    (void)state;
    static const uint8_t rfc7914[64] = {
        0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f, 0xec, 0x16, 0x91, 0xc2, 0x25, 0x44, 0xb6, 0x05,
        0xf9, 0x41, 0x85, 0x21, 0x6d, 0xde, 0x04, 0x65, 0xe6, 0x8b, 0x9d, 0x57, 0xc2, 0x0d, 0xac, 0xbc,
        0x49, 0xca, 0x9c, 0xcc, 0xf1, 0x79, 0xb6, 0x45, 0x99, 0x16, 0x64, 0xb3, 0x9d, 0x77, 0xef, 0x31,
        0x7c, 0x71, 0xb8, 0x45, 0xb1, 0xe3, 0x0b, 0xd5, 0x09, 0x11, 0x20, 0x41, 0xd3, 0xa1, 0x97, 0x83,
    };
    uint8_t out[64];
    assert_int_equal(sigil_crypto_pbkdf2_sha256((const uint8_t *)"passwd", 6,
                                                (const uint8_t *)"salt", 4, 1, out, sizeof out),
                     SIGIL_ST_OK);
    assert_memory_equal(out, rfc7914, sizeof out);
    memset(out, 0xAA, sizeof out);
    assert_int_equal(sigil_crypto_pbkdf2_sha256((const uint8_t *)"passwd", 6,
                                                (const uint8_t *)"salt", 4, 0, out, sizeof out),
                     SIGIL_ST_BAD_ARGUMENT);
    assert_true(all_zero(out, sizeof out));
    assert_int_equal(sigil_crypto_pbkdf2_sha256((const uint8_t *)"passwd", 6,
                                                (const uint8_t *)"salt", 4, 1, out, 0),
                     SIGIL_ST_BAD_ARGUMENT);
}

static void test_pbkdf2_vs_openssl(void **state)
{
    (void)state;
    uint8_t pw[17], salt[16], ours[80], theirs[80];
    tc_random_bytes(pw, sizeof pw);
    tc_random_bytes(salt, sizeof salt);
    const uint32_t iters[] = {1, 2, 1000};
    const size_t lens[] = {16, 32, 33, 80};
    for (size_t i = 0; i < 3; i++) {
        for (size_t j = 0; j < 4; j++) {
            assert_int_equal(sigil_crypto_pbkdf2_sha256(pw, sizeof pw, salt, sizeof salt,
                                                        iters[i], ours, lens[j]),
                             SIGIL_ST_OK);
            assert_int_equal(PKCS5_PBKDF2_HMAC((const char *)pw, (int)sizeof pw, salt,
                                               (int)sizeof salt, (int)iters[i], EVP_sha256(),
                                               (int)lens[j], theirs),
                             1);
            assert_memory_equal(ours, theirs, lens[j]);
        }
    }
    /* Empty password and salt are legal inputs. */
    assert_int_equal(sigil_crypto_pbkdf2_sha256(NULL, 0, NULL, 0, 1, ours, 32), SIGIL_ST_OK);
    assert_int_equal(PKCS5_PBKDF2_HMAC("", 0, NULL, 0, 1, EVP_sha256(), 32, theirs), 1);
    assert_memory_equal(ours, theirs, 32);
}

/* ---- AES-256-GCM ---- */

/* McGrew-Viega test case 16. */
static const uint8_t gcm_key[32] = {
    0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
    0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
};
static const uint8_t gcm_iv[12] = {0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88};
static const uint8_t gcm_aad[20] = {0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed,
                                    0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xab, 0xad, 0xda, 0xd2};
static const uint8_t gcm_pt[60] = {
    0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26,
    0x9a, 0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda, 0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31,
    0x8a, 0x72, 0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49,
    0xa6, 0xb5, 0x25, 0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39,
};
static const uint8_t gcm_ct[60] = {
    0x52, 0x2d, 0xc1, 0xf0, 0x99, 0x56, 0x7d, 0x07, 0xf4, 0x7f, 0x37, 0xa3, 0x2a, 0x84, 0x42,
    0x7d, 0x64, 0x3a, 0x8c, 0xdc, 0xbf, 0xe5, 0xc0, 0xc9, 0x75, 0x98, 0xa2, 0xbd, 0x25, 0x55,
    0xd1, 0xaa, 0x8c, 0xb0, 0x8e, 0x48, 0x59, 0x0d, 0xbb, 0x3d, 0xa7, 0xb0, 0x8b, 0x10, 0x56,
    0x82, 0x88, 0x38, 0xc5, 0xf6, 0x1e, 0x63, 0x93, 0xba, 0x7a, 0x0a, 0xbc, 0xc9, 0xf6, 0x62,
};
static const uint8_t gcm_tag[16] = {0x76, 0xfc, 0x6e, 0xce, 0x0f, 0x4e, 0x17, 0x68,
                                    0xcd, 0xdf, 0x88, 0x53, 0xbb, 0x2d, 0x55, 0x1b};

static void test_aead_kat(void **state)
{
    (void)state;
    uint8_t ct[60], pt[60], tag[16];
    assert_int_equal(sigil_crypto_aead_seal(gcm_key, gcm_iv, gcm_aad, sizeof gcm_aad, gcm_pt,
                                            sizeof gcm_pt, ct, tag),
                     SIGIL_ST_OK);
    assert_memory_equal(ct, gcm_ct, sizeof ct);
    assert_memory_equal(tag, gcm_tag, sizeof tag);
    assert_int_equal(sigil_crypto_aead_open(gcm_key, gcm_iv, gcm_aad, sizeof gcm_aad, gcm_ct,
                                            sizeof gcm_ct, gcm_tag, pt),
                     SIGIL_ST_OK);
    assert_memory_equal(pt, gcm_pt, sizeof pt);
}

/* Opens and expects INTEGRITY_FAILURE with the plaintext buffer wiped. */
static void expect_integrity_failure(const uint8_t *key, const uint8_t *iv, const uint8_t *aad,
                                     size_t aad_len, const uint8_t *ct, size_t ct_len,
                                     const uint8_t *tag)
{
    uint8_t pt[64];
    memset(pt, 0xAA, sizeof pt);
    assert_int_equal(sigil_crypto_aead_open(key, iv, aad, aad_len, ct, ct_len, tag, pt),
                     SIGIL_ST_INTEGRITY_FAILURE);
    assert_true(all_zero(pt, ct_len));
}

static void test_aead_tamper(void **state)
{
    (void)state;
    uint8_t ct[60], tag[16], aad[20], iv[12], key[32];
    for (size_t i = 0; i < sizeof ct; i += 13) { /* ciphertext */
        memcpy(ct, gcm_ct, sizeof ct);
        ct[i] ^= 0x01;
        expect_integrity_failure(gcm_key, gcm_iv, gcm_aad, sizeof gcm_aad, ct, sizeof ct, gcm_tag);
    }
    for (size_t i = 0; i < sizeof tag; i++) { /* every byte of the tag */
        memcpy(tag, gcm_tag, sizeof tag);
        tag[i] ^= 0x80;
        expect_integrity_failure(gcm_key, gcm_iv, gcm_aad, sizeof gcm_aad, gcm_ct, sizeof gcm_ct, tag);
    }
    for (size_t i = 0; i < sizeof aad; i += 5) { /* associated data */
        memcpy(aad, gcm_aad, sizeof aad);
        aad[i] ^= 0x40;
        expect_integrity_failure(gcm_key, gcm_iv, aad, sizeof aad, gcm_ct, sizeof gcm_ct, gcm_tag);
    }
    /* AAD dropped or shortened, ciphertext truncated, IV or key changed. */
    expect_integrity_failure(gcm_key, gcm_iv, NULL, 0, gcm_ct, sizeof gcm_ct, gcm_tag);
    expect_integrity_failure(gcm_key, gcm_iv, gcm_aad, sizeof gcm_aad - 1, gcm_ct, sizeof gcm_ct, gcm_tag);
    expect_integrity_failure(gcm_key, gcm_iv, gcm_aad, sizeof gcm_aad, gcm_ct, sizeof gcm_ct - 1, gcm_tag);
    memcpy(iv, gcm_iv, sizeof iv);
    iv[11] ^= 1;
    expect_integrity_failure(gcm_key, iv, gcm_aad, sizeof gcm_aad, gcm_ct, sizeof gcm_ct, gcm_tag);
    memcpy(key, gcm_key, sizeof key);
    key[0] ^= 1;
    expect_integrity_failure(key, gcm_iv, gcm_aad, sizeof gcm_aad, gcm_ct, sizeof gcm_ct, gcm_tag);
}

static void openssl_gcm(int enc, const uint8_t *key, const uint8_t *iv, const uint8_t *aad,
                        size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    assert_non_null(c);
    assert_int_equal(EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc), 1);
    if (aad_len > 0)
        assert_int_equal(EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len), 1);
    if (len > 0)
        assert_int_equal(EVP_CipherUpdate(c, out, &n, in, (int)len), 1);
    if (!enc)
        assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag), 1);
    assert_int_equal(EVP_CipherFinal_ex(c, out + len, &n), 1);
    if (enc)
        assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag), 1);
    EVP_CIPHER_CTX_free(c);
}

static void test_aead_vs_openssl(void **state)
{
    (void)state;
    static uint8_t pt[1000], ct[1000], back[1000], theirs[1000];
    uint8_t key[32], iv[12], aad[40], tag[16], tag2[16];
    const size_t pt_lens[] = {0, 1, 15, 16, 17, 1000};
    const size_t aad_lens[] = {0, 1, 40};
    for (size_t i = 0; i < 6; i++) {
        for (size_t j = 0; j < 3; j++) {
            size_t n = pt_lens[i], an = aad_lens[j];
            tc_random_bytes(key, sizeof key);
            tc_random_bytes(iv, sizeof iv);
            tc_random_bytes(aad, sizeof aad);
            tc_random_bytes(pt, sizeof pt);
            /* ours -> OpenSSL */
            assert_int_equal(sigil_crypto_aead_seal(key, iv, an ? aad : NULL, an, n ? pt : NULL,
                                                    n, n ? ct : NULL, tag),
                             SIGIL_ST_OK);
            openssl_gcm(1, key, iv, aad, an, pt, n, theirs, tag2);
            assert_memory_equal(ct, theirs, n);
            assert_memory_equal(tag, tag2, 16);
            openssl_gcm(0, key, iv, aad, an, ct, n, theirs, tag);
            assert_memory_equal(theirs, pt, n);
            /* OpenSSL -> ours */
            assert_int_equal(sigil_crypto_aead_open(key, iv, an ? aad : NULL, an, n ? ct : NULL,
                                                    n, tag2, n ? back : NULL),
                             SIGIL_ST_OK);
            assert_memory_equal(back, pt, n);
        }
    }
}

static void test_aead_in_place_and_args(void **state)
{
    (void)state;
    uint8_t buf[60], tag[16];
    memcpy(buf, gcm_pt, sizeof buf);
    assert_int_equal(sigil_crypto_aead_seal(gcm_key, gcm_iv, gcm_aad, sizeof gcm_aad, buf,
                                            sizeof buf, buf, tag),
                     SIGIL_ST_OK);
    assert_memory_equal(buf, gcm_ct, sizeof buf);
    assert_int_equal(sigil_crypto_aead_open(gcm_key, gcm_iv, gcm_aad, sizeof gcm_aad, buf,
                                            sizeof buf, tag, buf),
                     SIGIL_ST_OK);
    assert_memory_equal(buf, gcm_pt, sizeof buf);

    assert_int_equal(sigil_crypto_aead_seal(NULL, gcm_iv, NULL, 0, buf, 1, buf, tag),
                     SIGIL_ST_BAD_ARGUMENT);
    assert_int_equal(sigil_crypto_aead_seal(gcm_key, gcm_iv, NULL, 1, buf, 1, buf, tag),
                     SIGIL_ST_BAD_ARGUMENT);
    assert_int_equal(sigil_crypto_aead_seal(gcm_key, gcm_iv, NULL, 0, buf, 1, buf, NULL),
                     SIGIL_ST_BAD_ARGUMENT);
    assert_int_equal(sigil_crypto_aead_open(gcm_key, gcm_iv, NULL, 0, buf, 1, NULL, buf),
                     SIGIL_ST_BAD_ARGUMENT);
    assert_int_equal(sigil_crypto_aead_open(gcm_key, NULL, NULL, 0, buf, 1, tag, buf),
                     SIGIL_ST_BAD_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backend_name),
        cmocka_unit_test(test_init_seeds_from_entropy),
        cmocka_unit_test(test_init_twice_refused),
        cmocka_unit_test(test_init_failing_entropy),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_reinit_reseeds_from_platform),
        cmocka_unit_test(test_self_test_passes),
        cmocka_unit_test(test_self_test_detects_each_kat),
        cmocka_unit_test(test_sha256_kat),
        cmocka_unit_test(test_sha256_vs_openssl),
        cmocka_unit_test(test_hkdf_rfc5869),
        cmocka_unit_test(test_hkdf_vs_openssl_and_limits),
        cmocka_unit_test(test_pbkdf2_kat),
        cmocka_unit_test(test_pbkdf2_vs_openssl),
        cmocka_unit_test(test_aead_kat),
        cmocka_unit_test(test_aead_tamper),
        cmocka_unit_test(test_aead_vs_openssl),
        cmocka_unit_test(test_aead_in_place_and_args),
    };
    return cmocka_run_group_tests_name("crypto (" TC_BACKEND " backend)", tests, group_setup,
                                       group_teardown);
}
