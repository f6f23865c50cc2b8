/* cmd_object.c — list objects, generate key pairs, destroy objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

sigil_status fw_cmd_object_list(sigil_fw *fw, fw_req *rq)
{
    sigil_fw_conn *conn = rq->conn;
    sigil_wr *out = rq->out;
    uint32_t slot, n = 0;
    sigil_status st = fw_req_slot_only(fw, rq, &slot);

    if (st != SIGIL_ST_OK)
        return st;
    bool user = fw_login_state(fw, conn, slot) == SIGIL_LOGIN_USER;
    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    if (!t->initialised) {
        pthread_mutex_unlock(&t->lock);
        return SIGIL_ST_TOKEN_NOT_INITIALIZED;
    }
    uint8_t *count = sigil_wr_reserve(out, 4);
    for (fw_object *o = t->objects; o != NULL; o = o->next) {
        if ((o->rec.flags & SIGIL_OBJ_PRIVATE) && !user)
            continue;
        sigil_obj_record_write(out, &o->rec);
        n++;
    }
    pthread_mutex_unlock(&t->lock);
    if (count != NULL) {
        sigil_wr c;
        sigil_wr_init(&c, count, 4);
        sigil_wr_u32(&c, n);
    }
    return SIGIL_ST_OK;
}

static sigil_status kind_for(uint8_t key_type, uint32_t param, sigil_key_kind *kind)
{
    if (key_type == SIGIL_KEYTYPE_EC && param == 256)
        *kind = SIGIL_KEY_KIND_EC_P256;
    else if (key_type == SIGIL_KEYTYPE_EC && param == 384)
        *kind = SIGIL_KEY_KIND_EC_P384;
    else if (key_type == SIGIL_KEYTYPE_RSA && param == 2048)
        *kind = SIGIL_KEY_KIND_RSA_2048;
    else if (key_type == SIGIL_KEYTYPE_RSA && param == 3072)
        *kind = SIGIL_KEY_KIND_RSA_3072;
    else if (key_type == SIGIL_KEYTYPE_RSA && param == 4096)
        *kind = SIGIL_KEY_KIND_RSA_4096;
    else if (key_type == SIGIL_KEYTYPE_EC || key_type == SIGIL_KEYTYPE_RSA)
        return SIGIL_ST_KEY_SIZE_RANGE;
    else
        return SIGIL_ST_BAD_ARGUMENT;
    return SIGIL_ST_OK;
}

static fw_object *object_new(uint32_t handle, uint8_t cls, uint8_t key_type, sigil_key_kind kind,
                             const sigil_crypto_pub *pub, const uint8_t *id, size_t id_len,
                             const char *label)
{
    fw_object *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return NULL;
    atomic_init(&o->refs, 1);
    o->kind = kind;
    o->rec.handle = handle;
    o->rec.obj_class = cls;
    o->rec.key_type = key_type;
    o->rec.bits = pub->bits;
    o->rec.flags = cls == SIGIL_CLASS_PRIVATE_KEY
                       ? SIGIL_OBJ_SIGN | SIGIL_OBJ_PRIVATE | SIGIL_OBJ_SENSITIVE | SIGIL_OBJ_LOCAL
                       : SIGIL_OBJ_VERIFY | SIGIL_OBJ_LOCAL;
    memcpy(o->rec.id, id, id_len);
    o->rec.id_len = id_len;
    snprintf(o->rec.label, sizeof(o->rec.label), "%s", label);
    memcpy(o->rec.pub_a, pub->a, pub->a_len);
    o->rec.pub_a_len = pub->a_len;
    memcpy(o->rec.pub_b, pub->b, pub->b_len);
    o->rec.pub_b_len = pub->b_len;
    return o;
}

static void remove_blob(sigil_fw *fw, uint32_t slot, uint32_t handle)
{
    char name[SIGIL_STORAGE_NAME_MAX];
    fw_object_name(name, sizeof(name), slot, handle);
    (void)fw->plat->ops->store_remove(fw->plat, name);
}

sigil_status fw_cmd_generate_keypair(sigil_fw *fw, fw_req *rq)
{
    sigil_rd *in = rq->in;
    sigil_wr *out = rq->out;
    char label[SIGIL_OBJ_LABEL_MAX_LEN + 1];
    size_t id_len = 0, der_len = 0;
    uint32_t slot = sigil_rd_u32(in);
    rq->audit.slot = slot;
    uint8_t key_type = sigil_rd_u8(in);
    uint32_t param = sigil_rd_u32(in);
    const uint8_t *id = sigil_rd_bytes(in, SIGIL_ID_MAX_LEN, &id_len);
    sigil_key_kind kind;
    sigil_crypto_pub pub;
    uint8_t *der = NULL;
    fw_object *pubo = NULL, *privo = NULL;
    uint32_t first = 0;
    sigil_status st;

    sigil_rd_str(in, label, SIGIL_OBJ_LABEL_MAX_LEN);
    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    rq->audit.mech = param;
    st = kind_for(key_type, param, &kind);
    if (st != SIGIL_ST_OK)
        return st;
    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    st = fw_keystore_has_room_locked(t, 2, 2 * sizeof(sigil_obj_record)) ? SIGIL_ST_OK : SIGIL_ST_OBJECT_LIMIT;
    pthread_mutex_unlock(&t->lock);
    if (st != SIGIL_ST_OK)
        return st;

    der = malloc(SIGIL_CRYPTO_MAX_PRIV_DER);
    if (der == NULL)
        return SIGIL_ST_NO_MEMORY;
    /* Generation is slow (RSA): done outside every lock. */
    st = sigil_crypto_keygen(kind, der, SIGIL_CRYPTO_MAX_PRIV_DER, &der_len, &pub);
    if (st != SIGIL_ST_OK)
        goto out;
    st = fw_handles_reserve(fw, 2, &first);
    if (st != SIGIL_ST_OK)
        goto out;
    pubo = object_new(first, SIGIL_CLASS_PUBLIC_KEY, key_type, kind, &pub, id, id_len, label);
    privo = object_new(first + 1, SIGIL_CLASS_PRIVATE_KEY, key_type, kind, &pub, id, id_len, label);
    if (pubo == NULL || privo == NULL) {
        st = SIGIL_ST_NO_MEMORY;
        goto out;
    }
    st = sigil_crypto_key_load(kind, der, der_len, &privo->key);
    if (st != SIGIL_ST_OK)
        goto out;

    pthread_mutex_lock(&t->lock);
    if (!t->initialised) {
        st = SIGIL_ST_TOKEN_NOT_INITIALIZED;
    } else if (t->policy.state == SIGIL_SEAL_REVOKED) {
        st = SIGIL_ST_SEAL_REVOKED; /* a revoked seal never gets a key again */
    } else {
        /* Both halves durable before the key pair is visible or acknowledged; an intent
         * record around the two writes lets a restart roll back a pair a crash cut in half. */
        st = fw_keystore_intent_begin(fw, slot, first);
        if (st == SIGIL_ST_OK)
            st = fw_keystore_save(fw, slot, privo, der, der_len);
        if (st == SIGIL_ST_OK)
            st = fw_keystore_save(fw, slot, pubo, NULL, 0);
        if (st == SIGIL_ST_OK)
            st = fw_keystore_intent_end(fw, slot, first);
    }
    if (st == SIGIL_ST_OK) {
        fw_keystore_link_locked(t, privo);
        fw_keystore_link_locked(t, pubo);
        fw_policy_apply_flags_locked(t);
        sigil_obj_record_write(out, &pubo->rec);
        sigil_obj_record_write(out, &privo->rec);
        rq->audit.handle = privo->rec.handle;
        pubo = privo = NULL;
    } else {
        /* Nothing half-made stays behind (a torn write included). */
        remove_blob(fw, slot, first + 1);
        remove_blob(fw, slot, first);
        if (fw_keystore_intent_end(fw, slot, first) != SIGIL_ST_OK)
            st = SIGIL_ST_STORAGE_FAILURE; /* the next start rolls it back */
    }
    pthread_mutex_unlock(&t->lock);
