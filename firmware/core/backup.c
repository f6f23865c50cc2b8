/* backup.c — seals leave the device only wrapped under the backup domain key,
 * which appliances of one domain share.
 *
 * The domain key is HKDF-SHA256 of a 32-byte domain secret: made by one
 * appliance (BACKUP_DOMAIN_CREATE, shown to the administrator once) and entered
 * into the others (BACKUP_DOMAIN_JOIN). It is kept sealed as "backup-domain".
 *
 * A backup is  "SGB1" | domain_id[8] | iv[12] | tag[16] | AES-256-GCM(seal)
 * with "SGB1" | domain_id as associated data; the file alone reveals no key.
 * The seal inside: its record (label, serial, credentials with their retry
 * counters, policy, usage counter) and every object with its key material.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

#define DOMAIN_NAME "backup-domain"
#define DOMAIN_INFO "sigil backup domain key v1"
#define BACKUP_MAGIC "SGB1"
#define BACKUP_HDR (4u + 8u + SIGIL_GCM_IV_LEN + SIGIL_GCM_TAG_LEN)
#define BACKUP_VERSION 1u

typedef struct {
    uint8_t key[32];
    uint8_t id[8];
} backup_domain;

static sigil_status domain_from_secret(const uint8_t secret[32], backup_domain *d)
{
    uint8_t h[32];
    sigil_status st = sigil_crypto_hkdf_sha256(NULL, 0, secret, 32, (const uint8_t *)DOMAIN_INFO,
                                               strlen(DOMAIN_INFO), d->key, sizeof(d->key));
    if (st == SIGIL_ST_OK)
        st = sigil_crypto_sha256(d->key, sizeof(d->key), h);
    if (st == SIGIL_ST_OK)
        memcpy(d->id, h, sizeof(d->id));
    sigil_wipe(h, sizeof(h));
    return st;
}

static sigil_status domain_load(sigil_fw *fw, backup_domain *d)
{
    uint8_t secret[32];
    size_t len = 0;
    sigil_status st = fw_sealed_read(fw, DOMAIN_NAME, secret, sizeof(secret), &len);
    if (st == SIGIL_ST_OBJECT_INVALID)
        st = SIGIL_ST_NO_BACKUP_DOMAIN;
    else if (st == SIGIL_ST_OK && len != sizeof(secret))
        st = SIGIL_ST_INTEGRITY_FAILURE;
    if (st == SIGIL_ST_OK)
        st = domain_from_secret(secret, d);
    sigil_wipe(secret, sizeof(secret));
    return st;
}

sigil_status fw_backup_domain_set(sigil_fw *fw, const uint8_t secret[32], uint8_t id[8])
{
    backup_domain d;
    sigil_status st = domain_from_secret(secret, &d);
    if (st == SIGIL_ST_OK)
        st = fw_sealed_write(fw, DOMAIN_NAME, secret, 32);
    if (st == SIGIL_ST_OK)
        memcpy(id, d.id, sizeof(d.id));
    sigil_wipe(&d, sizeof(d));
    return st;
}

sigil_status fw_backup_domain_id(sigil_fw *fw, uint8_t id[8])
{
    backup_domain d;
    sigil_status st = domain_load(fw, &d);
    if (st == SIGIL_ST_OK)
        memcpy(id, d.id, sizeof(d.id));
    sigil_wipe(&d, sizeof(d));
    return st;
}

/* Serialises a seal (token lock held) into w. */
static sigil_status seal_write_locked(sigil_fw *fw, uint32_t slot, sigil_wr *w)
{
    fw_token *t = &fw->tokens[slot];
    uint8_t *der = malloc(SIGIL_CRYPTO_MAX_PRIV_DER);
    sigil_status st = SIGIL_ST_OK;
    size_t der_len = 0;

    if (der == NULL)
        return SIGIL_ST_NO_MEMORY;
    sigil_wr_u32(w, BACKUP_VERSION);
    sigil_wr_str(w, t->label);
    sigil_wr_str(w, t->serial);
    fw_cred_write(w, &t->so);
    fw_cred_write(w, &t->user);
    fw_policy_write(w, &t->policy);
    sigil_wr_u64(w, t->sig_reserved > t->sig_count ? t->sig_reserved : t->sig_count);
    sigil_wr_u32(w, t->object_count);
    for (fw_object *o = t->objects; o != NULL && st == SIGIL_ST_OK; o = o->next) {
        st = fw_keystore_read_der(fw, slot, o->rec.handle, der, SIGIL_CRYPTO_MAX_PRIV_DER, &der_len);
        sigil_wr_u8(w, (uint8_t)o->kind);
        sigil_obj_record_write(w, &o->rec);
        sigil_wr_bytes(w, der, der_len);
        sigil_wipe(der, SIGIL_CRYPTO_MAX_PRIV_DER);
    }
    free(der);
    if (st == SIGIL_ST_OK && !sigil_wr_ok(w))
        st = SIGIL_ST_OBJECT_LIMIT; /* more than one frame can carry */
    return st;
}

