/* object.h — the per-slot object cache (OBJECT_LIST), attributes of cached objects, find, destroy. */
#ifndef SIGIL_OBJECT_H
#define SIGIL_OBJECT_H

#include "module.h"

/* Drops a slot's cache (lock held). The next lookup reloads it. */
void sigil_objcache_clear(sigil_slot *slot);
/* Reloads a slot's cache from the appliance. Called WITHOUT the lock. */
SIGIL_P11_WUR CK_RV sigil_objcache_refresh(sigil_module *m, uint32_t slot);
/* Adds records (after a key generation) when the cache is loaded (lock held). */
SIGIL_P11_WUR CK_RV sigil_objcache_add(sigil_slot *slot, const sigil_obj_record *recs, size_t n);
void sigil_objcache_remove(sigil_slot *slot, uint32_t handle);

/* With the lock held: re-looks up session hs and finds object ho visible to it, reloading the
 * cache once (dropping and retaking the lock) when the handle is not there. On return the lock
 * is held and *s / *o are valid until it is dropped. CKR_SESSION_HANDLE_INVALID when the session
 * closed meanwhile; CKR_OBJECT_HANDLE_INVALID when there is no such object. */
SIGIL_P11_WUR CK_RV sigil_object_get(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho,
                                     sigil_session **s, const sigil_obj_record **o);

/* The value of attribute t of o: CKR_OK with (*val, *len) (possibly in tmp), or
 * CKR_ATTRIBUTE_SENSITIVE, or CKR_ATTRIBUTE_TYPE_INVALID. */
#define SIGIL_ATTR_TMP 256u
CK_RV sigil_attr_value(const sigil_obj_record *o, CK_ATTRIBUTE_TYPE t, uint8_t tmp[SIGIL_ATTR_TMP],
                       const uint8_t **val, size_t *len);
/* True when every attribute of the template has exactly that value on o. */
bool sigil_attr_match(const sigil_obj_record *o, const CK_ATTRIBUTE *tmpl, CK_ULONG count);

SIGIL_P11_WUR CK_RV sigil_core_get_attribute_value(sigil_module *m, CK_SESSION_HANDLE hs,
                                                   CK_OBJECT_HANDLE ho, CK_ATTRIBUTE *tmpl,
                                                   CK_ULONG count);
SIGIL_P11_WUR CK_RV sigil_core_get_object_size(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho,
                                               CK_ULONG *size);
SIGIL_P11_WUR CK_RV sigil_core_destroy_object(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho);
SIGIL_P11_WUR CK_RV sigil_core_find_init(sigil_module *m, CK_SESSION_HANDLE hs, const CK_ATTRIBUTE *tmpl,
                                         CK_ULONG count);
SIGIL_P11_WUR CK_RV sigil_core_find(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE *out,
                                    CK_ULONG max, CK_ULONG *count);
SIGIL_P11_WUR CK_RV sigil_core_find_final(sigil_module *m, CK_SESSION_HANDLE hs);

#endif
