/* cmd_token.c — seal slots: list, info, initialise, create, login, PINs. */
#include <stdio.h>
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

/* A seal label is one line of printable text: no control characters (it is shown
 * to administrators and written into signed attestation statements). */
static sigil_status label_ok(const char *label)
{
    for (const unsigned char *p = (const unsigned char *)label; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return SIGIL_ST_BAD_ARGUMENT;
    }
    return SIGIL_ST_OK;
}

static sigil_status save_token(sigil_fw *fw, void *ctx)
{
    return fw_token_save_locked(fw, *(const uint32_t *)ctx);
}

/* Makes a free slot a seal: label, fresh serial, SO PIN and optional user PIN. */
static sigil_status token_create_locked(sigil_fw *fw, uint32_t slot, const char *label,
                                        const uint8_t *so_pin, size_t so_len,
                                        const uint8_t *user_pin, size_t user_len)
{
    fw_token *t = &fw->tokens[slot];
    uint8_t rnd[FW_SERIAL_LEN / 2];
    sigil_status st;

    memset(&t->so, 0, sizeof(t->so));
    memset(&t->user, 0, sizeof(t->user));
    st = fw_cred_make(&t->so, so_pin, so_len, fw->cfg.kdf_iterations, fw->cfg.max_pin_tries);
    if (st == SIGIL_ST_OK && user_len > 0)
        st = fw_cred_make(&t->user, user_pin, user_len, fw->cfg.kdf_iterations,
                          fw->cfg.max_pin_tries);
    if (st == SIGIL_ST_OK)
        st = sigil_crypto_random(rnd, sizeof(rnd));
    if (st != SIGIL_ST_OK)
        goto out;
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(t->serial + 2 * i, 3, "%02x", rnd[i]);
    snprintf(t->label, sizeof(t->label), "%s", label);
    fw_policy_default(&t->policy);
    t->sig_count = t->sig_reserved = 0;
    t->initialised = true;
    st = fw_token_save_locked(fw, slot);
out:
    if (st != SIGIL_ST_OK) {
        t->initialised = false;
        sigil_wipe(&t->so, sizeof(t->so));
        sigil_wipe(&t->user, sizeof(t->user));
    }
    return st;
}

sigil_status fw_cmd_slot_list(sigil_fw *fw, fw_req *rq)
{
    sigil_rd *in = rq->in;
    sigil_wr *out = rq->out;
    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    sigil_wr_u32(out, fw->cfg.slot_count);
    for (uint32_t i = 0; i < fw->cfg.slot_count; i++) {
        fw_token *t = &fw->tokens[i];
        pthread_mutex_lock(&t->lock);
        sigil_wr_u32(out, i);
        sigil_wr_u32(out, fw_token_flags_locked(t));
        sigil_wr_str(out, t->initialised ? t->label : "");
        pthread_mutex_unlock(&t->lock);
    }
    return SIGIL_ST_OK;
}

sigil_status fw_cmd_token_info(sigil_fw *fw, fw_req *rq)
{
    sigil_fw_conn *conn = rq->conn;
    sigil_wr *out = rq->out;
    uint32_t slot;
    sigil_status st = fw_req_slot_only(fw, rq, &slot);
    if (st != SIGIL_ST_OK)
        return st;
    uint8_t login = fw_login_state(fw, conn, slot);
    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    sigil_wr_u32(out, fw_token_flags_locked(t));
    sigil_wr_str(out, t->initialised ? t->label : "");
    sigil_wr_str(out, t->initialised ? t->serial : "");
    sigil_wr_u32(out, t->object_count);
    sigil_wr_u32(out, login);
    sigil_wr_u32(out, t->user.tries_left);
    sigil_wr_u32(out, t->so.tries_left);
    pthread_mutex_unlock(&t->lock);
    return SIGIL_ST_OK;
}

