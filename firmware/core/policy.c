/* policy.c — a seal's authorisation policy and usage counter. */
#include <string.h>

#include "fw_internal.h"

void fw_policy_default(fw_policy *p)
{
    memset(p, 0, sizeof(*p));
    p->mode = SIGIL_POLICY_SESSION;
    p->state = SIGIL_SEAL_ACTIVE;
}

void fw_policy_write(sigil_wr *w, const fw_policy *p)
{
    sigil_wr_u8(w, p->mode);
    sigil_wr_u8(w, p->state);
    sigil_wr_u32(w, p->max_sigs);
    sigil_wr_u32(w, p->max_secs);
    sigil_wr_u32(w, p->mechs);
    sigil_wr_u64(w, p->not_before);
    sigil_wr_u64(w, p->not_after);
}

void fw_policy_read(sigil_rd *r, fw_policy *p)
{
    p->mode = sigil_rd_u8(r);
    p->state = sigil_rd_u8(r);
    p->max_sigs = sigil_rd_u32(r);
    p->max_secs = sigil_rd_u32(r);
    p->mechs = sigil_rd_u32(r);
    p->not_before = sigil_rd_u64(r);
    p->not_after = sigil_rd_u64(r);
    if (p->mode > SIGIL_POLICY_PER_SIGNATURE || p->state < SIGIL_SEAL_ACTIVE || p->state > SIGIL_SEAL_REVOKED ||
        (p->not_after != 0 && p->not_after < p->not_before))
        r->failed = true;
}

sigil_status fw_policy_check_locked(sigil_fw *fw, uint32_t slot, uint8_t mech)
{
    fw_token *t = &fw->tokens[slot];
    const fw_policy *p = &t->policy;
    uint64_t now = fw->plat->ops->time_now(fw->plat);

    if (p->state == SIGIL_SEAL_REVOKED)
        return SIGIL_ST_SEAL_REVOKED;
    if (p->state == SIGIL_SEAL_SUSPENDED)
        return SIGIL_ST_SEAL_SUSPENDED;
    if ((p->not_before != 0 && now < p->not_before) || (p->not_after != 0 && now > p->not_after))
        return SIGIL_ST_OUTSIDE_VALIDITY;
    if (p->mechs != 0 && (mech >= 32 || (p->mechs & SIGIL_MECH_BIT(mech)) == 0))
        return SIGIL_ST_MECHANISM_NOT_ALLOWED;
    return SIGIL_ST_OK;
}

sigil_status fw_policy_count_locked(sigil_fw *fw, uint32_t slot, uint32_t count)
{
    fw_token *t = &fw->tokens[slot];
    if (t->sig_count + count > t->sig_reserved) {
        /* Reserve the next block in storage before any of it is spent: a crash
         * loses at most a block of counts, it never makes the counter go back. */
        uint64_t before = t->sig_reserved;
        t->sig_reserved = t->sig_count + count + FW_SIG_RESERVE_BLOCK;
        sigil_status st = fw_token_save_locked(fw, slot);
        if (st != SIGIL_ST_OK) {
            t->sig_reserved = before;
            return st;
        }
    }
    t->sig_count += count;
    return SIGIL_ST_OK;
}

void fw_policy_apply_flags_locked(fw_token *t)
{
    for (fw_object *o = t->objects; o != NULL; o = o->next) {
        if (o->rec.obj_class != SIGIL_CLASS_PRIVATE_KEY)
            continue;
        if (t->policy.mode == SIGIL_POLICY_PER_SIGNATURE)
            o->rec.flags |= SIGIL_OBJ_ALWAYS_AUTH;
        else
            o->rec.flags &= ~SIGIL_OBJ_ALWAYS_AUTH;
    }
}