sigil_status fw_backup_export(sigil_fw *fw, uint32_t slot, sigil_wr *out)
{
    size_t cap = SIGIL_FRAME_MAX_BODY - BACKUP_HDR - 64;
    uint8_t *plain = malloc(cap);
    backup_domain d;
    sigil_wr w;
    sigil_status st;

    if (plain == NULL)
        return SIGIL_ST_NO_MEMORY;
    st = domain_load(fw, &d);
    if (st != SIGIL_ST_OK)
        goto out;
    sigil_wr_init(&w, plain, cap);
    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    if (!t->initialised)
        st = SIGIL_ST_TOKEN_NOT_INITIALIZED;
    else if (t->policy.state == SIGIL_SEAL_REVOKED)
        st = SIGIL_ST_SEAL_REVOKED;
    else
        st = seal_write_locked(fw, slot, &w);
    pthread_mutex_unlock(&t->lock);
    if (st != SIGIL_ST_OK)
        goto out;

    uint8_t *len_field = sigil_wr_reserve(out, 4);
    uint8_t *blob = sigil_wr_reserve(out, BACKUP_HDR + w.len);
    if (len_field == NULL || blob == NULL) {
        st = SIGIL_ST_OBJECT_LIMIT;
        goto out;
    }
    memcpy(blob, BACKUP_MAGIC, 4);
    memcpy(blob + 4, d.id, 8);
    st = sigil_crypto_random(blob + 12, SIGIL_GCM_IV_LEN);
    if (st == SIGIL_ST_OK)
        st = sigil_crypto_aead_seal(d.key, blob + 12, blob, 12, plain, w.len, blob + BACKUP_HDR,
                                    blob + 12 + SIGIL_GCM_IV_LEN);
    sigil_wr lw;
    sigil_wr_init(&lw, len_field, 4);
    sigil_wr_u32(&lw, (uint32_t)(BACKUP_HDR + w.len));
out:
    sigil_wipe(plain, cap);
    free(plain);
    sigil_wipe(&d, sizeof(d));
    return st;
}

/* Restores into the lowest free slot. A seal whose serial is already on this
 * appliance is refused (SEAL_EXISTS): a restore never resets its retry counters
 * or usage counter, and never revives it if it was revoked here. Objects are
 * written first and the seal record last: an interrupted restore leaves a free
 * slot (its stray objects are removed at the next start). */
