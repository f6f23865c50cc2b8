/* cmd_policy.c — a seal's authorisation policy and life-cycle state (administrator). */
#include "fw_internal.h"

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
