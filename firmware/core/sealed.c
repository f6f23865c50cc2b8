/* sealed.c — every persisted record is AES-256-GCM under the storage key, with
 * the record's name (its identity) as associated data: an edited, truncated or
 * swapped blob fails to open.
 *
 * Blob layout: "SGS1" | iv[12] | tag[16] | ciphertext.
 */
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

#define SEALED_MAGIC "SGS1"
#define SEALED_HDR (4u + SIGIL_GCM_IV_LEN + SIGIL_GCM_TAG_LEN)
#define SEALED_MAX_PLAIN 32768u
#define SEALED_AAD_PREFIX "sigil-sealed-v1:"

static size_t make_aad(const char *name, uint8_t *aad, size_t cap)
{
    size_t p = strlen(SEALED_AAD_PREFIX), n = strlen(name);
    if (p + n > cap)
        return 0;
    memcpy(aad, SEALED_AAD_PREFIX, p);
    memcpy(aad + p, name, n);
    return p + n;
}

sigil_status fw_sealed_write(sigil_fw *fw, const char *name, const uint8_t *plain, size_t len)
{
    sigil_status st = SIGIL_ST_STORAGE_FAILURE;
    uint8_t aad[96];
    size_t aad_len = make_aad(name, aad, sizeof(aad));
    uint8_t *blob = NULL;

    if (aad_len == 0 || len > SEALED_MAX_PLAIN)
        return SIGIL_ST_BAD_ARGUMENT;
    blob = malloc(SEALED_HDR + len);
    if (blob == NULL)
        return SIGIL_ST_NO_MEMORY;
    memcpy(blob, SEALED_MAGIC, 4);
    st = sigil_crypto_random(blob + 4, SIGIL_GCM_IV_LEN);
    if (st != SIGIL_ST_OK)
        goto out;
    st = sigil_crypto_aead_seal(fw->storage_key, blob + 4, aad, aad_len, plain, len,
                                blob + SEALED_HDR, blob + 4 + SIGIL_GCM_IV_LEN);
    if (st != SIGIL_ST_OK)
        goto out;
    if (fw->plat->ops->store_write(fw->plat, name, blob, SEALED_HDR + len) != SIGIL_STORE_OK)
        st = SIGIL_ST_STORAGE_FAILURE;
out:
    free(blob);
    return st;
}

sigil_status fw_sealed_read(sigil_fw *fw, const char *name, uint8_t *plain, size_t cap, size_t *len)
{
    sigil_status st = SIGIL_ST_INTEGRITY_FAILURE;
    uint8_t aad[96];
    size_t aad_len = make_aad(name, aad, sizeof(aad));
    size_t blob_len = 0;
    uint8_t *blob = NULL;
    int rc;

    *len = 0;
    if (aad_len == 0)
        return SIGIL_ST_BAD_ARGUMENT;
    blob = malloc(SEALED_HDR + SEALED_MAX_PLAIN);
    if (blob == NULL)
        return SIGIL_ST_NO_MEMORY;
    rc = fw->plat->ops->store_read(fw->plat, name, blob, SEALED_HDR + SEALED_MAX_PLAIN, &blob_len);
    if (rc == SIGIL_STORE_MISSING) {
        st = SIGIL_ST_OBJECT_INVALID;
        goto out;
    }
    if (rc == SIGIL_STORE_TOO_LARGE) {
        st = SIGIL_ST_INTEGRITY_FAILURE;
        goto out;
    }
    if (rc != SIGIL_STORE_OK) {
        st = SIGIL_ST_STORAGE_FAILURE;
        goto out;
    }
    if (blob_len < SEALED_HDR || memcmp(blob, SEALED_MAGIC, 4) != 0 ||
        blob_len - SEALED_HDR > cap) {
        st = SIGIL_ST_INTEGRITY_FAILURE;
        goto out;
    }
    st = sigil_crypto_aead_open(fw->storage_key, blob + 4, aad, aad_len, blob + SEALED_HDR,
                                blob_len - SEALED_HDR, blob + 4 + SIGIL_GCM_IV_LEN, plain);
    if (st == SIGIL_ST_OK)
        *len = blob_len - SEALED_HDR;
out:
    if (blob != NULL)
        sigil_wipe(blob, SEALED_HDR + SEALED_MAX_PLAIN);
    free(blob);
    return st;
}