out:
    if (der != NULL)
        sigil_wipe(der, SIGIL_CRYPTO_MAX_PRIV_DER);
    free(der);
    fw_object_put(pubo);
    fw_object_put(privo);
    sigil_wipe(&pub, sizeof(pub));
    return st;
}

sigil_status fw_cmd_destroy_object(sigil_fw *fw, fw_req *rq)
{
    sigil_rd *in = rq->in;
    uint32_t slot = sigil_rd_u32(in);
    rq->audit.slot = slot;
    uint32_t handle = sigil_rd_u32(in);
    char name[SIGIL_STORAGE_NAME_MAX];
    rq->audit.handle = handle;
    sigil_status st = SIGIL_ST_OBJECT_INVALID;

    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    for (fw_object **pp = &t->objects; *pp != NULL; pp = &(*pp)->next) {
        fw_object *o = *pp;
        if (o->rec.handle != handle)
            continue;
        fw_object_name(name, sizeof(name), slot, handle);
        if (fw->plat->ops->store_remove(fw->plat, name) != SIGIL_STORE_OK) {
            st = SIGIL_ST_STORAGE_FAILURE;
            break;
        }
        fw_keystore_unlink_locked(t, pp);
        st = SIGIL_ST_OK;
        break;
    }
    pthread_mutex_unlock(&t->lock);
    return st;
}

