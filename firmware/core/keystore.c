/* keystore.c — seal keys and their public halves, persisted one sealed blob per
 * object ("obj-SSSS-HHHHHHHH": slot and handle are the identity bound into the
 * blob), loaded at start-up and shared read-only by every signer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

#define OBJECT_RECORD_VERSION 1u
#define OBJECT_BLOB_MAX (SIGIL_OBJ_ATTRS_MAX + SIGIL_CRYPTO_MAX_PRIV_DER + 2048u)

void fw_object_name(char *out, size_t cap, uint32_t slot, uint32_t handle)
{
    snprintf(out, cap, "obj-%04u-%08x", (unsigned)slot, (unsigned)handle);
}

static void object_free(fw_object *o)
{
    if (o == NULL)
        return;
    sigil_crypto_key_free(o->key);
    sigil_wipe(o, sizeof(*o));
    free(o);
}

void fw_object_put(fw_object *o)
{
    if (o != NULL && atomic_fetch_sub(&o->refs, 1) == 1)
        object_free(o);
}

void fw_keystore_free_list(fw_object *list)
{
    while (list != NULL) {
        fw_object *next = list->next;
        fw_object_put(list);
        list = next;
    }
}

sigil_status fw_keystore_save(sigil_fw *fw, uint32_t slot, const fw_object *o, const uint8_t *der,
                              size_t der_len)
{
    char name[SIGIL_STORAGE_NAME_MAX];
    uint8_t *buf = malloc(OBJECT_BLOB_MAX);
    sigil_wr w;
    sigil_status st;

    if (buf == NULL)
        return SIGIL_ST_NO_MEMORY;
    fw_object_name(name, sizeof(name), slot, o->rec.handle);
    sigil_wr_init(&w, buf, OBJECT_BLOB_MAX);
    sigil_wr_u32(&w, OBJECT_RECORD_VERSION);
    sigil_wr_u32(&w, slot);
    sigil_wr_u8(&w, (uint8_t)o->kind);
    sigil_obj_record_write(&w, &o->rec);
    sigil_wr_bytes(&w, der, der_len);
    st = sigil_wr_ok(&w) ? fw_sealed_write(fw, name, buf, w.len) : SIGIL_ST_GENERAL_ERROR;
    sigil_wipe(buf, OBJECT_BLOB_MAX);
    free(buf);
    return st;
}

static sigil_status object_load(sigil_fw *fw, uint32_t slot, const char *name, fw_object **out)
{
    uint8_t *buf = malloc(OBJECT_BLOB_MAX);
    fw_object *o = calloc(1, sizeof(*o));
    size_t len = 0, der_len = 0;
    sigil_rd r;
    sigil_status st;
    char expect[SIGIL_STORAGE_NAME_MAX];

    *out = NULL;
    if (buf == NULL || o == NULL) {
        st = SIGIL_ST_NO_MEMORY;
        goto out;
    }
    st = fw_sealed_read(fw, name, buf, OBJECT_BLOB_MAX, &len);
    if (st != SIGIL_ST_OK)
        goto out;
    sigil_rd_init(&r, buf, len);
    uint32_t version = sigil_rd_u32(&r);
    uint32_t stored_slot = sigil_rd_u32(&r);
    o->kind = (sigil_key_kind)sigil_rd_u8(&r);
    sigil_obj_record_read(&r, &o->rec);
    const uint8_t *der = sigil_rd_bytes(&r, SIGIL_CRYPTO_MAX_PRIV_DER, &der_len);
    fw_object_name(expect, sizeof(expect), slot, o->rec.handle);
    if (!sigil_rd_done(&r) || version != OBJECT_RECORD_VERSION || stored_slot != slot ||
        strcmp(expect, name) != 0) {
        st = SIGIL_ST_INTEGRITY_FAILURE;
        goto out;
    }
    if (o->rec.obj_class == SIGIL_CLASS_PRIVATE_KEY) {
        st = sigil_crypto_key_load(o->kind, der, der_len, &o->key);
        if (st != SIGIL_ST_OK)
            goto out;
    } else if (o->rec.obj_class != SIGIL_CLASS_PUBLIC_KEY && o->rec.obj_class != SIGIL_CLASS_CERTIFICATE &&
               o->rec.obj_class != SIGIL_CLASS_DATA) {
        st = SIGIL_ST_INTEGRITY_FAILURE;
        goto out;
    }
    atomic_init(&o->refs, 1);
    *out = o;
    o = NULL;
    st = SIGIL_ST_OK;
out:
    if (buf != NULL)
        sigil_wipe(buf, OBJECT_BLOB_MAX);
    free(buf);
    object_free(o);
    return st;
}

typedef struct {
    char (*names)[SIGIL_STORAGE_NAME_MAX];
    size_t n, cap;
    bool oom;
} name_list;

static void collect_name(void *ctx, const char *name)
{
    name_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        void *p = realloc(l->names, cap * sizeof(*l->names));
        if (p == NULL) {
            l->oom = true;
            return;
        }
        l->names = p;
        l->cap = cap;
    }
    snprintf(l->names[l->n++], SIGIL_STORAGE_NAME_MAX, "%s", name);
}

static void intent_name(char *out, size_t cap, uint32_t slot, uint32_t first)
{
    snprintf(out, cap, "pending-%04u-%08x", (unsigned)slot, (unsigned)first);
}

sigil_status fw_keystore_intent_begin(sigil_fw *fw, uint32_t slot, uint32_t first)
{
    char name[SIGIL_STORAGE_NAME_MAX];
    uint8_t mark = 1;
    intent_name(name, sizeof(name), slot, first);
    return fw->plat->ops->store_write(fw->plat, name, &mark, 1) == SIGIL_STORE_OK ? SIGIL_ST_OK
                                                                                 : SIGIL_ST_STORAGE_FAILURE;
}

sigil_status fw_keystore_intent_end(sigil_fw *fw, uint32_t slot, uint32_t first)
{
    char name[SIGIL_STORAGE_NAME_MAX];
    intent_name(name, sizeof(name), slot, first);
    return fw->plat->ops->store_remove(fw->plat, name) == SIGIL_STORE_OK ? SIGIL_ST_OK : SIGIL_ST_STORAGE_FAILURE;
}

/* A key pair whose creation a crash interrupted (its intent record is still there) is
 * removed whole: it was never acknowledged. */
