/* appctx.c — application contexts: the login state an application holds across
 * all its connections (specs/protocol.md, "Application context"). */
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

sigil_status fw_appctx_join(sigil_fw *fw, sigil_fw_conn *conn, const uint8_t token[SIGIL_APP_TOKEN_LEN])
{
    sigil_status st = SIGIL_ST_OK;
    fw_appctx *c;

    pthread_mutex_lock(&fw->lock);
    if (conn->ctx != NULL) {
        st = SIGIL_ST_BAD_ARGUMENT; /* a second HELLO on one connection */
        goto out;
    }
    for (c = fw->contexts; c != NULL; c = c->next) {
        if (sigil_ct_equal(c->token, token, SIGIL_APP_TOKEN_LEN))
            break;
    }
    if (c == NULL) {
        c = calloc(1, sizeof(*c));
        if (c == NULL) {
            st = SIGIL_ST_NO_MEMORY;
            goto out;
        }
        c->login = calloc(fw->cfg.slot_count, sizeof(fw_login));
        if (c->login == NULL) {
            free(c);
            st = SIGIL_ST_NO_MEMORY;
            goto out;
        }
        memcpy(c->token, token, SIGIL_APP_TOKEN_LEN);
        c->id = atomic_fetch_add(&fw->next_ctx_id, 1) + 1;
        c->next = fw->contexts;
        fw->contexts = c;
    }
    if (c->conns >= SIGIL_FW_MAX_CONNS_PER_APP) {
        st = SIGIL_ST_BUSY; /* one application cannot take every connection */
        goto out;
    }
    c->conns++;
    conn->ctx = c;
out:
    pthread_mutex_unlock(&fw->lock);
    return st;
}

void fw_appctx_leave(sigil_fw *fw, sigil_fw_conn *conn)
{
    fw_appctx **pp;

    pthread_mutex_lock(&fw->lock);
    if (conn->ctx != NULL && --conn->ctx->conns == 0) {
        for (pp = &fw->contexts; *pp != NULL; pp = &(*pp)->next) {
            if (*pp == conn->ctx) {
                *pp = conn->ctx->next;
                break;
            }
        }
        free(conn->ctx->login);
        sigil_wipe(conn->ctx, sizeof(*conn->ctx));
        free(conn->ctx);
    }
    conn->ctx = NULL;
    pthread_mutex_unlock(&fw->lock);
}

uint8_t fw_login_state(sigil_fw *fw, const sigil_fw_conn *conn, uint32_t slot)
{
    uint8_t s = SIGIL_LOGIN_NONE;
    pthread_mutex_lock(&fw->lock);
    if (conn->ctx != NULL && slot < fw->cfg.slot_count)
        s = conn->ctx->login[slot].state;
    pthread_mutex_unlock(&fw->lock);
    return s;
}

void fw_login_set(sigil_fw *fw, sigil_fw_conn *conn, uint32_t slot, uint8_t state)
{
    pthread_mutex_lock(&fw->lock);
    if (conn->ctx != NULL && slot < fw->cfg.slot_count) {
        fw_login *l = &conn->ctx->login[slot];
        l->state = state;
        l->since_ms = fw->plat->ops->monotonic_ms(fw->plat);
        l->sigs = 0;
        l->grants = 0;
    }
    pthread_mutex_unlock(&fw->lock);
}

void fw_login_grant(sigil_fw *fw, sigil_fw_conn *conn, uint32_t slot)
{
    pthread_mutex_lock(&fw->lock);
    if (conn->ctx != NULL && slot < fw->cfg.slot_count && conn->ctx->login[slot].grants < UINT32_MAX)
        conn->ctx->login[slot].grants++;
    pthread_mutex_unlock(&fw->lock);
}

sigil_status fw_login_authorise_sign(sigil_fw *fw, sigil_fw_conn *conn, uint32_t slot, const fw_policy *p,
                                     uint32_t count)
{
    sigil_status st = SIGIL_ST_NOT_LOGGED_IN;
    uint64_t now = fw->plat->ops->monotonic_ms(fw->plat);

    pthread_mutex_lock(&fw->lock);
    if (conn->ctx == NULL || slot >= fw->cfg.slot_count)
        goto out;
    fw_login *l = &conn->ctx->login[slot];
    if (l->state != SIGIL_LOGIN_USER)
        goto out;
    if (p->mode == SIGIL_POLICY_PER_SIGNATURE) {
        if (l->grants < count)
            goto out; /* a context-specific login for each signature, or none is made */
        l->grants -= count;
    } else if ((p->max_sigs != 0 && l->sigs >= p->max_sigs) ||
               (p->max_secs != 0 && now - l->since_ms >= (uint64_t)p->max_secs * 1000u)) {
        /* The batch authorisation is spent: the application must log in again. */
        memset(l, 0, sizeof(*l));
        goto out;
    } else if (p->max_sigs != 0 && p->max_sigs - l->sigs < count) {
        st = SIGIL_ST_BUDGET_EXCEEDED; /* more than is left: nothing is spent */
        goto out;
    }
    l->sigs += count;
    st = SIGIL_ST_OK;
out:
    pthread_mutex_unlock(&fw->lock);
    return st;
}

uint8_t fw_appliance_role(sigil_fw *fw, const sigil_fw_conn *conn)
{
    pthread_mutex_lock(&fw->lock);
    uint8_t role = conn->ctx != NULL ? conn->ctx->role : SIGIL_AUDIT_ROLE_NONE;
    pthread_mutex_unlock(&fw->lock);
    return role;
}

void fw_appliance_role_set(sigil_fw *fw, sigil_fw_conn *conn, uint8_t role)
{
    pthread_mutex_lock(&fw->lock);
    if (conn->ctx != NULL)
        conn->ctx->role = role;
    pthread_mutex_unlock(&fw->lock);
}

bool fw_slot_in_use(sigil_fw *fw, uint32_t slot)
{
    bool used = false;
    pthread_mutex_lock(&fw->lock);
    for (fw_appctx *c = fw->contexts; c != NULL && !used; c = c->next)
        used = slot < fw->cfg.slot_count && c->login[slot].state != SIGIL_LOGIN_NONE;
    pthread_mutex_unlock(&fw->lock);
    return used;
}

sigil_fw_conn *sigil_fw_conn_new(sigil_fw *fw)
{
    sigil_fw_conn *conn = calloc(1, sizeof(*conn));
    if (conn != NULL)
        conn->fw = fw;
    return conn;
}

bool sigil_fw_conn_joined(const sigil_fw_conn *conn)
{
    pthread_mutex_lock(&conn->fw->lock);
    bool joined = conn->ctx != NULL;
    pthread_mutex_unlock(&conn->fw->lock);
    return joined;
}

void sigil_fw_conn_free(sigil_fw_conn *conn)
{
    if (conn == NULL)
        return;
    fw_appctx_leave(conn->fw, conn);
    free(conn);
}

uint32_t fw_ctx_id(sigil_fw *fw, const sigil_fw_conn *conn)
{
    pthread_mutex_lock(&fw->lock);
    uint32_t id = conn->ctx != NULL ? conn->ctx->id : 0;
    pthread_mutex_unlock(&fw->lock);
    return id;
}
