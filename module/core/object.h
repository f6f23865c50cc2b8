/* object.h — the module's view of objects: token objects cached from OBJECT_LIST, session objects
 * kept in the module, their attributes, and the object functions built on them.
 *
 * An object is the appliance's record (class, key type, flags, id, label, public values) plus
 * "further attributes" (xattrs): the CKA_* values of certificates and data objects that the
 * appliance keeps opaque in the record's attrs field (attrs_codec.c), and for session objects
 * anything the record cannot hold. xattr values are kept in the application's ABI form
 * (CK_ULONG, CK_BBOOL), so they are handed out and matched byte for byte.
 */
#ifndef SIGIL_OBJECT_H
#define SIGIL_OBJECT_H

#include "module.h"

/* Session objects' handles have this bit; appliance handles never reach it (they count up from 1). */
#define SIGIL_SESSOBJ_BIT 0x80000000u
#define SIGIL_PUB_A_MAX 512u
#define SIGIL_PUB_B_MAX 160u

typedef struct sigil_xattr {
    CK_ATTRIBUTE_TYPE type;
    size_t len;
    uint8_t *val; /* NULL when len is 0 */
} sigil_xattr;

struct sigil_object {
    CK_OBJECT_HANDLE handle;
    CK_SESSION_HANDLE owner; /* 0: token object; else the session this session object belongs to */
    uint8_t obj_class;       /* SIGIL_CLASS_* */
    uint8_t key_type;        /* SIGIL_KEYTYPE_*, 0 for certificates and data */
    uint32_t bits;
    uint32_t flags;          /* SIGIL_OBJ_* */
    uint8_t id[SIGIL_ID_MAX_LEN];
    size_t id_len;
    char label[SIGIL_OBJ_LABEL_MAX_LEN + 1];
    uint8_t pub_a[SIGIL_PUB_A_MAX]; /* EC: CKA_EC_PARAMS; RSA: modulus */
    size_t pub_a_len;
    uint8_t pub_b[SIGIL_PUB_B_MAX]; /* EC: point 04||X||Y; RSA: public exponent */
    size_t pub_b_len;
    sigil_xattr *x;
    size_t n_x;
};

/* ---- obj.c: one object ---------------------------------------------------------------------- */

/* Frees what o owns (its xattrs); o itself is the caller's. */
void sigil_object_release(sigil_object *o);
/* Deep copy; dst is overwritten. CKR_HOST_MEMORY leaves dst empty. */
SIGIL_P11_WUR CK_RV sigil_object_clone(sigil_object *dst, const sigil_object *src);
const sigil_xattr *sigil_xattr_find(const sigil_object *o, CK_ATTRIBUTE_TYPE t);
/* Sets (replaces) xattr t to a copy of v[0..n). */
SIGIL_P11_WUR CK_RV sigil_xattr_put(sigil_object *o, CK_ATTRIBUTE_TYPE t, const void *v, size_t n);
void sigil_xattr_remove(sigil_object *o, CK_ATTRIBUTE_TYPE t);
/* A CK_BBOOL / CK_ULONG xattr, or dflt when absent. */
bool sigil_xattr_bool(const sigil_object *o, CK_ATTRIBUTE_TYPE t, bool dflt);
CK_ULONG sigil_xattr_ulong(const sigil_object *o, CK_ATTRIBUTE_TYPE t, CK_ULONG dflt);
/* Object record <-> object (attrs encoded/decoded by attrs_codec.c). */
SIGIL_P11_WUR CK_RV sigil_object_from_record(sigil_object *o, const sigil_obj_record *r);
SIGIL_P11_WUR CK_RV sigil_object_to_record(const sigil_object *o, sigil_obj_record *r);
/* CKA_MODIFIABLE, CKA_COPYABLE, CKA_DESTROYABLE of o. */
bool sigil_object_modifiable(const sigil_object *o);
bool sigil_object_copyable(const sigil_object *o);
bool sigil_object_destroyable(const sigil_object *o);
/* CKO_* of o. */
CK_OBJECT_CLASS sigil_object_class(const sigil_object *o);

/* ---- objcache.c: token objects, and lookup of any object (lock held unless said) ------------ */

/* Drops a slot's token-object cache. The next lookup reloads it. */
void sigil_objcache_clear(sigil_slot *slot);
/* Reloads a slot's cache from the appliance. Called WITHOUT the lock. */
SIGIL_P11_WUR CK_RV sigil_objcache_refresh(sigil_module *m, uint32_t slot);
/* Moves o into the cache (after a key generation or creation) when the cache is loaded; else,
 * or when memory runs out, releases it (the next load brings it). */
