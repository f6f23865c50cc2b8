/* find.c — C_FindObjectsInit / C_FindObjects / C_FindObjectsFinal.
 *
 * FindObjectsInit reloads the slot's cache (objects made by other applications appear), then
 * snapshots the handles of the matching token and session objects in the session. FindObjects
 * hands them out, skipping any that went away meanwhile (destroyed through another session,
 * a private object after logout): a search never returns a dangling handle.
 */
#include <stdlib.h>

#include "object.h"
#include "session.h"

static size_t match_into(const sigil_slot *sl, const sigil_object *objs, size_t n, const CK_ATTRIBUTE *tmpl,
                         CK_ULONG count, CK_OBJECT_HANDLE *found)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const sigil_object *o = &objs[i];
        if ((o->flags & SIGIL_OBJ_PRIVATE) && sl->login != SIGIL_LOGIN_USER)
            continue;
        if (sigil_attr_match(o, tmpl, count))
            found[k++] = o->handle;
    }
    return k;
}

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
    if (sl->n_objs + sl->n_sobjs > 0) {
        found = calloc(sl->n_objs + sl->n_sobjs, sizeof(*found));
        if (found == NULL)
            goto out;
    }
    if (found != NULL) { /* no objects at all: nothing to match (and no array to index) */
        n = match_into(sl, sl->objs, sl->n_objs, tmpl, count, found);
        n += match_into(sl, sl->sobjs, sl->n_sobjs, tmpl, count, found + n);
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

CK_RV sigil_core_find(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count)
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
    sigil_slot *sl = &m->slots[s->slot];
    if (!sl->objs_loaded && s->found_pos < s->n_found) {
        /* Login or logout dropped the cache: reload it to tell live handles from gone ones. */
        uint32_t slot = (uint32_t)s->slot;
        sigil_module_unlock(m);
        rv = sigil_objcache_refresh(m, slot);
        sigil_module_lock(m);
        if (rv == CKR_TOKEN_NOT_RECOGNIZED)
            rv = CKR_OK;
        if (rv != CKR_OK)
            goto out;
        rv = sigil_session_lookup(m, hs, &s);
        if (rv == CKR_OK && !s->find_active)
            rv = CKR_OPERATION_NOT_INITIALIZED;
        if (rv != CKR_OK)
            goto out;
    }
    CK_ULONG k = 0;
    while (k < max && s->found_pos < s->n_found) {
        CK_OBJECT_HANDLE h = s->found[s->found_pos++];
        if (sigil_object_find(sl, h) != NULL)
            out[k++] = h;
    }
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
