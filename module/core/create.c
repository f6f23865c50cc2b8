/* create.c — C_CreateObject and C_CopyObject.
 *
 * The new object is built from the template first (objbuild.c, no lock). A session object then
 * goes into the slot's session objects; a token object is stored with CREATE_OBJECT, its further
 * attributes encoded into the record's attrs (attrs_codec.c), and the stored record the appliance
 * answers with goes into the cache. Token objects need an R/W session and the user logged in;
 * private objects of either kind need the user logged in.
 */
#include <stdlib.h>
#include <string.h>

#include "attrdef.h"
#include "auth.h"
#include "objbuild.h"
#include "object.h"
#include "session.h"
#include "wire.h"

#define SIGIL_RECORD_WIRE_MAX (64u + SIGIL_ID_MAX_LEN + SIGIL_OBJ_LABEL_MAX_LEN + SIGIL_PUB_A_MAX + \
                               SIGIL_PUB_B_MAX + SIGIL_OBJ_ATTRS_MAX)

static bool is_key(const sigil_object *o)
{
    return o->obj_class == SIGIL_CLASS_PUBLIC_KEY || o->obj_class == SIGIL_CLASS_PRIVATE_KEY;
}

/* CREATE_OBJECT o on slot; on CKR_OK *stored is the appliance's record of it. */
static CK_RV create_on_appliance(sigil_module *m, uint32_t slot, const sigil_object *o, sigil_object *stored)
{
    CK_RV rv = CKR_HOST_MEMORY;
    sigil_obj_record *rec = malloc(sizeof(*rec));
    uint8_t *req = malloc(SIGIL_RECORD_WIRE_MAX);
    uint8_t *resp = malloc(SIGIL_RECORD_WIRE_MAX);
    size_t n = 0;
    sigil_wr w;
    sigil_rd r;

    if (rec == NULL || req == NULL || resp == NULL)
        goto out;
    /* Appliance records of keys carry no further attributes (protocol.md, CREATE_OBJECT). */
    rv = is_key(o) && o->n_x > 0 ? CKR_TEMPLATE_INCONSISTENT : sigil_object_to_record(o, rec);
    if (rv != CKR_OK)
        goto out;
    rec->handle = 0;
    sigil_wr_init(&w, req, SIGIL_RECORD_WIRE_MAX);
    sigil_wr_u32(&w, slot);
    sigil_obj_record_write(&w, rec);
    rv = sigil_wire_call(m, SIGIL_OP_CREATE_OBJECT, &w, resp, SIGIL_RECORD_WIRE_MAX, &n);
    if (rv == CKR_USER_NOT_LOGGED_IN)
        sigil_login_forget(m, slot);
    if (rv != CKR_OK)
        goto out;
    sigil_rd_init(&r, resp, n);
    sigil_obj_record_read(&r, rec);
    rv = CKR_DEVICE_ERROR;
    if (!sigil_rd_done(&r) || rec->handle == CK_INVALID_HANDLE || (rec->handle & SIGIL_SESSOBJ_BIT) ||
        rec->obj_class != o->obj_class)
        goto out;
    rv = sigil_object_from_record(stored, rec);
out:
    free(rec);
    free(req);
    free(resp);
    return rv;
}

/* Stores the new object o (moved: released whatever happens) as a token or session object of
 * session hs. */
static CK_RV store_new(sigil_module *m, CK_SESSION_HANDLE hs, sigil_object *o, bool token, CK_OBJECT_HANDLE *out)
{
    sigil_session *s = NULL;
    sigil_object stored;
    uint32_t slot = 0;

    sigil_module_lock(m);
    CK_RV rv = sigil_session_lookup(m, hs, &s);
    if (rv == CKR_OK && token && !s->rw)
        rv = CKR_SESSION_READ_ONLY;
    if (rv == CKR_OK && (token || (o->flags & SIGIL_OBJ_PRIVATE)) && m->slots[s->slot].login != SIGIL_LOGIN_USER)
        rv = CKR_USER_NOT_LOGGED_IN;
    if (rv == CKR_OK && !token) { /* a session object: kept here */
        o->owner = hs;
        rv = sigil_sessobj_add(m, &m->slots[s->slot], o);
        if (rv == CKR_OK) {
            *out = o->handle;
            o = NULL; /* moved */
        }
    }
    if (s != NULL)
        slot = (uint32_t)s->slot;
    sigil_module_unlock(m);
    if (rv != CKR_OK || !token) {
        if (o != NULL)
            sigil_object_release(o);
        return rv;
    }

    o->owner = 0;
    rv = create_on_appliance(m, slot, o, &stored);
    sigil_object_release(o);
    if (rv != CKR_OK)
        return rv;
    *out = stored.handle;
    sigil_module_lock(m);
    sigil_objcache_put(&m->slots[slot], &stored);
    sigil_module_unlock(m);
    return CKR_OK;
}

CK_RV sigil_core_create_object(sigil_module *m, CK_SESSION_HANDLE hs, const CK_ATTRIBUTE *tmpl, CK_ULONG count,
                               CK_OBJECT_HANDLE *out)
{
    sigil_object o;
    bool token = false;
    sigil_session *s = NULL;

    sigil_module_lock(m);
    CK_RV rv = sigil_session_lookup(m, hs, &s);
    sigil_module_unlock(m);
    if (rv != CKR_OK)
        return rv;
    rv = sigil_objbuild_create(tmpl, count, &o, &token);
    if (rv != CKR_OK)
        return rv;
    return store_new(m, hs, &o, token, out);
}

CK_RV sigil_core_copy_object(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho, const CK_ATTRIBUTE *tmpl,
                             CK_ULONG count, CK_OBJECT_HANDLE *out)
{
    sigil_session *s = NULL;
    sigil_object *src = NULL;
    sigil_object o;
    bool token = false;

    CK_RV rv = sigil_tmpl_check(tmpl, count);
    sigil_module_lock(m);
    CK_RV lrv = sigil_object_get(m, hs, ho, &s, &src);
    if (lrv != CKR_OK) {
        sigil_module_unlock(m);
        return lrv;
    }
    if (rv == CKR_OK && !sigil_object_copyable(src))
        rv = CKR_ACTION_PROHIBITED;
    if (rv == CKR_OK)
        rv = sigil_object_clone(&o, src);
    sigil_module_unlock(m);
    if (rv != CKR_OK)
        return rv;

    /* The copy is where CKA_TOKEN says, else where the original is. */
    token = o.owner == 0;
    for (CK_ULONG i = 0; i < count; i++)
        if (tmpl[i].type == CKA_TOKEN && tmpl[i].ulValueLen == sizeof(CK_BBOOL))
            token = sigil_tmpl_bool(&tmpl[i]);
    bool store_x = !(token && is_key(&o));
    for (CK_ULONG i = 0; rv == CKR_OK && i < count; i++)
        rv = sigil_objbuild_apply(&o, &tmpl[i], SIGIL_APPLY_COPY, store_x, &token);
    if (rv != CKR_OK) {
        sigil_object_release(&o);
        return rv;
    }
    o.handle = 0;
    if (token)
        o.flags &= ~(uint32_t)SIGIL_OBJ_LOCAL; /* the appliance marks only what it generated */
    return store_new(m, hs, &o, token, out);
}