sigil_status fw_cmd_init_token(sigil_fw *fw, fw_req *rq)
{
    sigil_rd *in = rq->in;
    char label[SIGIL_LABEL_MAX_LEN + 1];
    size_t n = 0;
    uint32_t slot = sigil_rd_u32(in);
    rq->audit.slot = slot;
    const uint8_t *so_pin = sigil_rd_bytes(in, SIGIL_PIN_MAX_LEN, &n);
    sigil_status st;

    sigil_rd_str(in, label, SIGIL_LABEL_MAX_LEN);
    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    st = fw_slot_check(fw, slot);
    if (st == SIGIL_ST_OK)
        st = label_ok(label);
    if (st != SIGIL_ST_OK)
        return st;
    if (fw_slot_in_use(fw, slot))
        return SIGIL_ST_SLOT_IN_USE;

    pthread_mutex_lock(&fw->appl_lock);
    bool open_init = fw->token_init_open;
    pthread_mutex_unlock(&fw->appl_lock);
    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    if (!t->initialised) {
        /* A free slot becomes a seal this way only while the administrator allows it. */
        st = open_init ? token_create_locked(fw, slot, label, so_pin, n, NULL, 0) : SIGIL_ST_NOT_AUTHORIZED;
        goto out;
    }
    if (t->policy.state == SIGIL_SEAL_REVOKED) {
        st = SIGIL_ST_SEAL_REVOKED; /* revoked is final: not even its SO brings it back */
        goto out;
    }
    st = fw_cred_check(fw, &t->so, so_pin, n, save_token, &slot, &t->lock, &t->cred_done);
    if (st != SIGIL_ST_OK)
        goto out;
    /* Re-initialisation: every object goes, the user PIN with them. The policy is the
     * administrator's: the seal's SO does not reset it. */
    st = fw_keystore_wipe_slot_locked(fw, slot);
    if (st != SIGIL_ST_OK)
        goto out;
    sigil_wipe(&t->user, sizeof(t->user));
    snprintf(t->label, sizeof(t->label), "%s", label);
    st = fw_token_save_locked(fw, slot);
out:
    pthread_mutex_unlock(&t->lock);
    return st;
}

sigil_status fw_cmd_seal_create(sigil_fw *fw, fw_req *rq)
{
    sigil_rd *in = rq->in;
    sigil_wr *out = rq->out;
    char label[SIGIL_LABEL_MAX_LEN + 1];
    size_t so_len = 0, user_len = 0;
    sigil_status st = SIGIL_ST_NO_FREE_SLOT;

    sigil_rd_str(in, label, SIGIL_LABEL_MAX_LEN);
    const uint8_t *so_pin = sigil_rd_bytes(in, SIGIL_PIN_MAX_LEN, &so_len);
    const uint8_t *user_pin = sigil_rd_bytes(in, SIGIL_PIN_MAX_LEN, &user_len);
    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    if (label[0] == '\0' || label_ok(label) != SIGIL_ST_OK)
        return SIGIL_ST_BAD_ARGUMENT;
    if (fw_pin_len_ok(so_len) != SIGIL_ST_OK || (user_len > 0 && fw_pin_len_ok(user_len) != SIGIL_ST_OK))
        return SIGIL_ST_PIN_LEN_RANGE;

    for (uint32_t slot = 0; slot < fw->cfg.slot_count; slot++) {
        fw_token *t = &fw->tokens[slot];
        pthread_mutex_lock(&t->lock);
        if (!t->initialised && !t->damaged) {
            st = token_create_locked(fw, slot, label, so_pin, so_len, user_pin, user_len);
            pthread_mutex_unlock(&t->lock);
            if (st == SIGIL_ST_OK) {
                sigil_wr_u32(out, slot);
                rq->audit.slot = slot;
            }
            return st;
        }
        pthread_mutex_unlock(&t->lock);
    }
    return st;
}

