/* object.c — C_GetAttributeValue, C_GetObjectSize, C_DestroyObject over the module's objects. */
#include <string.h>

#include "auth.h"
#include "object.h"
#include "session.h"
#include "wire.h"

CK_RV sigil_core_get_attribute_value(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho,
                                     CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
    sigil_session *s = NULL;
    sigil_object *o = NULL;
    uint8_t tmp[SIGIL_ATTR_TMP];

    sigil_module_lock(m);
    CK_RV rv = sigil_object_get(m, hs, ho, &s, &o);
    if (rv != CKR_OK)
        goto out;
    /* PKCS#11 v2.40 §5.7 C_GetAttributeValue: every attribute is processed; the code of the last
     * failing one is returned (they are all "errors" of equal rank). */
    for (CK_ULONG i = 0; i < count; i++) {
        CK_ATTRIBUTE *a = &tmpl[i];
        const uint8_t *val = NULL;
        size_t len = 0;
        CK_RV arv = sigil_attr_value(o, a->type, tmp, &val, &len);
        if (arv != CKR_OK) {
            a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
            rv = arv;
        } else if (a->pValue == NULL) {
            a->ulValueLen = len;
        } else if (a->ulValueLen < len) {
            a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
            rv = CKR_BUFFER_TOO_SMALL;
        } else {
            if (len > 0)
                memcpy(a->pValue, val, len);
            a->ulValueLen = len;
        }
    }
out:
    sigil_module_unlock(m);
    return rv;
}

CK_RV sigil_core_get_object_size(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho, CK_ULONG *size)
{
    sigil_session *s = NULL;
    sigil_object *o = NULL;
    sigil_module_lock(m);
    CK_RV rv = sigil_object_get(m, hs, ho, &s, &o);
    if (rv == CKR_OK)
        *size = CK_UNAVAILABLE_INFORMATION;
    sigil_module_unlock(m);
    return rv;
}

CK_RV sigil_core_destroy_object(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho)
{
    sigil_session *s = NULL;
    sigil_object *o = NULL;
    uint8_t req[16];
    sigil_wr w;

    sigil_module_lock(m);
    CK_RV rv = sigil_object_get(m, hs, ho, &s, &o);
    if (rv != CKR_OK)
        goto out_locked;
    if (!sigil_object_destroyable(o)) {
        rv = CKR_ACTION_PROHIBITED;
        goto out_locked;
    }
    if (o->owner != 0) { /* a session object: any session of the application may destroy it */
        sigil_sessobj_remove(&m->slots[s->slot], ho);
        goto out_locked;
    }
    if (!s->rw) {
        rv = CKR_SESSION_READ_ONLY;
        goto out_locked;
    }
    uint32_t slot = (uint32_t)s->slot;
    sigil_module_unlock(m);

    sigil_wr_init(&w, req, sizeof(req));
    sigil_wr_u32(&w, slot);
    sigil_wr_u32(&w, (uint32_t)ho);
    rv = sigil_wire_call_empty(m, SIGIL_OP_DESTROY_OBJECT, &w);
    if (rv == CKR_USER_NOT_LOGGED_IN)
        sigil_login_forget(m, slot);

    sigil_module_lock(m);
    if (rv == CKR_OK || rv == CKR_OBJECT_HANDLE_INVALID)
        sigil_objcache_remove(&m->slots[slot], (uint32_t)ho);
out_locked:
    sigil_module_unlock(m);
    return rv;
}