static sigil_status roll_back_intents(sigil_fw *fw, uint32_t slot)
{
    char prefix[32], obj[SIGIL_STORAGE_NAME_MAX];
    name_list l = {0};
    sigil_status st = SIGIL_ST_OK;

    snprintf(prefix, sizeof(prefix), "pending-%04u-", (unsigned)slot);
    if (fw->plat->ops->store_list(fw->plat, prefix, collect_name, &l) != SIGIL_STORE_OK || l.oom) {
        free(l.names);
        return SIGIL_ST_STORAGE_FAILURE;
    }
    for (size_t i = 0; i < l.n && st == SIGIL_ST_OK; i++) {
        unsigned long first = strtoul(l.names[i] + strlen(prefix), NULL, 16);
        for (unsigned long h = first; h <= first + 1; h++) {
            fw_object_name(obj, sizeof(obj), slot, (uint32_t)h);
            if (fw->plat->ops->store_remove(fw->plat, obj) != SIGIL_STORE_OK)
                st = SIGIL_ST_STORAGE_FAILURE;
        }
        if (st == SIGIL_ST_OK && fw->plat->ops->store_remove(fw->plat, l.names[i]) != SIGIL_STORE_OK)
            st = SIGIL_ST_STORAGE_FAILURE;
    }
    free(l.names);
    return st;
}

