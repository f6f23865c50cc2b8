/* cmd_device.c — the device's own services: its public keys, the audit trail
 * for the auditor, key attestation, zeroisation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

#define AUDIT_READ_MAX (512u * 1024u)
#define ATTEST_MAX 8192u

sigil_status fw_cmd_device_keys(sigil_fw *fw, fw_req *rq)
{
    if (!sigil_rd_done(rq->in))
        return SIGIL_ST_BAD_FRAME;
    sigil_wr_str(rq->out, fw->serial);
    sigil_wr_bytes(rq->out, fw->audit_pub.b, fw->audit_pub.b_len);
    sigil_wr_bytes(rq->out, fw->attest_pub.b, fw->attest_pub.b_len);
    return SIGIL_ST_OK;
}

sigil_status fw_cmd_audit_read(sigil_fw *fw, fw_req *rq)
{
    uint64_t off = sigil_rd_u64(rq->in);
    uint32_t max = sigil_rd_u32(rq->in);
    uint64_t total = 0;
    size_t n = 0;

    if (!sigil_rd_done(rq->in))
        return SIGIL_ST_BAD_FRAME;
    if (max == 0 || max > AUDIT_READ_MAX)
        return SIGIL_ST_BAD_ARGUMENT;
    uint8_t *total_field = sigil_wr_reserve(rq->out, 8);
    uint8_t *len_field = sigil_wr_reserve(rq->out, 4);
    uint8_t *data = sigil_wr_reserve(rq->out, max);
    if (total_field == NULL || len_field == NULL || data == NULL)
        return SIGIL_ST_GENERAL_ERROR;
    sigil_status st = fw_audit_read(fw, off, data, max, &n, &total);
    if (st != SIGIL_ST_OK)
        return st;
    rq->out->len -= max - n; /* give back what was not used */
    sigil_wr w;
    sigil_wr_init(&w, total_field, 12);
    sigil_wr_u64(&w, total);
    sigil_wr_u32(&w, (uint32_t)n);
    return SIGIL_ST_OK;
}

sigil_status fw_cmd_audit_checkpoint(sigil_fw *fw, fw_req *rq)
{
    uint64_t seq = 0;
    if (!sigil_rd_done(rq->in))
        return SIGIL_ST_BAD_FRAME;
    sigil_status st = fw_audit_checkpoint(fw, &seq);
    if (st == SIGIL_ST_OK)
        sigil_wr_u64(rq->out, seq);
    return st;
}

static void hex(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
    out[2 * n] = '\0';
}

static const char *state_name(uint8_t s)
{
    return s == SIGIL_SEAL_ACTIVE ? "active" : s == SIGIL_SEAL_SUSPENDED ? "suspended" : "revoked";
}

