/* openssl_sym.c — SHA-256, HKDF-SHA256, PBKDF2-HMAC-SHA256 and AES-256-GCM over EVP.
 *
 * All algorithms are fetched once from the backend's library context
 * (openssl_drbg.c); each call builds its own short-lived EVP context, so calls
 * from several threads share nothing mutable. Argument rules and statuses are
 * those of the mbedTLS backend. */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "openssl_internal.h"
#include "sigil_secmem.h"

#define SHA256_LEN 32u
#define HKDF_SHA256_MAX_OUT (255u * SHA256_LEN)
/* GCM limits (SP 800-38D): plaintext below 2^36 - 32 bytes, AAD below 2^61 bytes. */
#define GCM_MAX_PT ((UINT64_C(1) << 36) - 32)
#define GCM_MAX_AAD ((UINT64_C(1) << 61) - 1)

/* OSSL_PARAM octet strings need a data pointer even when empty. */
static const unsigned char empty_buf[1];

/* A (pointer, length) pair is valid when the pointer is set or the length is zero. */
static int buf_ok(const void *p, size_t len)
{
    return p != NULL || len == 0;
}

static void *param_data(const void *p, size_t len)
{
    return (void *)(len == 0 ? empty_buf : p);
}

/* Fetched algorithms exist once sigil_crypto_init has built the library context. */
static bool algs_ready(void)
{
    return sigil_ossl_libctx != NULL;
}

sigil_status sigil_crypto_sha256(const uint8_t *in, size_t len, uint8_t out[32])
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;
    unsigned int n = 0;

    if (out == NULL)
        return st;
    if (!buf_ok(in, len))
        goto cleanup;
    st = SIGIL_ST_GENERAL_ERROR;
    if (!algs_ready())
        goto cleanup;
    st = EVP_Digest(param_data(in, len), len, out, &n, sigil_ossl_alg.sha256, NULL) == 1 &&
                 n == SHA256_LEN
             ? SIGIL_ST_OK
             : sigil_ossl_fail(SIGIL_ST_CRYPTO_FAILURE);
cleanup:
    if (st != SIGIL_ST_OK)
        sigil_wipe(out, SHA256_LEN);
    return st;
}

/* Runs a KDF with the given parameters into out. */
static sigil_status kdf_derive(EVP_KDF *kdf, const OSSL_PARAM params[], uint8_t *out,
                               size_t out_len)
{
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    sigil_status st;

    if (ctx == NULL)
        return sigil_ossl_fail(SIGIL_ST_NO_MEMORY);
    st = EVP_KDF_derive(ctx, out, out_len, params) == 1 ? SIGIL_ST_OK
                                                       : sigil_ossl_fail(SIGIL_ST_CRYPTO_FAILURE);
    EVP_KDF_CTX_free(ctx); /* clears the key material it copied */
    return st;
}

/* SIGIL_ST_BAD_ARGUMENT when out_len is 0 or above 255*32. */
sigil_status sigil_crypto_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                                      size_t ikm_len, const uint8_t *info, size_t info_len,
                                      uint8_t *out, size_t out_len)
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;

    if (out == NULL || out_len == 0)
        return st;
    if (!buf_ok(salt, salt_len) || !buf_ok(ikm, ikm_len) || !buf_ok(info, info_len) ||
        out_len > HKDF_SHA256_MAX_OUT)
        goto cleanup;
    st = SIGIL_ST_GENERAL_ERROR;
    if (!algs_ready())
        goto cleanup;
    /* An empty salt is left out: HKDF then uses HashLen zero bytes (RFC 5869 2.2). */
    OSSL_PARAM params[5];
    size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA2-256", 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                    param_data(ikm, ikm_len), ikm_len);
    if (salt_len > 0)
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
                                                        salt_len);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                    param_data(info, info_len), info_len);
    params[n] = OSSL_PARAM_construct_end();
    st = kdf_derive(sigil_ossl_alg.hkdf, params, out, out_len);
cleanup:
    if (st != SIGIL_ST_OK)
        sigil_wipe(out, out_len);
    return st;
}

/* SIGIL_ST_BAD_ARGUMENT when iterations or out_len is 0. */
sigil_status sigil_crypto_pbkdf2_sha256(const uint8_t *pw, size_t pw_len, const uint8_t *salt,
                                        size_t salt_len, uint32_t iterations, uint8_t *out,
                                        size_t out_len)
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;
    uint64_t iter = iterations;
    /* RFC 8018 PBKDF2 as specified, without SP 800-132's lower bounds (the
     * caller picks salt length and iteration count). */
    int pkcs5 = 1;

    if (out == NULL || out_len == 0)
        return st;
    if (!buf_ok(pw, pw_len) || !buf_ok(salt, salt_len) || iterations == 0 ||
        out_len > UINT32_MAX)
        goto cleanup;
    st = SIGIL_ST_GENERAL_ERROR;
    if (!algs_ready())
        goto cleanup;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA2-256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, param_data(pw, pw_len),
                                          pw_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, param_data(salt, salt_len),
                                          salt_len),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iter),
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &pkcs5),
        OSSL_PARAM_construct_end(),
    };
    st = kdf_derive(sigil_ossl_alg.pbkdf2, params, out, out_len);
