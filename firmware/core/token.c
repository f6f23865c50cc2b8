/* token.c — seal slots as persisted: each initialised slot is one sealed record
 * "token-NNNN" (label, serial, SO and user credentials). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

#define TOKEN_RECORD_VERSION 2u

static void token_name(char *out, size_t cap, uint32_t slot)
{
    snprintf(out, cap, "token-%04u", (unsigned)slot);
}

sigil_status fw_slot_check(const sigil_fw *fw, uint32_t slot)
{
    return slot < fw->cfg.slot_count ? SIGIL_ST_OK : SIGIL_ST_SLOT_INVALID;
}

sigil_status fw_req_slot_only(const sigil_fw *fw, fw_req *rq, uint32_t *slot)
{
    *slot = sigil_rd_u32(rq->in);
    rq->audit.slot = *slot;
    if (!sigil_rd_done(rq->in))
        return SIGIL_ST_BAD_FRAME;
    return fw_slot_check(fw, *slot);
}

sigil_status fw_token_save_locked(sigil_fw *fw, uint32_t slot)
{
    fw_token *t = &fw->tokens[slot];
    char name[SIGIL_STORAGE_NAME_MAX];
    uint8_t buf[512];
    sigil_wr w;
    sigil_status st;

    token_name(name, sizeof(name), slot);
    if (!t->initialised) {
        return fw->plat->ops->store_remove(fw->plat, name) == SIGIL_STORE_OK
                   ? SIGIL_ST_OK
                   : SIGIL_ST_STORAGE_FAILURE;
    }
    sigil_wr_init(&w, buf, sizeof(buf));
    sigil_wr_u32(&w, TOKEN_RECORD_VERSION);
    sigil_wr_u32(&w, slot);
    sigil_wr_str(&w, t->label);
    sigil_wr_str(&w, t->serial);
    fw_cred_write(&w, &t->so);
    fw_cred_write(&w, &t->user);
    fw_policy_write(&w, &t->policy);
    sigil_wr_u64(&w, t->sig_reserved);
    st = sigil_wr_ok(&w) ? fw_sealed_write(fw, name, buf, w.len) : SIGIL_ST_GENERAL_ERROR;
    sigil_wipe(buf, sizeof(buf));
    return st;
}

static sigil_status token_load(sigil_fw *fw, uint32_t slot)
{
    fw_token *t = &fw->tokens[slot];
    char name[SIGIL_STORAGE_NAME_MAX];
    uint8_t buf[512];
    size_t len = 0;
    sigil_rd r;
    sigil_status st;

    token_name(name, sizeof(name), slot);
    st = fw_sealed_read(fw, name, buf, sizeof(buf), &len);
    if (st == SIGIL_ST_OBJECT_INVALID) {
        /* A free slot; objects found there are left from an interrupted restore. */
        st = fw_keystore_remove_orphans(fw, slot);
        goto out;
    }
    if (st == SIGIL_ST_INTEGRITY_FAILURE)
        goto damaged;
    if (st != SIGIL_ST_OK)
        goto out;
    sigil_rd_init(&r, buf, len);
    uint32_t version = sigil_rd_u32(&r);
    uint32_t stored_slot = sigil_rd_u32(&r);
    sigil_rd_str(&r, t->label, SIGIL_LABEL_MAX_LEN);
    sigil_rd_str(&r, t->serial, FW_SERIAL_LEN);
    fw_cred_read(&r, &t->so);
    fw_cred_read(&r, &t->user);
    fw_policy_read(&r, &t->policy);
    t->sig_reserved = sigil_rd_u64(&r);
    /* Counts since the last reservation are unknown after a restart: take the bound. */
    t->sig_count = t->sig_reserved;
    if (!sigil_rd_done(&r) || version != TOKEN_RECORD_VERSION || stored_slot != slot)
        goto damaged;
    t->initialised = true;
    st = fw_keystore_load_slot(fw, slot);
    if (st == SIGIL_ST_OK && t->policy.state == SIGIL_SEAL_REVOKED)
        st = fw_keystore_destroy_private_locked(fw, slot); /* finish an interrupted revocation */
    fw_policy_apply_flags_locked(t);
out:
    sigil_wipe(buf, sizeof(buf));
    return st;
damaged:
    /* One damaged seal record costs that seal, not the appliance: the slot is set aside
     * (counted with the refused blobs, recorded at start), its keys are left on disk for a
     * restore, and no new seal is created over it. */
    sigil_wipe(t->label, sizeof(t->label));
    sigil_wipe(t->serial, sizeof(t->serial));
    sigil_wipe(&t->so, sizeof(t->so));
    sigil_wipe(&t->user, sizeof(t->user));
    sigil_wipe(&t->policy, sizeof(t->policy));
    t->sig_reserved = t->sig_count = 0;
    t->damaged = true;
    fw->refused_blobs++;
    st = SIGIL_ST_OK;
    goto out;
}

sigil_status fw_tokens_load(sigil_fw *fw)
{
    fw->tokens = calloc(fw->cfg.slot_count, sizeof(fw_token));
    if (fw->tokens == NULL)
        return SIGIL_ST_NO_MEMORY;
    for (uint32_t i = 0; i < fw->cfg.slot_count; i++) {
        if (pthread_mutex_init(&fw->tokens[i].lock, NULL) != 0 ||
            pthread_cond_init(&fw->tokens[i].cred_done, NULL) != 0)
            return SIGIL_ST_NO_MEMORY;
    }
    for (uint32_t i = 0; i < fw->cfg.slot_count; i++) {
        sigil_status st = token_load(fw, i);
        if (st != SIGIL_ST_OK)
            return st;
    }
    return SIGIL_ST_OK;
}

void fw_tokens_free(sigil_fw *fw)
{
    if (fw->tokens == NULL)
        return;
    for (uint32_t i = 0; i < fw->cfg.slot_count; i++) {
        fw_keystore_free_list(fw->tokens[i].objects);
        pthread_cond_destroy(&fw->tokens[i].cred_done);
        pthread_mutex_destroy(&fw->tokens[i].lock);
    }
    sigil_wipe(fw->tokens, fw->cfg.slot_count * sizeof(fw_token));
    free(fw->tokens);
    fw->tokens = NULL;
}

uint32_t fw_token_flags_locked(const fw_token *t)
{
    uint32_t f = 0;
    if (!t->initialised)
        return 0;
    f |= SIGIL_TOKEN_INITIALIZED;
    if (t->user.set)
        f |= SIGIL_TOKEN_USER_PIN_INITIALIZED;
    if (t->user.set && t->user.tries_left == 0)
        f |= SIGIL_TOKEN_USER_PIN_LOCKED;
    if (t->so.set && t->so.tries_left == 0)
        f |= SIGIL_TOKEN_SO_PIN_LOCKED;
    if (t->user.failed_since_success)
        f |= SIGIL_TOKEN_USER_PIN_COUNT_LOW;
    if (t->so.failed_since_success)
        f |= SIGIL_TOKEN_SO_PIN_COUNT_LOW;
    return f;
}
