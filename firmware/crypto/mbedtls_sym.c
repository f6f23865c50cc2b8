/* mbedtls_sym.c — SHA-256, HKDF-SHA256, PBKDF2-HMAC-SHA256 and AES-256-GCM. */
#include <stdint.h>
#include <string.h>

#include <mbedtls/cipher.h>
#include <mbedtls/gcm.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/sha256.h>

#include "mbedtls_internal.h"
#include "sigil_secmem.h"

#define SHA256_LEN 32u
#define HKDF_SHA256_MAX_OUT (255u * SHA256_LEN)

/* A (pointer, length) pair is valid when the pointer is set or the length is zero. */
static int buf_ok(const void *p, size_t len)
{
    return p != NULL || len == 0;
}

sigil_status sigil_crypto_sha256(const uint8_t *in, size_t len, uint8_t out[32])
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;

    if (out == NULL)
        return st;
    if (!buf_ok(in, len))
        goto cleanup;
    st = mbedtls_sha256_ret(in, len, out, 0) == 0 ? SIGIL_ST_OK : SIGIL_ST_CRYPTO_FAILURE;
cleanup:
    if (st != SIGIL_ST_OK)
        sigil_wipe(out, SHA256_LEN);
    return st;
}

/* SIGIL_ST_BAD_ARGUMENT when out_len is 0 or above 255*32. */
sigil_status sigil_crypto_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                                      size_t ikm_len, const uint8_t *info, size_t info_len,
                                      uint8_t *out, size_t out_len)
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;
    int ret;

    if (out == NULL || out_len == 0)
        return st;
    if (!buf_ok(salt, salt_len) || !buf_ok(ikm, ikm_len) || !buf_ok(info, info_len) ||
        out_len > HKDF_SHA256_MAX_OUT)
        goto cleanup;
    ret = mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), salt, salt_len, ikm,
                       ikm_len, info, info_len, out, out_len);
    st = sigil_mbt_status(ret);
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
    mbedtls_md_context_t md;
    int ret;

    if (out == NULL || out_len == 0)
        return st;
    mbedtls_md_init(&md);
    if (!buf_ok(pw, pw_len) || !buf_ok(salt, salt_len) || iterations == 0 ||
        out_len > UINT32_MAX)
        goto cleanup;
    ret = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
    if (ret != 0) {
        st = sigil_mbt_status(ret);
        goto cleanup;
    }
    ret = mbedtls_pkcs5_pbkdf2_hmac(&md, pw, pw_len, salt, salt_len, iterations,
                                    (uint32_t)out_len, out);
    st = sigil_mbt_status(ret);
cleanup:
    mbedtls_md_free(&md); /* zeroises the HMAC pads and hash state */
    if (st != SIGIL_ST_OK)
        sigil_wipe(out, out_len);
    return st;
}

static sigil_status gcm_setup(mbedtls_gcm_context *gcm, const uint8_t key[32])
{
    return sigil_mbt_status(mbedtls_gcm_setkey(gcm, MBEDTLS_CIPHER_ID_AES, key, 256));
}

sigil_status sigil_crypto_aead_seal(const uint8_t key[32], const uint8_t iv[12],
                                    const uint8_t *aad, size_t aad_len, const uint8_t *pt,
                                    size_t pt_len, uint8_t *ct, uint8_t tag[16])
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;
    mbedtls_gcm_context gcm;
    int ret;

    if (tag == NULL || !buf_ok(ct, pt_len))
        return st;
    mbedtls_gcm_init(&gcm);
    if (key == NULL || iv == NULL || !buf_ok(aad, aad_len) || !buf_ok(pt, pt_len))
        goto cleanup;
    st = gcm_setup(&gcm, key);
    if (st != SIGIL_ST_OK)
        goto cleanup;
    ret = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, pt_len, iv, SIGIL_GCM_IV_LEN, aad,
                                    aad_len, pt, ct, SIGIL_GCM_TAG_LEN, tag);
    /* Only length limits (2^36 bytes of plaintext) make GCM fail. */
    st = ret == MBEDTLS_ERR_GCM_BAD_INPUT ? SIGIL_ST_DATA_LEN_RANGE : sigil_mbt_status(ret);
cleanup:
    mbedtls_gcm_free(&gcm); /* zeroises the key schedule and H table */
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
    mbedtls_gcm_context gcm;
    uint8_t computed[SIGIL_GCM_TAG_LEN];
    int ret;

    if (!buf_ok(pt, ct_len))
        return st;
    mbedtls_gcm_init(&gcm);
    memset(computed, 0, sizeof computed);
    if (key == NULL || iv == NULL || tag == NULL || !buf_ok(aad, aad_len) ||
        !buf_ok(ct, ct_len))
        goto cleanup;
    st = gcm_setup(&gcm, key);
    if (st != SIGIL_ST_OK)
        goto cleanup;
    /* Decrypt (in place is allowed), then compare the tag in constant time. */
    ret = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_DECRYPT, ct_len, iv, SIGIL_GCM_IV_LEN, aad,
                                    aad_len, ct, pt, sizeof computed, computed);
    if (ret != 0) {
        st = ret == MBEDTLS_ERR_GCM_BAD_INPUT ? SIGIL_ST_DATA_LEN_RANGE : sigil_mbt_status(ret);
        goto cleanup;
    }
    st = sigil_ct_equal(computed, tag, SIGIL_GCM_TAG_LEN) ? SIGIL_ST_OK
                                                           : SIGIL_ST_INTEGRITY_FAILURE;
cleanup:
    mbedtls_gcm_free(&gcm);
    sigil_wipe(computed, sizeof computed);
    if (st != SIGIL_ST_OK)
        sigil_wipe(pt, ct_len);
    return st;
}