sigil_status fw_backup_restore(sigil_fw *fw, const uint8_t *blob, size_t len, uint32_t *slot_out)
{
    backup_domain d;
    uint8_t *plain = NULL;
    sigil_status st;
    fw_token fresh;
    sigil_rd r;
    uint32_t slot = UINT32_MAX;

    memset(&fresh, 0, sizeof(fresh));
    if (len < BACKUP_HDR || memcmp(blob, BACKUP_MAGIC, 4) != 0)
        return SIGIL_ST_INTEGRITY_FAILURE;
    st = domain_load(fw, &d);
    if (st != SIGIL_ST_OK)
        return st;
    if (!sigil_ct_equal(blob + 4, d.id, 8)) {
        st = SIGIL_ST_BACKUP_WRONG_DOMAIN;
        goto out;
    }
    plain = malloc(len - BACKUP_HDR + 1);
    if (plain == NULL) {
        st = SIGIL_ST_NO_MEMORY;
        goto out;
    }
    st = sigil_crypto_aead_open(d.key, blob + 12, blob, 12, blob + BACKUP_HDR, len - BACKUP_HDR,
                                blob + 12 + SIGIL_GCM_IV_LEN, plain);
    if (st != SIGIL_ST_OK)
        goto out;
    sigil_rd_init(&r, plain, len - BACKUP_HDR);
    uint32_t version = sigil_rd_u32(&r);
    sigil_rd_str(&r, fresh.label, SIGIL_LABEL_MAX_LEN);
    sigil_rd_str(&r, fresh.serial, FW_SERIAL_LEN);
    fw_cred_read(&r, &fresh.so);
    fw_cred_read(&r, &fresh.user);
    fw_policy_read(&r, &fresh.policy);
    fresh.sig_reserved = fresh.sig_count = sigil_rd_u64(&r);
    uint32_t n = sigil_rd_u32(&r);
    if (!sigil_rd_ok(&r) || version != BACKUP_VERSION || n > FW_MAX_OBJECTS_PER_SLOT) {
        st = SIGIL_ST_INTEGRITY_FAILURE;
        goto out;
    }
    /* Same seal already here? */
    for (uint32_t i = 0; i < fw->cfg.slot_count && st == SIGIL_ST_OK; i++) {
        fw_token *t = &fw->tokens[i];
        pthread_mutex_lock(&t->lock);
        if (t->initialised && strcmp(t->serial, fresh.serial) == 0)
            st = SIGIL_ST_SEAL_EXISTS;
        if (!t->initialised && !t->damaged && slot == UINT32_MAX)
            slot = i;
        pthread_mutex_unlock(&t->lock);
    }
    if (st == SIGIL_ST_OK && fw_serial_retired(fw, fresh.serial))
        st = SIGIL_ST_SEAL_REVOKED; /* destroyed here: never restored */
    if (st == SIGIL_ST_OK && slot == UINT32_MAX)
        st = SIGIL_ST_NO_FREE_SLOT;
    if (st != SIGIL_ST_OK)
        goto out;

    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    if (t->initialised || t->damaged) {
        st = SIGIL_ST_NO_FREE_SLOT; /* taken meanwhile */
        goto unlock;
    }
    fw_object *list = NULL;
    for (uint32_t i = 0; i < n && st == SIGIL_ST_OK; i++) {
        size_t der_len = 0;
        uint32_t handle = 0;
        fw_object *o = calloc(1, sizeof(*o));
        if (o == NULL) {
            st = SIGIL_ST_NO_MEMORY;
            break;
        }
        atomic_init(&o->refs, 1);
        o->kind = (sigil_key_kind)sigil_rd_u8(&r);
        sigil_obj_record_read(&r, &o->rec);
        const uint8_t *der = sigil_rd_bytes(&r, SIGIL_CRYPTO_MAX_PRIV_DER, &der_len);
        if (!sigil_rd_ok(&r))
            st = SIGIL_ST_INTEGRITY_FAILURE;
        if (st == SIGIL_ST_OK && o->rec.obj_class == SIGIL_CLASS_PRIVATE_KEY)
            st = sigil_crypto_key_load(o->kind, der, der_len, &o->key);
        if (st == SIGIL_ST_OK)
            st = fw_handles_reserve(fw, 1, &handle);
        if (st == SIGIL_ST_OK) {
            o->rec.handle = handle;
            st = fw_keystore_save(fw, slot, o, der, der_len);
        }
        o->next = list;
        list = o;
    }
    if (st == SIGIL_ST_OK && !sigil_rd_done(&r))
        st = SIGIL_ST_INTEGRITY_FAILURE;
    if (st == SIGIL_ST_OK) {
        t->initialised = true;
        snprintf(t->label, sizeof(t->label), "%s", fresh.label);
        snprintf(t->serial, sizeof(t->serial), "%s", fresh.serial);
        t->so = fresh.so;
        t->user = fresh.user;
        t->policy = fresh.policy;
        t->sig_count = t->sig_reserved = fresh.sig_reserved;
        st = fw_token_save_locked(fw, slot);
        if (st != SIGIL_ST_OK)
            t->initialised = false;
    }
    if (st == SIGIL_ST_OK) {
        while (list != NULL) {
            fw_object *next = list->next;
            fw_keystore_link_locked(t, list);
            list = next;
        }
        fw_policy_apply_flags_locked(t);
        *slot_out = slot;
    } else {
        fw_keystore_free_list(list);
        if (fw_keystore_remove_orphans(fw, slot) != SIGIL_ST_OK)
            st = SIGIL_ST_STORAGE_FAILURE;
    }
unlock:
    pthread_mutex_unlock(&t->lock);
out:
    if (plain != NULL)
        sigil_wipe(plain, len - BACKUP_HDR);
    free(plain);
    sigil_wipe(&fresh, sizeof(fresh));
    sigil_wipe(&d, sizeof(d));
    return st;
}