void sigil_objcache_put(sigil_slot *slot, sigil_object *o);
/* Replaces the cached object of o's handle by o (moved in); releases o when it is not cached. */
void sigil_objcache_replace(sigil_slot *slot, sigil_object *o);
void sigil_objcache_remove(sigil_slot *slot, uint32_t handle);
/* The object ho of a slot (token or session object) if this application may see it, else NULL. */
sigil_object *sigil_object_find(sigil_slot *sl, CK_OBJECT_HANDLE ho);

/* With the lock held: re-looks up session hs and finds object ho visible to it, reloading the
 * cache once (dropping and retaking the lock) when the handle is not there. On return the lock
 * is held and *s / *o are valid until it is dropped. CKR_SESSION_HANDLE_INVALID when the session
 * closed meanwhile; CKR_OBJECT_HANDLE_INVALID when there is no such object. */
SIGIL_P11_WUR CK_RV sigil_object_get(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho,
                                     sigil_session **s, sigil_object **o);

/* ---- sessobj.c: session objects (lock held) -------------------------------------------------- */

/* Moves o into the slot's session objects under a new handle (returned in o->handle). */
SIGIL_P11_WUR CK_RV sigil_sessobj_add(sigil_module *m, sigil_slot *sl, sigil_object *o);
sigil_object *sigil_sessobj_find(sigil_slot *sl, CK_OBJECT_HANDLE ho);
void sigil_sessobj_remove(sigil_slot *sl, CK_OBJECT_HANDLE ho);
/* Replaces the session object of o's handle by o (moved in). */
void sigil_sessobj_replace(sigil_slot *sl, sigil_object *o);
/* Destroys the session objects of session hs (it closes). */
void sigil_sessobj_drop_session(sigil_slot *sl, CK_SESSION_HANDLE hs);
/* Destroys the private session objects (logout), or all of them. */
void sigil_sessobj_drop_private(sigil_slot *sl);
void sigil_sessobj_drop_all(sigil_slot *sl);

/* ---- setattr.c -------------------------------------------------------------------------------- */

/* SET_OBJECT: stores what (SIGIL_SET_*) of nw (label, id) and attrs for the token object
 * nw->handle of slot. No lock held. On CKR_OK *stored is the appliance's new record of it. */
SIGIL_P11_WUR CK_RV sigil_object_store_changes(sigil_module *m, uint32_t slot, const sigil_object *nw, uint8_t what,
                                               const uint8_t *attrs, size_t attrs_len, sigil_object *stored);

/* ---- attr.c: attribute values ---------------------------------------------------------------- */

/* The value of attribute t of o: CKR_OK with (*val, *len) (possibly in tmp), or
 * CKR_ATTRIBUTE_SENSITIVE, or CKR_ATTRIBUTE_TYPE_INVALID. */
#define SIGIL_ATTR_TMP 256u
CK_RV sigil_attr_value(const sigil_object *o, CK_ATTRIBUTE_TYPE t, uint8_t tmp[SIGIL_ATTR_TMP],
                       const uint8_t **val, size_t *len);
/* True when every attribute of the template has exactly that value on o. */
bool sigil_attr_match(const sigil_object *o, const CK_ATTRIBUTE *tmpl, CK_ULONG count);

/* ---- the object functions -------------------------------------------------------------------- */

SIGIL_P11_WUR CK_RV sigil_core_get_attribute_value(sigil_module *m, CK_SESSION_HANDLE hs,
                                                   CK_OBJECT_HANDLE ho, CK_ATTRIBUTE *tmpl,
                                                   CK_ULONG count);
SIGIL_P11_WUR CK_RV sigil_core_get_object_size(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho,
                                               CK_ULONG *size);
SIGIL_P11_WUR CK_RV sigil_core_destroy_object(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho);
SIGIL_P11_WUR CK_RV sigil_core_create_object(sigil_module *m, CK_SESSION_HANDLE hs, const CK_ATTRIBUTE *tmpl,
                                             CK_ULONG count, CK_OBJECT_HANDLE *out);
SIGIL_P11_WUR CK_RV sigil_core_copy_object(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho,
                                           const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_OBJECT_HANDLE *out);
SIGIL_P11_WUR CK_RV sigil_core_set_attribute_value(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho,
                                                   const CK_ATTRIBUTE *tmpl, CK_ULONG count);
SIGIL_P11_WUR CK_RV sigil_core_find_init(sigil_module *m, CK_SESSION_HANDLE hs, const CK_ATTRIBUTE *tmpl,
                                         CK_ULONG count);
SIGIL_P11_WUR CK_RV sigil_core_find(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE *out,
                                    CK_ULONG max, CK_ULONG *count);
SIGIL_P11_WUR CK_RV sigil_core_find_final(sigil_module *m, CK_SESSION_HANDLE hs);

#endif
