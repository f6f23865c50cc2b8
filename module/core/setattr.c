/* setattr.c — C_SetAttributeValue.
 *
 * The template is applied to a copy of the object (objbuild.c): all of it or nothing. A session
 * object is then replaced in the module; a token object is changed with one SET_OBJECT naming
 * only what changed (label, id, further attributes), and the record the appliance answers with
 * replaces the cached one. Changing a token object needs an R/W session (and the appliance wants
 * the user logged in); CKA_MODIFIABLE false is CKR_ACTION_PROHIBITED.
 */
#include <stdlib.h>
#include <string.h>

#include "attrdef.h"
#include "attrs_codec.h"
#include "auth.h"
#include "objbuild.h"
#include "object.h"
#include "session.h"
#include "wire.h"

#define SIGIL_SET_REQ_MAX (32u + SIGIL_OBJ_LABEL_MAX_LEN + SIGIL_ID_MAX_LEN + SIGIL_OBJ_ATTRS_MAX)
#define SIGIL_SET_RESP_MAX (64u + SIGIL_ID_MAX_LEN + SIGIL_OBJ_LABEL_MAX_LEN + SIGIL_PUB_A_MAX + SIGIL_PUB_B_MAX + \
                            SIGIL_OBJ_ATTRS_MAX)

typedef struct {
    uint8_t what; /* SIGIL_SET_* */
    uint8_t attrs[SIGIL_OBJ_ATTRS_MAX];
    size_t attrs_len;
} set_req;

/* What differs between the cached object and its changed copy. */
static CK_RV diff(const sigil_object *old, const sigil_object *nw, set_req *q)
{
    uint8_t *before = malloc(SIGIL_OBJ_ATTRS_MAX);
    size_t before_len = 0;
    CK_RV rv = CKR_HOST_MEMORY;
    q->what = 0;
    if (before == NULL)
        return rv;
    if (strcmp(old->label, nw->label) != 0)
        q->what |= SIGIL_SET_LABEL;
    if (old->id_len != nw->id_len || memcmp(old->id, nw->id, nw->id_len) != 0)
        q->what |= SIGIL_SET_ID;
    rv = sigil_attrs_encode(old, before, SIGIL_OBJ_ATTRS_MAX, &before_len);
    if (rv == CKR_OK)
        rv = sigil_attrs_encode(nw, q->attrs, sizeof(q->attrs), &q->attrs_len);
    if (rv == CKR_OK && (before_len != q->attrs_len || memcmp(before, q->attrs, before_len) != 0))
        q->what |= SIGIL_SET_ATTRS;
    free(before);
    return rv;
}

CK_RV sigil_object_store_changes(sigil_module *m, uint32_t slot, const sigil_object *nw, uint8_t what,
                                 const uint8_t *attrs, size_t attrs_len, sigil_object *stored)
{
    CK_RV rv = CKR_HOST_MEMORY;
    uint8_t *req = malloc(SIGIL_SET_REQ_MAX);
    uint8_t *resp = malloc(SIGIL_SET_RESP_MAX);
    sigil_obj_record *rec = malloc(sizeof(*rec));
    size_t n = 0;
    sigil_wr w;
    sigil_rd r;

    if (req == NULL || resp == NULL || rec == NULL)
        goto out;
    sigil_wr_init(&w, req, SIGIL_SET_REQ_MAX);
    sigil_wr_u32(&w, slot);
    sigil_wr_u32(&w, (uint32_t)nw->handle);
    sigil_wr_u8(&w, what);
    sigil_wr_str(&w, nw->label);
    sigil_wr_bytes(&w, nw->id, nw->id_len);
    sigil_wr_bytes(&w, attrs, attrs_len);
    rv = sigil_wire_call(m, SIGIL_OP_SET_OBJECT, &w, resp, SIGIL_SET_RESP_MAX, &n);
    if (rv == CKR_USER_NOT_LOGGED_IN)
        sigil_login_forget(m, slot);
    if (rv != CKR_OK)
        goto out;
    sigil_rd_init(&r, resp, n);
    sigil_obj_record_read(&r, rec);
    rv = CKR_DEVICE_ERROR;
    if (!sigil_rd_done(&r) || rec->handle != nw->handle || rec->obj_class != nw->obj_class)
        goto out;
    rv = sigil_object_from_record(stored, rec);
out:
    free(req);
    free(resp);
    free(rec);
    return rv;
}

CK_RV sigil_core_set_attribute_value(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho,
                                     const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
    sigil_session *s = NULL;
    sigil_object *cur = NULL;
    sigil_object nw, stored;
    set_req *q = NULL;
    bool unused_token = false;

    CK_RV rv = sigil_tmpl_check(tmpl, count);
    sigil_module_lock(m);
    CK_RV lrv = sigil_object_get(m, hs, ho, &s, &cur);
    if (lrv != CKR_OK) {
        sigil_module_unlock(m);
        return lrv;
    }
    bool token = cur->owner == 0;
    if (rv == CKR_OK && token && !s->rw)
        rv = CKR_SESSION_READ_ONLY;
    if (rv == CKR_OK && !sigil_object_modifiable(cur))
        rv = CKR_ACTION_PROHIBITED;
    if (rv == CKR_OK)
        rv = sigil_object_clone(&nw, cur);
    if (rv != CKR_OK) {
        sigil_module_unlock(m);
        return rv;
    }
    bool key = cur->obj_class == SIGIL_CLASS_PUBLIC_KEY || cur->obj_class == SIGIL_CLASS_PRIVATE_KEY;
    for (CK_ULONG i = 0; rv == CKR_OK && i < count; i++)
        rv = sigil_objbuild_apply(&nw, &tmpl[i], SIGIL_APPLY_SET, !(token && key), &unused_token);
    if (rv == CKR_OK && !token) {
        sigil_sessobj_replace(&m->slots[s->slot], &nw);
        sigil_module_unlock(m);
        return CKR_OK;
    }
    if (rv == CKR_OK) {
        rv = CKR_HOST_MEMORY;
        q = malloc(sizeof(*q));
        if (q != NULL)
            rv = diff(cur, &nw, q);
    }
    uint32_t slot = (uint32_t)s->slot;
    sigil_module_unlock(m);
    if (rv == CKR_OK && q->what != 0) {
        rv = sigil_object_store_changes(m, slot, &nw, q->what, q->attrs, q->attrs_len, &stored);
        if (rv == CKR_OK) {
            sigil_module_lock(m);
            sigil_objcache_replace(&m->slots[slot], &stored);
            sigil_module_unlock(m);
        }
    }
    sigil_object_release(&nw);
    free(q);
    return rv;
}