sigil_status fw_keystore_load_slot(sigil_fw *fw, uint32_t slot)
{
    fw_token *t = &fw->tokens[slot];
    char prefix[32];
    name_list l = {0};
    sigil_status st = SIGIL_ST_OK;

    st = roll_back_intents(fw, slot);
    if (st != SIGIL_ST_OK)
        goto out;
    snprintf(prefix, sizeof(prefix), "obj-%04u-", (unsigned)slot);
    if (fw->plat->ops->store_list(fw->plat, prefix, collect_name, &l) != SIGIL_STORE_OK) {
        st = SIGIL_ST_STORAGE_FAILURE;
        goto out;
    }
    if (l.oom) {
        st = SIGIL_ST_NO_MEMORY;
        goto out;
    }
    for (size_t i = 0; i < l.n; i++) {
        fw_object *o = NULL;
        sigil_status ost = object_load(fw, slot, l.names[i], &o);
        if (ost == SIGIL_ST_INTEGRITY_FAILURE) {
            /* Refused, left on disk for inspection, and counted. */
            fw->refused_blobs++;
            continue;
        }
        if (ost != SIGIL_ST_OK) {
            st = ost;
            goto out;
        }
        fw_keystore_link_locked(t, o);
    }
out:
    free(l.names);
    return st;
}

static void remove_name(void *ctx, const char *name)
{
    sigil_fw *fw = ctx;
    (void)fw->plat->ops->store_remove(fw->plat, name);
}

sigil_status fw_keystore_remove_orphans(sigil_fw *fw, uint32_t slot)
{
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "obj-%04u-", (unsigned)slot);
    return fw->plat->ops->store_list(fw->plat, prefix, remove_name, fw) == SIGIL_STORE_OK
               ? SIGIL_ST_OK
               : SIGIL_ST_STORAGE_FAILURE;
}

sigil_status fw_keystore_wipe_slot_locked(sigil_fw *fw, uint32_t slot)
{
    fw_token *t = &fw->tokens[slot];
    char name[SIGIL_STORAGE_NAME_MAX];

    while (t->objects != NULL) {
        fw_object *o = t->objects;
        fw_object_name(name, sizeof(name), slot, o->rec.handle);
        if (fw->plat->ops->store_remove(fw->plat, name) != SIGIL_STORE_OK)
            return SIGIL_ST_STORAGE_FAILURE;
        fw_keystore_unlink_locked(t, &t->objects);
    }
    return SIGIL_ST_OK;
}

sigil_status fw_keystore_read_der(sigil_fw *fw, uint32_t slot, uint32_t handle, uint8_t *der, size_t cap,
                                  size_t *der_len)
{
    char name[SIGIL_STORAGE_NAME_MAX];
    uint8_t *buf = malloc(OBJECT_BLOB_MAX);
    sigil_obj_record *rec = malloc(sizeof(*rec));
    size_t len = 0, n = 0;
    sigil_rd r;
    sigil_status st = SIGIL_ST_NO_MEMORY;

    *der_len = 0;
    if (buf == NULL || rec == NULL)
        goto out;
    /* The key material is never kept in clear in memory: it is read back from its blob. */
    fw_object_name(name, sizeof(name), slot, handle);
    st = fw_sealed_read(fw, name, buf, OBJECT_BLOB_MAX, &len);
    if (st != SIGIL_ST_OK)
        goto out;
    sigil_rd_init(&r, buf, len);
    (void)sigil_rd_u32(&r);
    (void)sigil_rd_u32(&r);
    (void)sigil_rd_u8(&r);
    sigil_obj_record_read(&r, rec);
    const uint8_t *p = sigil_rd_bytes(&r, SIGIL_CRYPTO_MAX_PRIV_DER, &n);
    if (!sigil_rd_done(&r) || rec->handle != handle || n > cap) {
        st = SIGIL_ST_INTEGRITY_FAILURE;
        goto out;
    }
    if (n > 0)
        memcpy(der, p, n);
    *der_len = n;
out:
    if (buf != NULL)
        sigil_wipe(buf, OBJECT_BLOB_MAX);
    free(buf);
    free(rec);
    return st;
}

