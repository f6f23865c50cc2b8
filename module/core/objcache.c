/* objcache.c — each slot's objects as OBJECT_LIST reports them, for this application's login.
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
#define SIGIL_OBJ_RECORD_MIN 30u

void sigil_objcache_clear(sigil_slot *slot)
{
    free(slot->objs);
    slot->objs = NULL;
    slot->n_objs = 0;
    slot->objs_loaded = false;
}

static CK_RV parse_list(const uint8_t *resp, size_t len, sigil_obj_record **out, size_t *n_out)
{
    CK_RV rv = CKR_DEVICE_ERROR;
    sigil_obj_record *objs = NULL;
    sigil_rd r;

    sigil_rd_init(&r, resp, len);
    uint32_t n = sigil_rd_u32(&r);
    if (!sigil_rd_ok(&r) || n > len / SIGIL_OBJ_RECORD_MIN)
        goto out;
    if (n > 0) {
        objs = calloc(n, sizeof(*objs));
        if (objs == NULL) {
            rv = CKR_HOST_MEMORY;
            goto out;
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        sigil_obj_record_read(&r, &objs[i]);
        if (objs[i].handle == CK_INVALID_HANDLE)
            r.failed = true;
    }
    if (!sigil_rd_done(&r))
        goto out;
    *out = objs;
    *n_out = n;
    objs = NULL;
    rv = CKR_OK;
out:
    free(objs);
    return rv;
}

CK_RV sigil_objcache_refresh(sigil_module *m, uint32_t slot)
{
    CK_RV rv = CKR_HOST_MEMORY;
    uint8_t req[8];
    uint8_t *resp = NULL;
    size_t resp_len = 0;
    sigil_obj_record *objs = NULL;
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
    free(sl->objs);
    sl->objs = objs;
    sl->n_objs = n;
    sl->objs_loaded = true;
    sigil_module_unlock(m);
    objs = NULL;
out:
    free(objs);
    free(resp);
    return rv;
}

CK_RV sigil_objcache_add(sigil_slot *slot, const sigil_obj_record *recs, size_t n)
{
    if (!slot->objs_loaded)
        return CKR_OK; /* the next load brings them */
    sigil_obj_record *grown = realloc(slot->objs, (slot->n_objs + n) * sizeof(*grown));
    if (grown == NULL) {
        sigil_objcache_clear(slot);
        return CKR_OK;
    }
    memcpy(grown + slot->n_objs, recs, n * sizeof(*recs));
    slot->objs = grown;
    slot->n_objs += n;
    return CKR_OK;
}

void sigil_objcache_remove(sigil_slot *slot, uint32_t handle)
{
    for (size_t i = 0; i < slot->n_objs; i++) {
        if (slot->objs[i].handle == handle) {
            memmove(&slot->objs[i], &slot->objs[i + 1], (slot->n_objs - i - 1) * sizeof(*slot->objs));
            slot->n_objs--;
            return;
        }
    }
}

/* A private object is visible only while this application's user is logged in to its slot. */
static const sigil_obj_record *cache_find(const sigil_slot *sl, CK_OBJECT_HANDLE ho)
{
    if (ho == CK_INVALID_HANDLE || ho > UINT32_MAX)
        return NULL;
    for (size_t i = 0; i < sl->n_objs; i++) {
        const sigil_obj_record *o = &sl->objs[i];
        if (o->handle != ho)
            continue;
        if ((o->flags & SIGIL_OBJ_PRIVATE) && sl->login != SIGIL_LOGIN_USER)
            return NULL;
        return o;
    }
    return NULL;
}

CK_RV sigil_object_get(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho, sigil_session **s,
                       const sigil_obj_record **o)
{
    CK_RV rv = sigil_session_lookup(m, hs, s);
    if (rv != CKR_OK)
        return rv;
    uint32_t slot = (uint32_t)(*s)->slot;
    *o = cache_find(&m->slots[slot], ho);
    if (*o != NULL)
        return CKR_OK;
    if (ho == CK_INVALID_HANDLE || ho > UINT32_MAX)
        return CKR_OBJECT_HANDLE_INVALID;
    sigil_module_unlock(m);
    rv = sigil_objcache_refresh(m, slot);
    sigil_module_lock(m);
    if (rv != CKR_OK && rv != CKR_TOKEN_NOT_RECOGNIZED)
        return rv;
    rv = sigil_session_lookup(m, hs, s);
    if (rv != CKR_OK)
        return rv;
    *o = cache_find(&m->slots[slot], ho);
    return *o != NULL ? CKR_OK : CKR_OBJECT_HANDLE_INVALID;
}
