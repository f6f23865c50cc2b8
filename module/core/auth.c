/* auth.c — application-wide login per slot (PKCS#11 v2.40 §5.6), token and PIN set-up.
 *
 * The module checks the PKCS#11 state rules locally (already logged in, another user, R/O
 * sessions and SO), then the appliance decides (PIN, lockout, policy). PINs are encoded into a
 * stack request buffer that is wiped after the call.
 */
#include <string.h>

#include "auth.h"
#include "object.h"
#include "session.h"
#include "sigil_secmem.h"
#include "slot.h"
#include "wire.h"

#define SIGIL_PIN_REQ_CAP (16u + 2u * (4u + SIGIL_PIN_MAX_LEN) + 4u + SIGIL_LABEL_MAX_LEN)

static CK_RV check_pin_len(size_t n)
{
    return n > SIGIL_PIN_MAX_LEN ? CKR_PIN_LEN_RANGE : CKR_OK;
}

/* Lock held. The PKCS#11 rules for a login of type on session s. */
static CK_RV login_allowed(const sigil_module *m, const sigil_session *s, CK_USER_TYPE type)
{
    const sigil_slot *sl = &m->slots[s->slot];
    switch (type) {
    case CKU_SO:
        if (sl->login == SIGIL_LOGIN_SO)
            return CKR_USER_ALREADY_LOGGED_IN;
        if (sl->login == SIGIL_LOGIN_USER)
            return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
        if (sl->sessions > sl->rw_sessions)
            return CKR_SESSION_READ_ONLY_EXISTS;
        return CKR_OK;
    case CKU_USER:
        if (sl->login == SIGIL_LOGIN_USER)
            return CKR_USER_ALREADY_LOGGED_IN;
        if (sl->login == SIGIL_LOGIN_SO)
            return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
        return CKR_OK;
    case CKU_CONTEXT_SPECIFIC:
        if (s->ops[SIGIL_OPK_SIGN].state == SIGIL_OPSTATE_NONE)
            return CKR_OPERATION_NOT_INITIALIZED;
        if (sl->login != SIGIL_LOGIN_USER)
            return CKR_USER_NOT_LOGGED_IN;
        return CKR_OK;
    default:
        return CKR_USER_TYPE_INVALID;
    }
}

CK_RV sigil_core_login(sigil_module *m, CK_SESSION_HANDLE hs, CK_USER_TYPE type, const uint8_t *pin,
                       size_t pin_len)
{
    sigil_session *s = NULL;
    uint8_t req[SIGIL_PIN_REQ_CAP];
    sigil_wr w;
    CK_RV rv = check_pin_len(pin_len);

    sigil_wr_init(&w, req, sizeof(req));
    sigil_module_lock(m);
    if (rv == CKR_OK)
        rv = sigil_session_lookup(m, hs, &s);
    if (rv == CKR_OK)
        rv = login_allowed(m, s, type);
    if (rv != CKR_OK) {
        sigil_module_unlock(m);
        goto out;
    }
    uint32_t slot = (uint32_t)s->slot;
    sigil_module_unlock(m);

    sigil_wr_u32(&w, slot);
    sigil_wr_u32(&w, (uint32_t)type);
    sigil_wr_bytes(&w, pin, pin_len);
    rv = sigil_wire_call_empty(m, SIGIL_OP_LOGIN, &w);

    sigil_module_lock(m);
    sigil_slot *sl = &m->slots[slot];
    sigil_tokinfo_stale(sl); /* PIN counters and flags may have changed, whatever the outcome */
    if (type != CKU_CONTEXT_SPECIFIC && (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)) {
        /* ALREADY_LOGGED_IN from the appliance: it knows better than the module's cache. */
        sl->login = type == CKU_SO ? SIGIL_LOGIN_SO : SIGIL_LOGIN_USER;
        sigil_objcache_clear(sl); /* private objects appear */
    }
    sigil_module_unlock(m);
out:
    sigil_wipe(req, sizeof(req));
    return rv;
}

void sigil_login_forget(sigil_module *m, uint32_t slot)
{
    sigil_module_lock(m);
    if (m->slots[slot].login == SIGIL_LOGIN_USER) { /* an SO is told NOT_LOGGED_IN for user commands */
        m->slots[slot].login = SIGIL_LOGIN_NONE;
        sigil_objcache_clear(&m->slots[slot]);
        sigil_sessobj_drop_private(&m->slots[slot]);
        sigil_tokinfo_stale(&m->slots[slot]);
    }
    sigil_module_unlock(m);
}