/* The statement: plain text, one "name: value" per line (specs/security-target.md). */
static size_t write_statement(sigil_fw *fw, uint32_t slot, const fw_token *t, const fw_object *o,
                              char *out, size_t cap)
{
    char a[2 * 512 + 1], b[2 * 160 + 1], label[SIGIL_LABEL_MAX_LEN + 1];
    bool ec = o->rec.key_type == SIGIL_KEYTYPE_EC;
    /* One line per field whatever a stored label holds: control characters become '?'. */
    snprintf(label, sizeof(label), "%s", t->label);
    for (char *p = label; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
            *p = '?';
    }
    hex(a, o->rec.pub_a, o->rec.pub_a_len);
    hex(b, o->rec.pub_b, o->rec.pub_b_len);
    int n = snprintf(out, cap,
                     "sigil-key-attestation-v1\n"
                     "device-serial: %s\n"
                     "firmware: %s\n"
                     "time: %llu\n"
                     "slot: %u\n"
                     "seal-label: %s\n"
                     "key-handle: %u\n"
                     "key-type: %s\n"
                     "key-bits: %u\n"
                     "%s: %s\n"
                     "%s: %s\n"
                     "generated-on-device: %s\n"
                     "sensitive: yes\n"
                     "extractable: no\n"
                     "seal-state: %s\n"
                     "policy-mode: %s\n"
                     "policy-max-signatures-per-login: %u\n"
                     "policy-max-seconds-per-login: %u\n"
                     "policy-mechanisms: 0x%08x\n"
                     "policy-not-before: %llu\n"
                     "policy-not-after: %llu\n",
                     fw->serial, FW_VERSION_STRING,
                     (unsigned long long)fw->plat->ops->time_now(fw->plat), (unsigned)slot, label,
                     (unsigned)o->rec.handle, ec ? "ec" : "rsa", (unsigned)o->rec.bits,
                     ec ? "ec-params" : "rsa-modulus", a, ec ? "ec-point" : "rsa-public-exponent", b,
                     (o->rec.flags & SIGIL_OBJ_LOCAL) ? "yes" : "no", state_name(t->policy.state),
                     t->policy.mode == SIGIL_POLICY_PER_SIGNATURE ? "per-signature" : "session",
                     (unsigned)t->policy.max_sigs, (unsigned)t->policy.max_secs, (unsigned)t->policy.mechs,
                     (unsigned long long)t->policy.not_before, (unsigned long long)t->policy.not_after);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

sigil_status fw_cmd_attest(sigil_fw *fw, fw_req *rq)
{
    uint32_t slot = sigil_rd_u32(rq->in);
    uint32_t handle = sigil_rd_u32(rq->in);
    char *stmt = NULL;
    uint8_t sig[64];
    sigil_status st;
    size_t n = 0;

    rq->audit.slot = slot;
    rq->audit.handle = handle;
    if (!sigil_rd_done(rq->in))
        return SIGIL_ST_BAD_FRAME;
    st = fw_slot_check(fw, slot);
    if (st != SIGIL_ST_OK)
        return st;
    /* The private key, or the one whose public half this handle is (the public key is
     * visible without the seal user's login). */
    fw_object *o = fw_keystore_get_private(fw, slot, handle);
    if (o == NULL)
        o = fw_keystore_get_private_of_public(fw, slot, handle);
    if (o == NULL)
        return SIGIL_ST_OBJECT_INVALID;
    stmt = malloc(ATTEST_MAX);
    if (stmt == NULL) {
        st = SIGIL_ST_NO_MEMORY;
        goto out;
    }
    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    n = write_statement(fw, slot, t, o, stmt, ATTEST_MAX);
    pthread_mutex_unlock(&t->lock);
    st = n > 0 ? fw_devkey_sign(fw->attest_key, (const uint8_t *)stmt, n, sig) : SIGIL_ST_GENERAL_ERROR;
    if (st != SIGIL_ST_OK)
        goto out;
    sigil_wr_bytes(rq->out, (const uint8_t *)stmt, n);
    sigil_wr_bytes(rq->out, sig, sizeof(sig));
out:
    free(stmt);
    fw_object_put(o);
    return st;
}

/* Destroys every key, record and the root secret. The audit trail stays (it holds
 * no secret) and says what happened. */
sigil_status fw_zeroize(sigil_fw *fw, uint16_t event)
{
    sigil_status st = SIGIL_ST_OK;
    sigil_audit_rec r = {.event = event, .role = SIGIL_AUDIT_ROLE_DEVICE, .slot = SIGIL_AUDIT_NO_SLOT};

    atomic_store(&fw->zeroized, true);
    /* Recorded before, as far as the trail can be written: zeroisation goes on regardless. */
    bool recorded = fw_audit_write(fw, &r) == SIGIL_ST_OK;
    for (uint32_t slot = 0; slot < fw->cfg.slot_count; slot++) {
        fw_token *t = &fw->tokens[slot];
        pthread_mutex_lock(&t->lock);
        if (fw_keystore_wipe_slot_locked(fw, slot) != SIGIL_ST_OK)
            st = SIGIL_ST_STORAGE_FAILURE;
        t->initialised = false;
        t->damaged = false;
        sigil_wipe(&t->so, sizeof(t->so));
        sigil_wipe(&t->user, sizeof(t->user));
        if (fw_token_save_locked(fw, slot) != SIGIL_ST_OK)
            st = SIGIL_ST_STORAGE_FAILURE;
        pthread_mutex_unlock(&t->lock);
    }
    /* The trail stays; what vouched for its length was sealed under the old root secret. */
    if (fw->plat->ops->store_remove(fw->plat, "audit-head") != SIGIL_STORE_OK ||
        fw->plat->ops->store_remove(fw->plat, "device-keys") != SIGIL_STORE_OK ||
        fw->plat->ops->store_remove(fw->plat, "appliance") != SIGIL_STORE_OK ||
        fw->plat->ops->root_secret_destroy(fw->plat) != 0)
        st = SIGIL_ST_STORAGE_FAILURE;
    pthread_mutex_lock(&fw->appl_lock);
    sigil_wipe(&fw->admin, sizeof(fw->admin));
    sigil_wipe(&fw->auditor, sizeof(fw->auditor));
    sigil_wipe(fw->storage_key, sizeof(fw->storage_key));
    fw->initialised = false;
    pthread_mutex_unlock(&fw->appl_lock);
    return st == SIGIL_ST_OK && !recorded ? SIGIL_ST_AUDIT_FAILURE : st;
}

sigil_status fw_cmd_zeroize(sigil_fw *fw, fw_req *rq)
{
    char confirm[32];
    sigil_rd_str(rq->in, confirm, 16);
    if (!sigil_rd_done(rq->in))
        return SIGIL_ST_BAD_FRAME;
    /* Confirmed by naming the device: its serial. */
    if (strlen(confirm) != strlen(fw->serial) || !sigil_ct_equal(confirm, fw->serial, strlen(fw->serial)))
        return SIGIL_ST_BAD_ARGUMENT;
    return fw_zeroize(fw, SIGIL_OP_ZEROIZE);
}

sigil_status sigil_fw_tamper(sigil_fw *fw)
{
    return fw_zeroize(fw, SIGIL_AUDIT_EV_TAMPER);
}

bool sigil_fw_zeroized(const sigil_fw *fw)
{
    return atomic_load(&fw->zeroized);
}