/* What an object created from outside may be: no private keys (no plaintext key
 * import), nothing that claims to be a device-generated signing key. */
static sigil_status check_importable(const sigil_obj_record *o)
{
    const uint32_t forbidden = SIGIL_OBJ_SIGN | SIGIL_OBJ_SENSITIVE | SIGIL_OBJ_LOCAL | SIGIL_OBJ_ALWAYS_AUTH;
    if (o->flags & forbidden)
        return SIGIL_ST_TEMPLATE_INCONSISTENT;
    switch (o->obj_class) {
    case SIGIL_CLASS_PUBLIC_KEY:
        if (o->attrs_len != 0)
            return SIGIL_ST_TEMPLATE_INCONSISTENT;
        if (o->key_type != SIGIL_KEYTYPE_EC && o->key_type != SIGIL_KEYTYPE_RSA)
            return SIGIL_ST_BAD_ARGUMENT;
        if (o->pub_a_len == 0 || o->pub_b_len == 0)
            return SIGIL_ST_BAD_ARGUMENT;
        return SIGIL_ST_OK;
    case SIGIL_CLASS_CERTIFICATE:
    case SIGIL_CLASS_DATA:
        return o->key_type == 0 && o->pub_a_len == 0 && o->pub_b_len == 0 ? SIGIL_ST_OK
                                                                          : SIGIL_ST_BAD_ARGUMENT;
    default:
        return SIGIL_ST_TEMPLATE_INCONSISTENT;
    }
}

sigil_status fw_cmd_create_object(sigil_fw *fw, fw_req *rq)
{
    sigil_rd *in = rq->in;
    uint32_t slot = sigil_rd_u32(in);
    fw_object *o = calloc(1, sizeof(*o));
    uint32_t handle = 0;
    sigil_status st;

    rq->audit.slot = slot;
    if (o == NULL)
        return SIGIL_ST_NO_MEMORY;
    atomic_init(&o->refs, 1);
    sigil_obj_record_read(in, &o->rec);
    if (!sigil_rd_done(in)) {
        st = SIGIL_ST_BAD_FRAME;
        goto out;
    }
    rq->audit.mech = o->rec.obj_class;
    st = check_importable(&o->rec);
    if (st != SIGIL_ST_OK)
        goto out;
    if (o->rec.obj_class == SIGIL_CLASS_PUBLIC_KEY)
        o->rec.flags |= SIGIL_OBJ_VERIFY;
    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    st = fw_keystore_has_room_locked(t, 1, sigil_obj_record_len(&o->rec)) ? SIGIL_ST_OK : SIGIL_ST_OBJECT_LIMIT;
    pthread_mutex_unlock(&t->lock);
    if (st == SIGIL_ST_OK)
        st = fw_handles_reserve(fw, 1, &handle);
    if (st != SIGIL_ST_OK)
        goto out;
    o->rec.handle = handle;
    rq->audit.handle = handle;
    pthread_mutex_lock(&t->lock);
    st = !t->initialised ? SIGIL_ST_TOKEN_NOT_INITIALIZED
         : fw_keystore_has_room_locked(t, 1, sigil_obj_record_len(&o->rec)) ? fw_keystore_save(fw, slot, o, NULL, 0)
                                                                           : SIGIL_ST_OBJECT_LIMIT;
    if (st == SIGIL_ST_OK) {
        fw_keystore_link_locked(t, o);
        sigil_obj_record_write(rq->out, &o->rec);
        o = NULL;
    } else {
        remove_blob(fw, slot, handle);
    }
    pthread_mutex_unlock(&t->lock);
out:
    fw_object_put(o);
    return st;
}

