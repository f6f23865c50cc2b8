/* backup_file.c — the backup file: seals as the appliance exported them, in one container
 * with a SHA-256 over the whole (admin.h has the layout). Pure. The checksum only detects
 * corruption; each blob is authenticated by the appliance (AES-256-GCM under the domain key). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

#define MAGIC_LEN 8u

int admin_backup_file_encode(const admin_backup_entry *e, size_t n, uint8_t **out, size_t *len)
{
    size_t cap = MAGIC_LEN + 8 + SIGIL_AUDIT_HASH_LEN;
    uint8_t *buf;
    sigil_wr w;
    *out = NULL;
    *len = 0;
    if (n == 0 || n > ADMIN_BACKUP_MAX_SEALS)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (strlen(e[i].label) > SIGIL_LABEL_MAX_LEN || strlen(e[i].serial) > 16 || e[i].blob_len > SIGIL_FRAME_MAX_BODY)
            return -1;
        cap += 4 + strlen(e[i].label) + 4 + strlen(e[i].serial) + 4 + 4 + e[i].blob_len;
    }
    buf = malloc(cap);
    if (buf == NULL)
        return -1;
    sigil_wr_init(&w, buf, cap);
    uint8_t *magic = sigil_wr_reserve(&w, MAGIC_LEN);
    if (magic != NULL)
        memcpy(magic, ADMIN_BACKUP_MAGIC, MAGIC_LEN);
    sigil_wr_u32(&w, ADMIN_BACKUP_VERSION);
    sigil_wr_u32(&w, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        sigil_wr_str(&w, e[i].label);
        sigil_wr_str(&w, e[i].serial);
        sigil_wr_u32(&w, e[i].slot);
        sigil_wr_bytes(&w, e[i].blob, e[i].blob_len);
    }
    uint8_t *sum = sigil_wr_reserve(&w, SIGIL_AUDIT_HASH_LEN);
    if (!sigil_wr_ok(&w) || sum == NULL || admin_sha256(buf, w.len - SIGIL_AUDIT_HASH_LEN, sum) != 0) {
        free(buf);
        return -1;
    }
    *out = buf;
    *len = w.len;
    return 0;
}

int admin_backup_file_decode(const uint8_t *in, size_t len, admin_backup_entry *e, size_t cap, size_t *n,
                             char *err, size_t errlen)
{
    uint8_t sum[SIGIL_AUDIT_HASH_LEN];
    sigil_rd r;
    *n = 0;
    if (len < MAGIC_LEN || memcmp(in, ADMIN_BACKUP_MAGIC, MAGIC_LEN) != 0) {
        snprintf(err, errlen, "not a sigil-admin backup file (it does not start with %s)", ADMIN_BACKUP_MAGIC);
        return -1;
    }
    if (len < MAGIC_LEN + 8 + SIGIL_AUDIT_HASH_LEN) {
        snprintf(err, errlen, "the backup file is truncated (%zu bytes)", len);
        return -1;
    }
    if (admin_sha256(in, len - SIGIL_AUDIT_HASH_LEN, sum) != 0 ||
        memcmp(sum, in + len - SIGIL_AUDIT_HASH_LEN, SIGIL_AUDIT_HASH_LEN) != 0) {
        snprintf(err, errlen, "the backup file is corrupt or truncated: its checksum does not match");
        return -1;
    }
    sigil_rd_init(&r, in + MAGIC_LEN, len - MAGIC_LEN - SIGIL_AUDIT_HASH_LEN);
    uint32_t version = sigil_rd_u32(&r);
    uint32_t count = sigil_rd_u32(&r);
    if (!sigil_rd_ok(&r) || version != ADMIN_BACKUP_VERSION) {
        snprintf(err, errlen, "backup file version %u is not supported (this sigil-admin reads version %u)",
                 version, ADMIN_BACKUP_VERSION);
        return -1;
    }
    if (count == 0 || count > cap) {
        snprintf(err, errlen, "the backup file says it holds %u seals (1 to %zu expected)", count, cap);
        return -1;
    }
    for (uint32_t i = 0; i < count; i++) {
        size_t bl = 0;
        sigil_rd_str(&r, e[i].label, SIGIL_LABEL_MAX_LEN);
        sigil_rd_str(&r, e[i].serial, 16);
        e[i].slot = sigil_rd_u32(&r);
        e[i].blob = sigil_rd_bytes(&r, SIGIL_FRAME_MAX_BODY, &bl);
        e[i].blob_len = bl;
        if (sigil_rd_ok(&r) && admin_backup_blob_domain(e[i].blob, bl) == NULL) {
            snprintf(err, errlen, "seal %u of the backup file is not an appliance backup (SGB1)", i + 1);
            return -1;
        }
    }
    if (!sigil_rd_done(&r)) {
        snprintf(err, errlen, "the backup file does not parse");
        return -1;
    }
    *n = count;
    return 0;
}

const uint8_t *admin_backup_blob_domain(const uint8_t *blob, size_t len)
{
    /* "SGB1" | domain_id[8] | iv[12] | tag[16] | ciphertext */
    if (blob == NULL || len < 4 + 8 + 12 + 16 || memcmp(blob, "SGB1", 4) != 0)
        return NULL;
    return blob + 4;
}
