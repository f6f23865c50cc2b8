/* sessobj.c — session objects (CKA_TOKEN false): kept in the module, seen only by this
 * application, destroyed with the session that made them; private ones also at logout
 * (PKCS#11 v2.40 §5.6 C_Logout). Their handles carry SIGIL_SESSOBJ_BIT and are never reused.
 */
#include <stdlib.h>

#include "object.h"

CK_RV sigil_sessobj_add(sigil_module *m, sigil_slot *sl, sigil_object *o)
{
    sigil_object *grown = realloc(sl->sobjs, (sl->n_sobjs + 1) * sizeof(*grown));
    if (grown == NULL)
        return CKR_HOST_MEMORY;
    sl->sobjs = grown;
    m->next_sobj = (m->next_sobj + 1) & ~SIGIL_SESSOBJ_BIT;
    if (m->next_sobj == 0)
        m->next_sobj = 1;
    o->handle = SIGIL_SESSOBJ_BIT | m->next_sobj;
    sl->sobjs[sl->n_sobjs++] = *o;
    return CKR_OK;
}

sigil_object *sigil_sessobj_find(sigil_slot *sl, CK_OBJECT_HANDLE ho)
{
    for (size_t i = 0; i < sl->n_sobjs; i++)
        if (sl->sobjs[i].handle == ho)
            return &sl->sobjs[i];
    return NULL;
}

static void remove_at(sigil_slot *sl, size_t i)
{
    sigil_object_release(&sl->sobjs[i]);
    sl->sobjs[i] = sl->sobjs[--sl->n_sobjs];
    if (sl->n_sobjs == 0) {
        free(sl->sobjs);
        sl->sobjs = NULL;
    }
}

void sigil_sessobj_remove(sigil_slot *sl, CK_OBJECT_HANDLE ho)
{
    for (size_t i = 0; i < sl->n_sobjs; i++) {
        if (sl->sobjs[i].handle == ho) {
            remove_at(sl, i);
            return;
        }
    }
}

void sigil_sessobj_replace(sigil_slot *sl, sigil_object *o)
{
    sigil_object *have = sigil_sessobj_find(sl, o->handle);
    if (have == NULL) {
        sigil_object_release(o);
        return;
    }
    sigil_object_release(have);
    *have = *o;
}

void sigil_sessobj_drop_session(sigil_slot *sl, CK_SESSION_HANDLE hs)
{
    for (size_t i = sl->n_sobjs; i > 0; i--)
        if (sl->sobjs[i - 1].owner == hs)
            remove_at(sl, i - 1);
}

void sigil_sessobj_drop_private(sigil_slot *sl)
{
    for (size_t i = sl->n_sobjs; i > 0; i--)
        if (sl->sobjs[i - 1].flags & SIGIL_OBJ_PRIVATE)
            remove_at(sl, i - 1);
}

void sigil_sessobj_drop_all(sigil_slot *sl)
{
    while (sl->n_sobjs > 0)
        remove_at(sl, sl->n_sobjs - 1);
}