sigil_status fw_cmd_login(sigil_fw *fw, fw_req *rq)
{
    sigil_fw_conn *conn = rq->conn;
    sigil_rd *in = rq->in;
    size_t n = 0;
    uint32_t slot = sigil_rd_u32(in);
    rq->audit.slot = slot;
    uint32_t type = sigil_rd_u32(in);
    const uint8_t *pin = sigil_rd_bytes(in, SIGIL_PIN_MAX_LEN, &n);
    sigil_status st;
    fw_cred *cred;
    uint8_t now, want;

    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    st = fw_slot_check(fw, slot);
    if (st != SIGIL_ST_OK)
        return st;
    now = fw_login_state(fw, conn, slot);
    switch (type) {
    case SIGIL_USER_SO:
        want = SIGIL_LOGIN_SO;
        break;
    case SIGIL_USER_USER:
        want = SIGIL_LOGIN_USER;
        break;
    case SIGIL_USER_CONTEXT:
        if (now != SIGIL_LOGIN_USER)
            return SIGIL_ST_NOT_LOGGED_IN;
        want = SIGIL_LOGIN_USER;
        break;
    default:
        return SIGIL_ST_USER_TYPE_INVALID;
    }
    if (type != SIGIL_USER_CONTEXT && now == want)
        return SIGIL_ST_ALREADY_LOGGED_IN;
    if (type != SIGIL_USER_CONTEXT && now != SIGIL_LOGIN_NONE)
        return SIGIL_ST_ANOTHER_USER_LOGGED_IN;

    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    if (!t->initialised) {
        st = SIGIL_ST_TOKEN_NOT_INITIALIZED;
        goto out;
    }
    cred = want == SIGIL_LOGIN_SO ? &t->so : &t->user;
    st = fw_cred_check(fw, cred, pin, n, save_token, &slot, &t->lock, &t->cred_done);
    if (st == SIGIL_ST_OK && type == SIGIL_USER_CONTEXT)
        fw_login_grant(fw, conn, slot);
    else if (st == SIGIL_ST_OK)
        fw_login_set(fw, conn, slot, want);
out:
    pthread_mutex_unlock(&t->lock);
    return st;
}

sigil_status fw_cmd_logout(sigil_fw *fw, fw_req *rq)
{
    sigil_fw_conn *conn = rq->conn;
    uint32_t slot;
    sigil_status st = fw_req_slot_only(fw, rq, &slot);
    if (st != SIGIL_ST_OK)
        return st;
    if (fw_login_state(fw, conn, slot) == SIGIL_LOGIN_NONE)
        return SIGIL_ST_NOT_LOGGED_IN;
    fw_login_set(fw, conn, slot, SIGIL_LOGIN_NONE);
    return SIGIL_ST_OK;
}

sigil_status fw_cmd_init_pin(sigil_fw *fw, fw_req *rq)
{
    sigil_rd *in = rq->in;
    size_t n = 0;
    uint32_t slot = sigil_rd_u32(in);
    rq->audit.slot = slot;
    const uint8_t *pin = sigil_rd_bytes(in, SIGIL_PIN_MAX_LEN, &n);
    sigil_status st;
    fw_cred cred;

    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    st = fw_cred_make(&cred, pin, n, fw->cfg.kdf_iterations, fw->cfg.max_pin_tries);
    if (st != SIGIL_ST_OK)
        return st;
    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    st = fw_cred_replace(fw, &t->user, &cred, save_token, &slot);
    pthread_mutex_unlock(&t->lock);
    return st;
}

sigil_status fw_cmd_set_pin(sigil_fw *fw, fw_req *rq)
{
    sigil_fw_conn *conn = rq->conn;
    sigil_rd *in = rq->in;
    size_t old_len = 0, new_len = 0;
    uint32_t slot = sigil_rd_u32(in);
    rq->audit.slot = slot;
    const uint8_t *old_pin = sigil_rd_bytes(in, SIGIL_PIN_MAX_LEN, &old_len);
    const uint8_t *new_pin = sigil_rd_bytes(in, SIGIL_PIN_MAX_LEN, &new_len);
    sigil_status st;
    fw_cred fresh;
    fw_cred *cred;

    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    st = fw_slot_check(fw, slot);
    if (st != SIGIL_ST_OK)
        return st;
    /* The new credential is made before any lock is taken (its KDF is slow). */
    st = fw_cred_make(&fresh, new_pin, new_len, fw->cfg.kdf_iterations, fw->cfg.max_pin_tries);
    if (st != SIGIL_ST_OK)
        return st;
    bool so = fw_login_state(fw, conn, slot) == SIGIL_LOGIN_SO;
    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    if (!t->initialised) {
        st = SIGIL_ST_TOKEN_NOT_INITIALIZED;
        goto out;
    }
    cred = so ? &t->so : &t->user;
    st = fw_cred_check(fw, cred, old_pin, old_len, save_token, &slot, &t->lock, &t->cred_done);
    if (st == SIGIL_ST_OK)
        st = fw_cred_replace(fw, cred, &fresh, save_token, &slot);
out:
    pthread_mutex_unlock(&t->lock);
    sigil_wipe(&fresh, sizeof(fresh));
    return st;
}
