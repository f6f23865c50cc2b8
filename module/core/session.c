/* session.c — the module-local session table and state machine (PKCS#11 v2.40 §5.6).
 *
 * Sessions live in the module only; the appliance knows the application's login per slot.
 * A session's state is derived from that login and the session's R/W flag. Closing the last
 * session of a slot logs the application out of it (LOGOUT), as PKCS#11 requires.
 */
#include <stdlib.h>

#include "object.h"
#include "opslot.h"
#include "session.h"
#include "wire.h"

static size_t bucket(CK_SESSION_HANDLE h)
{
    return (size_t)(h % SIGIL_SESSION_BUCKETS);
}

sigil_session *sigil_session_find(sigil_module *m, CK_SESSION_HANDLE h)
{
    for (sigil_session *s = m->sessions[bucket(h)]; s != NULL; s = s->next)
        if (s->handle == h)
            return s;
    return NULL;
}

CK_RV sigil_session_lookup(sigil_module *m, CK_SESSION_HANDLE h, sigil_session **out)
{
    *out = sigil_session_find(m, h);
    return *out != NULL ? CKR_OK : CKR_SESSION_HANDLE_INVALID;
}

CK_STATE sigil_session_state(const sigil_module *m, const sigil_session *s)
{
    switch (m->slots[s->slot].login) {
    case SIGIL_LOGIN_USER: return s->rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
    case SIGIL_LOGIN_SO: return CKS_RW_SO_FUNCTIONS; /* SO login needs every session R/W */
    default: return s->rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
    }
}

void sigil_session_free(sigil_session *s)
{
    if (s == NULL)
        return;
    free(s->found);
    for (int k = 0; k < SIGIL_OPK_COUNT; k++)
        sigil_op_free((sigil_opkind)k, s->ops[k].op);
    free(s);
}

static void unlink_session(sigil_module *m, sigil_session *s)
{
    sigil_session **pp = &m->sessions[bucket(s->handle)];
    while (*pp != NULL && *pp != s)
        pp = &(*pp)->next;
    if (*pp == s)
        *pp = s->next;
    sigil_slot *sl = &m->slots[s->slot];
    sl->sessions--;
    m->n_sessions--;
    if (s->rw) {
        sl->rw_sessions--;
        m->n_rw_sessions--;
    }
}

void sigil_session_free_all(sigil_module *m)
{
    for (size_t b = 0; b < SIGIL_SESSION_BUCKETS; b++) {
        sigil_session *s = m->sessions[b];
        while (s != NULL) {
            sigil_session *next = s->next;
            sigil_session_free(s);
            s = next;
        }
        m->sessions[b] = NULL;
    }
}

CK_RV sigil_core_open_session(sigil_module *m, CK_SLOT_ID slot, CK_FLAGS flags, CK_SESSION_HANDLE *out)
{
    CK_RV rv = CKR_SLOT_ID_INVALID;
    sigil_session *s = NULL;

    if (slot >= m->slot_count)
        return rv;
    if (!(flags & CKF_SERIAL_SESSION))
        return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return CKR_HOST_MEMORY;
    s->slot = slot;
    s->rw = (flags & CKF_RW_SESSION) != 0;

    sigil_module_lock(m);
    sigil_slot *sl = &m->slots[slot];
    if (!s->rw && sl->login == SIGIL_LOGIN_SO) {
        rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
        goto out;
    }
    if (m->n_sessions >= SIGIL_MAX_SESSIONS) {
        rv = CKR_SESSION_COUNT; /* one application cannot exhaust the module */
        goto out;
    }
    s->handle = m->next_session++;
    s->next = m->sessions[bucket(s->handle)];
    m->sessions[bucket(s->handle)] = s;
    sl->sessions++;
    m->n_sessions++;
    if (s->rw) {
        sl->rw_sessions++;
        m->n_rw_sessions++;
    }
    *out = s->handle;
    s = NULL;
    rv = CKR_OK;
out:
    sigil_module_unlock(m);
    free(s);
    return rv;
}

/* Lock held on entry and on return. The slot lost its last session: forget the login and tell
 * the appliance (with the lock dropped). */
static void logout_on_last_close(sigil_module *m, CK_SLOT_ID slot)
{
    sigil_slot *sl = &m->slots[slot];
    if (sl->sessions != 0 || sl->login == SIGIL_LOGIN_NONE)
        return;
    sl->login = SIGIL_LOGIN_NONE;
    sl->tokinfo.valid = false;
    sigil_objcache_clear(sl);
    sigil_module_unlock(m);
    uint8_t req[8];
    sigil_wr w;
    sigil_wr_init(&w, req, sizeof(req));
    sigil_wr_u32(&w, (uint32_t)slot);
    CK_RV rv = sigil_wire_call_empty(m, SIGIL_OP_LOGOUT, &w);
    (void)rv; /* NOT_LOGGED_IN is fine; a lost connection has ended the context anyway */
    sigil_module_lock(m);
}

CK_RV sigil_core_close_session(sigil_module *m, CK_SESSION_HANDLE h)
{
    sigil_session *s = NULL;
    sigil_module_lock(m);
    CK_RV rv = sigil_session_lookup(m, h, &s);
    if (rv == CKR_OK) {
        CK_SLOT_ID slot = s->slot;
        unlink_session(m, s);
        sigil_sessobj_drop_session(&m->slots[slot], h);
        sigil_session_free(s);
        logout_on_last_close(m, slot);
    }
    sigil_module_unlock(m);
    return rv;
}

CK_RV sigil_core_close_all_sessions(sigil_module *m, CK_SLOT_ID slot)
{
    if (slot >= m->slot_count)
        return CKR_SLOT_ID_INVALID;
    sigil_module_lock(m);
    for (size_t b = 0; b < SIGIL_SESSION_BUCKETS; b++) {
        sigil_session *s = m->sessions[b];
        while (s != NULL) {
            sigil_session *next = s->next;
            if (s->slot == slot) {
                unlink_session(m, s);
                sigil_sessobj_drop_session(&m->slots[slot], s->handle);
                sigil_session_free(s);
            }
            s = next;
        }
    }
    logout_on_last_close(m, slot);
    sigil_module_unlock(m);
    return CKR_OK;
}

CK_RV sigil_core_session_info(sigil_module *m, CK_SESSION_HANDLE h, CK_SESSION_INFO *info)
{
    sigil_session *s = NULL;
    sigil_module_lock(m);
    CK_RV rv = sigil_session_lookup(m, h, &s);
    if (rv == CKR_OK) {
        info->slotID = s->slot;
        info->state = sigil_session_state(m, s);
        info->flags = CKF_SERIAL_SESSION | (s->rw ? CKF_RW_SESSION : 0);
        info->ulDeviceError = 0;
    }
    sigil_module_unlock(m);
    return rv;
}
