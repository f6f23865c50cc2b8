/* cmd_policy.c — a seal's authorisation policy and life-cycle state (administrator). */
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

sigil_status fw_cmd_policy_set(sigil_fw *fw, fw_req *rq)
{
    sigil_rd *in = rq->in;
    uint32_t slot = sigil_rd_u32(in);
    fw_policy p;
    sigil_status st;

    rq->audit.slot = slot;
    fw_policy_default(&p);
    p.mode = sigil_rd_u8(in);
    p.max_sigs = sigil_rd_u32(in);
    p.max_secs = sigil_rd_u32(in);
    p.mechs = sigil_rd_u32(in);
    p.not_before = sigil_rd_u64(in);
    p.not_after = sigil_rd_u64(in);
    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    st = fw_slot_check(fw, slot);
    if (st != SIGIL_ST_OK)
        return st;
    if (p.mode > SIGIL_POLICY_PER_SIGNATURE || (p.not_after != 0 && p.not_after < p.not_before))
        return SIGIL_ST_BAD_ARGUMENT;
    rq->audit.mech = p.mode;

    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    if (!t->initialised) {
        st = SIGIL_ST_TOKEN_NOT_INITIALIZED;
        goto out;
    }
    fw_policy old = t->policy;
    p.state = old.state; /* the state changes only through SEAL_STATE */
    t->policy = p;
    st = fw_token_save_locked(fw, slot);
    if (st != SIGIL_ST_OK) {
        t->policy = old;
        goto out;
    }
    fw_policy_apply_flags_locked(t);
out:
    pthread_mutex_unlock(&t->lock);
    return st;
}

sigil_status fw_cmd_policy_get(sigil_fw *fw, fw_req *rq)
{
    uint32_t slot;
    sigil_status st = fw_req_slot_only(fw, rq, &slot);

    if (st != SIGIL_ST_OK)
        return st;
    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    if (!t->initialised) {
        st = SIGIL_ST_TOKEN_NOT_INITIALIZED;
    } else {
        fw_policy_write(rq->out, &t->policy);
        sigil_wr_u64(rq->out, t->sig_count);
    }
    pthread_mutex_unlock(&t->lock);
    return st;
}

/* active <-> suspended; anything -> revoked (the seal's private keys are destroyed);
 * revoked is final. */
sigil_status fw_cmd_seal_state(sigil_fw *fw, fw_req *rq)
{
    sigil_rd *in = rq->in;
    uint32_t slot = sigil_rd_u32(in);
    uint8_t want = sigil_rd_u8(in);
    sigil_status st;

    rq->audit.slot = slot;
    rq->audit.mech = want;
    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    st = fw_slot_check(fw, slot);
    if (st != SIGIL_ST_OK)
        return st;
    if (want < SIGIL_SEAL_ACTIVE || want > SIGIL_SEAL_REVOKED)
        return SIGIL_ST_BAD_ARGUMENT;
    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    if (!t->initialised) {
        st = SIGIL_ST_TOKEN_NOT_INITIALIZED;
        goto out;
    }
    if (t->policy.state == SIGIL_SEAL_REVOKED) {
        st = SIGIL_ST_SEAL_REVOKED;
        goto out;
    }
    uint8_t old = t->policy.state;
    t->policy.state = want;
    /* Revocation is written first, so a crash in the middle of destroying the
     * keys leaves a revoked seal (the keys go at the next start), never a live one. */
    st = fw_token_save_locked(fw, slot);
    if (st != SIGIL_ST_OK) {
        t->policy.state = old;
        goto out;
    }
    if (want == SIGIL_SEAL_REVOKED)
        st = fw_keystore_destroy_private_locked(fw, slot);
out:
    pthread_mutex_unlock(&t->lock);
    return st;
}

#define RETIRED_NAME "retired-serials"
#define RETIRED_MAX 4096u

/* The serials of destroyed seals, so that no backup brings one back. */
static sigil_status retired_load(sigil_fw *fw, uint8_t *buf, size_t cap, size_t *len)
{
    sigil_status st = fw_sealed_read(fw, RETIRED_NAME, buf, cap, len);
    if (st == SIGIL_ST_OBJECT_INVALID) {
        *len = 0;
        st = SIGIL_ST_OK;
    }
    return st;
}

bool fw_serial_retired(sigil_fw *fw, const char *serial)
{
    size_t cap = RETIRED_MAX * FW_SERIAL_LEN, len = 0;
    uint8_t *buf = malloc(cap);
    bool found = false;
    if (buf == NULL || retired_load(fw, buf, cap, &len) != SIGIL_ST_OK) {
        free(buf);
        return true; /* cannot tell: assume it was (a restore is refused, never wrongly allowed) */
    }
    for (size_t off = 0; off + FW_SERIAL_LEN <= len && !found; off += FW_SERIAL_LEN)
        found = strlen(serial) == FW_SERIAL_LEN && memcmp(buf + off, serial, FW_SERIAL_LEN) == 0;
    free(buf);
    return found;
}

/* Frees a seal's slot: its keys and records are destroyed and its serial retired. */
sigil_status fw_cmd_seal_destroy(sigil_fw *fw, fw_req *rq)
{
    uint32_t slot;
    sigil_status st = fw_req_slot_only(fw, rq, &slot);
    size_t cap = RETIRED_MAX * FW_SERIAL_LEN, len = 0;
    uint8_t *buf = NULL;

    if (st != SIGIL_ST_OK)
        return st;
    if (fw_slot_in_use(fw, slot))
        return SIGIL_ST_SLOT_IN_USE;
    buf = malloc(cap);
    if (buf == NULL)
        return SIGIL_ST_NO_MEMORY;
    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    if (!t->initialised) {
        st = SIGIL_ST_TOKEN_NOT_INITIALIZED;
        goto out;
    }
    st = retired_load(fw, buf, cap, &len);
    if (st == SIGIL_ST_OK && len + FW_SERIAL_LEN > cap)
        st = SIGIL_ST_OBJECT_LIMIT;
    if (st != SIGIL_ST_OK)
        goto out;
    /* Retire the serial first: a crash after it leaves a seal that can still be destroyed,
     * never a free slot whose seal a backup could bring back. */
    memcpy(buf + len, t->serial, FW_SERIAL_LEN);
    st = fw_sealed_write(fw, RETIRED_NAME, buf, len + FW_SERIAL_LEN);
    if (st == SIGIL_ST_OK)
        st = fw_keystore_wipe_slot_locked(fw, slot);
    if (st == SIGIL_ST_OK) {
        t->initialised = false;
        sigil_wipe(&t->so, sizeof(t->so));
        sigil_wipe(&t->user, sizeof(t->user));
        fw_policy_default(&t->policy);
        t->sig_count = t->sig_reserved = 0;
        st = fw_token_save_locked(fw, slot); /* removes the record */
    }
out:
    pthread_mutex_unlock(&t->lock);
    free(buf);
    return st;
}