cleanup:
    if (st != SIGIL_ST_OK)
        sigil_wipe(out, out_len);
    return st;
}

/* Feeds len bytes through EVP_CipherUpdate in int-sized pieces (out may be NULL for AAD). */
static int cipher_update(EVP_CIPHER_CTX *c, uint8_t *out, const uint8_t *in, size_t len)
{
    while (len > 0) {
        int chunk = len > (size_t)(INT_MAX - 16) ? INT_MAX - 16 : (int)len;
        int n = 0;
        if (EVP_CipherUpdate(c, out, &n, in, chunk) != 1)
            return 0;
        in += chunk;
        if (out != NULL)
            out += chunk;
        len -= (size_t)chunk;
    }
    return 1;
}

/* Seals (enc = 1) or opens (enc = 0, tag checked by the library in constant
 * time); returns SIGIL_ST_INTEGRITY_FAILURE when the tag does not verify. */
static sigil_status gcm_crypt(int enc, const uint8_t key[32], const uint8_t iv[12],
                              const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                              uint8_t *out, uint8_t tag[16])
{
    sigil_status st = SIGIL_ST_CRYPTO_FAILURE;
    EVP_CIPHER_CTX *c;
    size_t iv_len = SIGIL_GCM_IV_LEN;
    uint8_t last[16];
    int n = 0;

    if ((uint64_t)len > GCM_MAX_PT || (uint64_t)aad_len > GCM_MAX_AAD)
        return SIGIL_ST_DATA_LEN_RANGE;
    c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return sigil_ossl_fail(SIGIL_ST_NO_MEMORY);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &iv_len),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_CipherInit_ex2(c, sigil_ossl_alg.aes256gcm, key, iv, enc, params) != 1 ||
        !cipher_update(c, NULL, aad, aad_len) || !cipher_update(c, out, in, len))
        goto cleanup;
    if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SIGIL_GCM_TAG_LEN, tag) != 1)
        goto cleanup;
    if (EVP_CipherFinal_ex(c, last, &n) != 1) {
        st = enc ? SIGIL_ST_CRYPTO_FAILURE : SIGIL_ST_INTEGRITY_FAILURE;
        goto cleanup;
    }
    if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SIGIL_GCM_TAG_LEN, tag) != 1)
        goto cleanup;
    st = SIGIL_ST_OK;
cleanup:
    EVP_CIPHER_CTX_free(c); /* clears the key schedule and GHASH state */
    if (st == SIGIL_ST_CRYPTO_FAILURE)
        st = sigil_ossl_fail(st);
    else
        ERR_clear_error();
    return st;
}

sigil_status sigil_crypto_aead_seal(const uint8_t key[32], const uint8_t iv[12],
                                    const uint8_t *aad, size_t aad_len, const uint8_t *pt,
                                    size_t pt_len, uint8_t *ct, uint8_t tag[16])
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;

    if (tag == NULL || !buf_ok(ct, pt_len))
        return st;
    if (key == NULL || iv == NULL || !buf_ok(aad, aad_len) || !buf_ok(pt, pt_len))
        goto cleanup;
    st = SIGIL_ST_GENERAL_ERROR;
    if (!algs_ready())
        goto cleanup;
    st = gcm_crypt(1, key, iv, aad, aad_len, pt, pt_len, ct, tag);
cleanup:
    if (st != SIGIL_ST_OK) {
        sigil_wipe(ct, pt_len);
        sigil_wipe(tag, SIGIL_GCM_TAG_LEN);
    }
    return st;
}

/* SIGIL_ST_INTEGRITY_FAILURE when the tag does not verify; pt is wiped on every failure. */
sigil_status sigil_crypto_aead_open(const uint8_t key[32], const uint8_t iv[12],
                                    const uint8_t *aad, size_t aad_len, const uint8_t *ct,
                                    size_t ct_len, const uint8_t tag[16], uint8_t *pt)
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;
    uint8_t tag_copy[SIGIL_GCM_TAG_LEN];

    if (!buf_ok(pt, ct_len))
        return st;
    memset(tag_copy, 0, sizeof tag_copy);
    if (key == NULL || iv == NULL || tag == NULL || !buf_ok(aad, aad_len) ||
        !buf_ok(ct, ct_len))
        goto cleanup;
    st = SIGIL_ST_GENERAL_ERROR;
    if (!algs_ready())
        goto cleanup;
    memcpy(tag_copy, tag, sizeof tag_copy); /* the ctrl takes a non-const pointer */
    /* Decrypts (in place is allowed); the plaintext is released only if the tag verifies. */
    st = gcm_crypt(0, key, iv, aad, aad_len, ct, ct_len, pt, tag_copy);
cleanup:
    sigil_wipe(tag_copy, sizeof tag_copy);
    if (st != SIGIL_ST_OK)
        sigil_wipe(pt, ct_len);
    return st;
}
