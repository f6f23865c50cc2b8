/* find.c — C_FindObjectsInit / C_FindObjects / C_FindObjectsFinal.
 *
 * FindObjectsInit reloads the slot's cache (objects made by other applications appear), then
 * snapshots the matching handles in the session; FindObjects hands them out.
 */
#include <stdlib.h>

#include "object.h"
#include "session.h"

CK_RV sigil_core_find_init(sigil_module *m, CK_SESSION_HANDLE hs, const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
    sigil_session *s = NULL;
    CK_OBJECT_HANDLE *found = NULL;
    size_t n = 0;

    sigil_module_lock(m);
    CK_RV rv = sigil_session_lookup(m, hs, &s);
    if (rv != CKR_OK)
        goto out;
    if (s->find_active) {
        rv = CKR_OPERATION_ACTIVE;
        goto out;
    }
    uint32_t slot = (uint32_t)s->slot;
    sigil_module_unlock(m);
    rv = sigil_objcache_refresh(m, slot);
    sigil_module_lock(m);
    if (rv == CKR_TOKEN_NOT_RECOGNIZED) { /* an uninitialised token holds nothing */
        sigil_objcache_clear(&m->slots[slot]);
        rv = CKR_OK;
    }
    if (rv != CKR_OK)
        goto out;
    rv = sigil_session_lookup(m, hs, &s);
    if (rv != CKR_OK)
        goto out;
    if (s->find_active) {
        rv = CKR_OPERATION_ACTIVE;
        goto out;
    }
    const sigil_slot *sl = &m->slots[slot];
    rv = CKR_HOST_MEMORY;
    if (sl->n_objs > 0) {
        found = calloc(sl->n_objs, sizeof(*found));
        if (found == NULL)
            goto out;
    }
    for (size_t i = 0; i < sl->n_objs; i++) {
        const sigil_obj_record *o = &sl->objs[i];
        if ((o->flags & SIGIL_OBJ_PRIVATE) && sl->login != SIGIL_LOGIN_USER)
            continue;
        if (sigil_attr_match(o, tmpl, count))
            found[n++] = o->handle;
    }
    s->find_active = true;
    s->found = found;
    s->n_found = n;
    s->found_pos = 0;
    found = NULL;
    rv = CKR_OK;
out:
    sigil_module_unlock(m);
    free(found);
    return rv;
}

CK_RV sigil_core_find(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE *out, CK_ULONG max,
                      CK_ULONG *count)
{
    sigil_session *s = NULL;
    sigil_module_lock(m);
    CK_RV rv = sigil_session_lookup(m, hs, &s);
    if (rv != CKR_OK)
        goto out;
    if (!s->find_active) {
        rv = CKR_OPERATION_NOT_INITIALIZED;
        goto out;
    }
    CK_ULONG k = 0;
    while (k < max && s->found_pos < s->n_found)
        out[k++] = s->found[s->found_pos++];
    *count = k;
out:
    sigil_module_unlock(m);
    return rv;
}

CK_RV sigil_core_find_final(sigil_module *m, CK_SESSION_HANDLE hs)
{
    sigil_session *s = NULL;
    sigil_module_lock(m);
    CK_RV rv = sigil_session_lookup(m, hs, &s);
    if (rv != CKR_OK)
        goto out;
    if (!s->find_active) {
        rv = CKR_OPERATION_NOT_INITIALIZED;
        goto out;
    }
    free(s->found);
    s->found = NULL;
    s->n_found = 0;
    s->find_active = false;
out:
    sigil_module_unlock(m);
    return rv;
}