sigil_status fw_cmd_set_object(sigil_fw *fw, fw_req *rq)
{
    sigil_rd *in = rq->in;
    char label[SIGIL_OBJ_LABEL_MAX_LEN + 1];
    size_t id_len = 0, attrs_len = 0;
    uint32_t slot = sigil_rd_u32(in);
    uint32_t handle = sigil_rd_u32(in);
    uint8_t what = sigil_rd_u8(in);
    sigil_status st = SIGIL_ST_OBJECT_INVALID;

    rq->audit.slot = slot;
    rq->audit.handle = handle;
    sigil_rd_str(in, label, SIGIL_OBJ_LABEL_MAX_LEN);
    const uint8_t *id = sigil_rd_bytes(in, SIGIL_ID_MAX_LEN, &id_len);
    const uint8_t *attrs = sigil_rd_bytes(in, SIGIL_OBJ_ATTRS_MAX, &attrs_len);
    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    if (what == 0 || (what & ~(SIGIL_SET_LABEL | SIGIL_SET_ID | SIGIL_SET_ATTRS)) != 0)
        return SIGIL_ST_BAD_ARGUMENT;
    rq->audit.mech = what;

    fw_token *t = &fw->tokens[slot];
    pthread_mutex_lock(&t->lock);
    for (fw_object *o = t->objects; o != NULL; o = o->next) {
        if (o->rec.handle != handle)
            continue;
        bool is_key = o->rec.obj_class == SIGIL_CLASS_PUBLIC_KEY || o->rec.obj_class == SIGIL_CLASS_PRIVATE_KEY;
        if ((what & SIGIL_SET_ATTRS) && is_key) {
            st = SIGIL_ST_TEMPLATE_INCONSISTENT;
            break;
        }
        /* Change a copy, persist it, then publish it: a failed write changes nothing. */
        sigil_obj_record *nr = malloc(sizeof(*nr));
        if (nr == NULL) {
            st = SIGIL_ST_NO_MEMORY;
            break;
        }
        *nr = o->rec;
        if (what & SIGIL_SET_LABEL)
            snprintf(nr->label, sizeof(nr->label), "%s", label);
        if (what & SIGIL_SET_ID) {
            memcpy(nr->id, id, id_len);
            nr->id_len = id_len;
        }
        if (what & SIGIL_SET_ATTRS) {
            memcpy(nr->attrs, attrs, attrs_len);
            nr->attrs_len = attrs_len;
        }
        size_t old_len = sigil_obj_record_len(&o->rec), new_len = sigil_obj_record_len(nr);
        if (new_len > old_len && !fw_keystore_has_room_locked(t, 0, new_len - old_len)) {
            st = SIGIL_ST_OBJECT_LIMIT;
            free(nr);
            break;
        }
        st = fw_keystore_resave_locked(fw, slot, o, nr);
        if (st == SIGIL_ST_OK) {
            t->record_bytes = t->record_bytes - old_len + new_len;
            o->rec = *nr;
            sigil_obj_record_write(rq->out, &o->rec);
        }
        free(nr);
        break;
    }
    pthread_mutex_unlock(&t->lock);
    return st;
}
