/* devkeys.c — the device's own keys, made at first start and kept sealed as
 * "device-keys": the audit key (signs audit checkpoints) and the attestation
 * key (signs statements that a seal key was generated here). Both EC P-256. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

#define DEVKEYS_NAME "device-keys"
#define DEVKEYS_VERSION 1u

static sigil_status load_one(sigil_rd *r, sigil_crypto_key **key, sigil_crypto_pub *pub)
{
    size_t n = 0;
    const uint8_t *der = sigil_rd_bytes(r, SIGIL_CRYPTO_MAX_PRIV_DER, &n);
    if (!sigil_rd_ok(r))
        return SIGIL_ST_INTEGRITY_FAILURE;
    sigil_status st = sigil_crypto_key_load(SIGIL_KEY_KIND_EC_P256, der, n, key);
    if (st == SIGIL_ST_OK)
        st = sigil_crypto_key_public(*key, pub);
    return st;
}

static sigil_status create(sigil_fw *fw)
{
    uint8_t *buf = malloc(2 * SIGIL_CRYPTO_MAX_PRIV_DER + 64);
    uint8_t *der = malloc(SIGIL_CRYPTO_MAX_PRIV_DER);
    size_t der_len = 0;
    sigil_crypto_pub pub;
    sigil_wr w;
    sigil_status st = SIGIL_ST_NO_MEMORY;

    if (buf == NULL || der == NULL)
        goto out;
    sigil_wr_init(&w, buf, 2 * SIGIL_CRYPTO_MAX_PRIV_DER + 64);
    sigil_wr_u32(&w, DEVKEYS_VERSION);
    for (int i = 0; i < 2; i++) {
        st = sigil_crypto_keygen(SIGIL_KEY_KIND_EC_P256, der, SIGIL_CRYPTO_MAX_PRIV_DER, &der_len, &pub);
        if (st != SIGIL_ST_OK)
            goto out;
        sigil_wr_bytes(&w, der, der_len);
        sigil_wipe(der, SIGIL_CRYPTO_MAX_PRIV_DER);
    }
    st = sigil_wr_ok(&w) ? fw_sealed_write(fw, DEVKEYS_NAME, buf, w.len) : SIGIL_ST_GENERAL_ERROR;
out:
    if (buf != NULL)
        sigil_wipe(buf, 2 * SIGIL_CRYPTO_MAX_PRIV_DER + 64);
    if (der != NULL)
        sigil_wipe(der, SIGIL_CRYPTO_MAX_PRIV_DER);
    free(buf);
    free(der);
    return st;
}

sigil_status fw_devkeys_load(sigil_fw *fw)
{
    size_t cap = 2 * SIGIL_CRYPTO_MAX_PRIV_DER + 64, len = 0;
    uint8_t *buf = malloc(cap);
    sigil_status st = SIGIL_ST_NO_MEMORY;
    sigil_rd r;

    if (buf == NULL)
        return st;
    st = fw_sealed_read(fw, DEVKEYS_NAME, buf, cap, &len);
    if (st == SIGIL_ST_OBJECT_INVALID) {
        st = create(fw);
        if (st == SIGIL_ST_OK)
            st = fw_sealed_read(fw, DEVKEYS_NAME, buf, cap, &len);
    }
    if (st != SIGIL_ST_OK)
        goto out;
    sigil_rd_init(&r, buf, len);
    if (sigil_rd_u32(&r) != DEVKEYS_VERSION) {
        st = SIGIL_ST_INTEGRITY_FAILURE;
        goto out;
    }
    st = load_one(&r, &fw->audit_key, &fw->audit_pub);
    if (st == SIGIL_ST_OK)
        st = load_one(&r, &fw->attest_key, &fw->attest_pub);
    if (st == SIGIL_ST_OK && !sigil_rd_done(&r))
        st = SIGIL_ST_INTEGRITY_FAILURE;
    if (st == SIGIL_ST_OK) {
        /* The device serial: the first 8 bytes of SHA-256 of the attestation key. */
        uint8_t h[32];
        st = sigil_crypto_sha256(fw->attest_pub.b, fw->attest_pub.b_len, h);
        for (int i = 0; st == SIGIL_ST_OK && i < 8; i++)
            snprintf(fw->serial + 2 * i, 3, "%02x", h[i]);
    }
out:
    sigil_wipe(buf, cap);
    free(buf);
    return st;
}

void fw_devkeys_free(sigil_fw *fw)
{
    sigil_crypto_key_free(fw->audit_key);
    sigil_crypto_key_free(fw->attest_key);
    fw->audit_key = fw->attest_key = NULL;
}

/* ECDSA P-256 over SHA-256 of msg with a device key; out = r||s (64 bytes). */
sigil_status fw_devkey_sign(sigil_crypto_key *key, const uint8_t *msg, size_t len, uint8_t out[64])
{
    uint8_t h[32];
    size_t sig_len = 0;
    sigil_sig_params p = {.scheme = SIGIL_SIG_ECDSA};
    sigil_status st = sigil_crypto_sha256(msg, len, h);
    if (st == SIGIL_ST_OK)
        st = sigil_crypto_sign(key, &p, h, sizeof(h), out, 64, &sig_len);
    if (st == SIGIL_ST_OK && sig_len != 64)
        st = SIGIL_ST_CRYPTO_FAILURE;
    return st;
}