CK_RV sigil_core_logout(sigil_module *m, CK_SESSION_HANDLE hs)
{
    sigil_session *s = NULL;
    uint8_t req[8];
    sigil_wr w;

    sigil_module_lock(m);
    CK_RV rv = sigil_session_lookup(m, hs, &s);
    if (rv == CKR_OK && m->slots[s->slot].login == SIGIL_LOGIN_NONE)
        rv = CKR_USER_NOT_LOGGED_IN;
    if (rv != CKR_OK) {
        sigil_module_unlock(m);
        return rv;
    }
    uint32_t slot = (uint32_t)s->slot;
    sigil_module_unlock(m);

    sigil_wr_init(&w, req, sizeof(req));
    sigil_wr_u32(&w, slot);
    rv = sigil_wire_call_empty(m, SIGIL_OP_LOGOUT, &w);
    if (rv == CKR_USER_NOT_LOGGED_IN) /* the appliance already forgot it (e.g. it restarted) */
        rv = CKR_OK;
    if (rv == CKR_OK) {
        /* PKCS#11 v2.40 §5.6 C_Logout: the private session objects are destroyed. */
        sigil_module_lock(m);
        m->slots[slot].login = SIGIL_LOGIN_NONE;
        sigil_objcache_clear(&m->slots[slot]);
        sigil_sessobj_drop_private(&m->slots[slot]);
        sigil_tokinfo_stale(&m->slots[slot]);
        sigil_module_unlock(m);
    }
    return rv;
}

CK_RV sigil_core_init_token(sigil_module *m, CK_SLOT_ID slot, const uint8_t *pin, size_t pin_len,
                            const uint8_t label[32])
{
    uint8_t req[SIGIL_PIN_REQ_CAP];
    char lab[SIGIL_LABEL_MAX_LEN + 1];
    sigil_wr w;
    CK_RV rv = CKR_SLOT_ID_INVALID;

    sigil_wr_init(&w, req, sizeof(req));
    if (slot >= m->slot_count)
        goto out;
    rv = check_pin_len(pin_len);
    if (rv != CKR_OK)
        goto out;
    /* 32 bytes blank-padded: cut at a NUL, drop the padding. */
    size_t n = 0;
    while (n < SIGIL_LABEL_MAX_LEN && label[n] != '\0')
        n++;
    while (n > 0 && label[n - 1] == ' ')
        n--;
    memcpy(lab, label, n);
    lab[n] = '\0';

    sigil_module_lock(m);
    rv = m->slots[slot].sessions > 0 ? CKR_SESSION_EXISTS : CKR_OK;
    sigil_module_unlock(m);
    if (rv != CKR_OK)
        goto out;

    sigil_wr_u32(&w, (uint32_t)slot);
    sigil_wr_bytes(&w, pin, pin_len);
    sigil_wr_str(&w, lab);
    rv = sigil_wire_call_empty(m, SIGIL_OP_INIT_TOKEN, &w);
    sigil_module_lock(m);
    sigil_tokinfo_stale(&m->slots[slot]);
    if (rv == CKR_OK) {
        m->slots[slot].login = SIGIL_LOGIN_NONE;
        sigil_objcache_clear(&m->slots[slot]);
    }
    sigil_module_unlock(m);
out:
    sigil_wipe(req, sizeof(req));
    return rv;
}

CK_RV sigil_core_init_pin(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *pin, size_t pin_len)
{
    sigil_session *s = NULL;
    uint8_t req[SIGIL_PIN_REQ_CAP];
    sigil_wr w;
    CK_RV rv = check_pin_len(pin_len);

    sigil_wr_init(&w, req, sizeof(req));
    sigil_module_lock(m);
    if (rv == CKR_OK)
        rv = sigil_session_lookup(m, hs, &s);
    if (rv == CKR_OK && sigil_session_state(m, s) != CKS_RW_SO_FUNCTIONS)
        rv = CKR_USER_NOT_LOGGED_IN;
    uint32_t slot = s != NULL ? (uint32_t)s->slot : 0;
    sigil_module_unlock(m);
    if (rv != CKR_OK)
        goto out;

    sigil_wr_u32(&w, slot);
    sigil_wr_bytes(&w, pin, pin_len);
    rv = sigil_wire_call_empty(m, SIGIL_OP_INIT_PIN, &w);
    sigil_module_lock(m);
    sigil_tokinfo_stale(&m->slots[slot]);
    sigil_module_unlock(m);
out:
    sigil_wipe(req, sizeof(req));
    return rv;
}

CK_RV sigil_core_set_pin(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *old_pin, size_t old_len,
                         const uint8_t *new_pin, size_t new_len)
{
    sigil_session *s = NULL;
    uint8_t req[SIGIL_PIN_REQ_CAP];
    sigil_wr w;
    CK_RV rv = check_pin_len(old_len);

    if (rv == CKR_OK)
        rv = check_pin_len(new_len);
    sigil_wr_init(&w, req, sizeof(req));
    sigil_module_lock(m);
    if (rv == CKR_OK)
        rv = sigil_session_lookup(m, hs, &s);
    if (rv == CKR_OK && !s->rw)
        rv = CKR_SESSION_READ_ONLY;
    uint32_t slot = s != NULL ? (uint32_t)s->slot : 0;
    sigil_module_unlock(m);
    if (rv != CKR_OK)
        goto out;

    sigil_wr_u32(&w, slot);
    sigil_wr_bytes(&w, old_pin, old_len);
    sigil_wr_bytes(&w, new_pin, new_len);
    rv = sigil_wire_call_empty(m, SIGIL_OP_SET_PIN, &w);
    sigil_module_lock(m);
    sigil_tokinfo_stale(&m->slots[slot]);
    sigil_module_unlock(m);
out:
    sigil_wipe(req, sizeof(req));
    return rv;
}