sigil_status fw_keystore_resave_locked(sigil_fw *fw, uint32_t slot, const fw_object *o,
                                       const sigil_obj_record *nr)
{
    uint8_t *der = malloc(SIGIL_CRYPTO_MAX_PRIV_DER);
    size_t der_len = 0;
    sigil_status st = SIGIL_ST_NO_MEMORY;

    if (der == NULL)
        return st;
    st = fw_keystore_read_der(fw, slot, o->rec.handle, der, SIGIL_CRYPTO_MAX_PRIV_DER, &der_len);
    if (st == SIGIL_ST_OK) {
        fw_object tmp = *o;
        tmp.rec = *nr;
        st = fw_keystore_save(fw, slot, &tmp, der, der_len);
        sigil_wipe(&tmp, sizeof(tmp));
    }
    sigil_wipe(der, SIGIL_CRYPTO_MAX_PRIV_DER);
    free(der);
    return st;
}

bool fw_keystore_has_room_locked(const fw_token *t, uint32_t objects, size_t bytes)
{
    return t->object_count + objects <= FW_MAX_OBJECTS_PER_SLOT &&
           t->record_bytes + bytes <= FW_MAX_RECORD_BYTES_PER_SLOT;
}

void fw_keystore_link_locked(fw_token *t, fw_object *o)
{
    o->next = t->objects;
    t->objects = o;
    t->object_count++;
    t->record_bytes += sigil_obj_record_len(&o->rec);
}

/* Removes *pp from the list and drops the list's reference. */
void fw_keystore_unlink_locked(fw_token *t, fw_object **pp)
{
    fw_object *o = *pp;
    *pp = o->next;
    t->object_count--;
    t->record_bytes -= sigil_obj_record_len(&o->rec);
    fw_object_put(o); /* freed when the last signer lets go */
}

sigil_status fw_keystore_destroy_private_locked(sigil_fw *fw, uint32_t slot)
{
    fw_token *t = &fw->tokens[slot];
    char name[SIGIL_STORAGE_NAME_MAX];
    fw_object **pp = &t->objects;

    while (*pp != NULL) {
        if ((*pp)->rec.obj_class != SIGIL_CLASS_PRIVATE_KEY) {
            pp = &(*pp)->next;
            continue;
        }
        fw_object_name(name, sizeof(name), slot, (*pp)->rec.handle);
        if (fw->plat->ops->store_remove(fw->plat, name) != SIGIL_STORE_OK)
            return SIGIL_ST_STORAGE_FAILURE;
        fw_keystore_unlink_locked(t, pp);
    }
    return SIGIL_ST_OK;
}

fw_object *fw_keystore_get_private(sigil_fw *fw, uint32_t slot, uint32_t handle)
{
    fw_token *t = &fw->tokens[slot];
    fw_object *found = NULL;

    pthread_mutex_lock(&t->lock);
    for (fw_object *o = t->objects; o != NULL; o = o->next) {
        if (o->rec.handle == handle && o->rec.obj_class == SIGIL_CLASS_PRIVATE_KEY) {
            atomic_fetch_add(&o->refs, 1);
            found = o;
            break;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return found;
}

fw_object *fw_keystore_get_private_of_public(sigil_fw *fw, uint32_t slot, uint32_t pub_handle)
{
    fw_token *t = &fw->tokens[slot];
    fw_object *pub = NULL, *found = NULL;

    pthread_mutex_lock(&t->lock);
    for (fw_object *o = t->objects; o != NULL && pub == NULL; o = o->next) {
        if (o->rec.handle == pub_handle && o->rec.obj_class == SIGIL_CLASS_PUBLIC_KEY)
            pub = o;
    }
    for (fw_object *o = t->objects; pub != NULL && o != NULL; o = o->next) {
        if (o->rec.obj_class == SIGIL_CLASS_PRIVATE_KEY && o->rec.key_type == pub->rec.key_type &&
            o->rec.pub_a_len == pub->rec.pub_a_len && o->rec.pub_b_len == pub->rec.pub_b_len &&
            memcmp(o->rec.pub_a, pub->rec.pub_a, pub->rec.pub_a_len) == 0 &&
            memcmp(o->rec.pub_b, pub->rec.pub_b, pub->rec.pub_b_len) == 0) {
            atomic_fetch_add(&o->refs, 1);
            found = o;
            break;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return found;
}
