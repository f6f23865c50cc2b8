/* objcache.c — each slot's token objects as OBJECT_LIST reports them for this application's login,
 * and the lookup of any object (token or session) by handle.
 *
 * The cache is dropped on login, logout, C_InitToken and reloaded lazily: on C_FindObjectsInit
 * (always, so objects created by other applications appear) and when a handle is not found.
 */
#include <stdlib.h>
#include <string.h>

#include "object.h"
#include "session.h"
#include "wire.h"

/* An object record on the wire is at least this long (every field empty). */
#define SIGIL_OBJ_RECORD_MIN 34u

static void release_all(sigil_object *objs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sigil_object_release(&objs[i]);
    free(objs);
}

void sigil_objcache_clear(sigil_slot *slot)
{
    release_all(slot->objs, slot->n_objs);
    slot->objs = NULL;
    slot->n_objs = 0;
    slot->objs_loaded = false;
}

static CK_RV parse_list(const uint8_t *resp, size_t len, sigil_object **out, size_t *n_out)
{
    CK_RV rv = CKR_DEVICE_ERROR;
    sigil_object *objs = NULL;
    sigil_obj_record *rec = NULL;
    size_t done = 0;
    sigil_rd r;

    sigil_rd_init(&r, resp, len);
    uint32_t n = sigil_rd_u32(&r);
    if (!sigil_rd_ok(&r) || n > len / SIGIL_OBJ_RECORD_MIN)
        goto out;
    rv = CKR_HOST_MEMORY;
    rec = malloc(sizeof(*rec));
    if (rec == NULL)
        goto out;
    if (n > 0) {
        objs = calloc(n, sizeof(*objs));
        if (objs == NULL)
            goto out;
    }
    for (; done < n; done++) {
        sigil_obj_record_read(&r, rec);
        rv = CKR_DEVICE_ERROR;
        if (!sigil_rd_ok(&r) || rec->handle == CK_INVALID_HANDLE || (rec->handle & SIGIL_SESSOBJ_BIT) != 0)
            goto out;
        rv = sigil_object_from_record(&objs[done], rec);
        if (rv != CKR_OK)
            goto out;
    }
    rv = CKR_DEVICE_ERROR;
    if (!sigil_rd_done(&r))
        goto out;
    *out = objs;
    *n_out = n;
    objs = NULL;
    done = 0;
    rv = CKR_OK;
out:
    release_all(objs, done);
    free(rec);
    return rv;
}

CK_RV sigil_objcache_refresh(sigil_module *m, uint32_t slot)
{
    CK_RV rv = CKR_HOST_MEMORY;
    uint8_t req[8];
    uint8_t *resp = NULL;
    size_t resp_len = 0;
    sigil_object *objs = NULL;
    size_t n = 0;
    sigil_wr w;

    resp = malloc(SIGIL_FRAME_MAX_BODY);
    if (resp == NULL)
        goto out;
    sigil_wr_init(&w, req, sizeof(req));
    sigil_wr_u32(&w, slot);
    rv = sigil_wire_call(m, SIGIL_OP_OBJECT_LIST, &w, resp, SIGIL_FRAME_MAX_BODY, &resp_len);
    if (rv != CKR_OK)
        goto out;
    rv = parse_list(resp, resp_len, &objs, &n);
    if (rv != CKR_OK)
        goto out;
    sigil_module_lock(m);
    sigil_slot *sl = &m->slots[slot];
    release_all(sl->objs, sl->n_objs);
    sl->objs = objs;
    sl->n_objs = n;
    sl->objs_loaded = true;
    sigil_module_unlock(m);
    objs = NULL;
    n = 0;
out:
    release_all(objs, n);
    free(resp);
    return rv;
}

static sigil_object *cache_lookup(sigil_slot *sl, CK_OBJECT_HANDLE ho)
{
    for (size_t i = 0; i < sl->n_objs; i++)
        if (sl->objs[i].handle == ho)
            return &sl->objs[i];
    return NULL;
}

void sigil_objcache_put(sigil_slot *slot, sigil_object *o)
{
    sigil_object *have = slot->objs_loaded ? cache_lookup(slot, o->handle) : NULL;
    if (have != NULL) { /* a reload already brought it */
        sigil_object_release(have);
        *have = *o;
        return;
    }
    if (!slot->objs_loaded) {
        sigil_object_release(o);
        return;
    }
    sigil_object *grown = realloc(slot->objs, (slot->n_objs + 1) * sizeof(*grown));
    if (grown == NULL) {
        sigil_object_release(o);
        sigil_objcache_clear(slot);
        return;
    }
    grown[slot->n_objs++] = *o;
    slot->objs = grown;
}

void sigil_objcache_replace(sigil_slot *slot, sigil_object *o)
{
    sigil_object *have = cache_lookup(slot, o->handle);
    if (have == NULL) {
        sigil_object_release(o);
        return;
    }
    sigil_object_release(have);
    *have = *o;
}

void sigil_objcache_remove(sigil_slot *slot, uint32_t handle)
{
    sigil_object *o = cache_lookup(slot, handle);
    if (o == NULL)
        return;
    size_t i = (size_t)(o - slot->objs);
    sigil_object_release(o);
    memmove(&slot->objs[i], &slot->objs[i + 1], (slot->n_objs - i - 1) * sizeof(*slot->objs));
    slot->n_objs--;
}

static bool is_sessobj_handle(CK_OBJECT_HANDLE ho)
{
    return ho <= UINT32_MAX && (ho & SIGIL_SESSOBJ_BIT) != 0;
}

/* A private object is visible only while this application's user is logged in to its slot. */
sigil_object *sigil_object_find(sigil_slot *sl, CK_OBJECT_HANDLE ho)
{
    if (ho == CK_INVALID_HANDLE || ho > UINT32_MAX)
        return NULL;
    sigil_object *o = is_sessobj_handle(ho) ? sigil_sessobj_find(sl, ho) : cache_lookup(sl, ho);
    if (o != NULL && (o->flags & SIGIL_OBJ_PRIVATE) && sl->login != SIGIL_LOGIN_USER)
        return NULL;
    return o;
}

CK_RV sigil_object_get(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho, sigil_session **s,
                       sigil_object **o)
{
    CK_RV rv = sigil_session_lookup(m, hs, s);
    if (rv != CKR_OK)
        return rv;
    uint32_t slot = (uint32_t)(*s)->slot;
    *o = sigil_object_find(&m->slots[slot], ho);
    if (*o != NULL)
        return CKR_OK;
    if (ho == CK_INVALID_HANDLE || ho > UINT32_MAX || is_sessobj_handle(ho))
        return CKR_OBJECT_HANDLE_INVALID;
    sigil_module_unlock(m);
    rv = sigil_objcache_refresh(m, slot);
    sigil_module_lock(m);
    if (rv != CKR_OK && rv != CKR_TOKEN_NOT_RECOGNIZED)
        return rv;
    rv = sigil_session_lookup(m, hs, s);
    if (rv != CKR_OK)
        return rv;
    *o = sigil_object_find(&m->slots[slot], ho);
    return *o != NULL ? CKR_OK : CKR_OBJECT_HANDLE_INVALID;
}
