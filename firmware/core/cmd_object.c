/* cmd_object.c — list objects, generate key pairs, destroy objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

sigil_status fw_cmd_object_list(sigil_fw *fw, fw_req *rq)
{
    sigil_fw_conn *conn = rq->conn;
    sigil_rd *in = rq->in;
    sigil_wr *out = rq->out;
    uint32_t slot = sigil_rd_u32(in);
    rq->audit.slot = slot;
    sigil_status st;
    uint32_t n = 0;

    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    st = fw_slot_check(fw, slot);
    if (st != SIGIL_ST_OK)
        return st;
    bool user = fw_login_state(fw, conn, slot) == SIGIL_LOGIN_USER;
    fw_token *t = &fw->tokens[slot];
    mtx_lock(&t->lock);
    if (!t->initialised) {
        mtx_unlock(&t->lock);
        return SIGIL_ST_TOKEN_NOT_INITIALIZED;
    }
    uint8_t *count = sigil_wr_reserve(out, 4);
    for (fw_object *o = t->objects; o != NULL; o = o->next) {
        if ((o->rec.flags & SIGIL_OBJ_PRIVATE) && !user)
            continue;
        sigil_obj_record_write(out, &o->rec);
        n++;
    }
    mtx_unlock(&t->lock);
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
    sigil_fw_conn *conn = rq->conn;
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

    (void)conn;
    sigil_rd_str(in, label, SIGIL_OBJ_LABEL_MAX_LEN);
    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    rq->audit.mech = param;
    st = kind_for(key_type, param, &kind);
    if (st != SIGIL_ST_OK)
        return st;
    fw_token *t = &fw->tokens[slot];
    mtx_lock(&t->lock);
    st = t->object_count + 2 > FW_MAX_OBJECTS_PER_SLOT ? SIGIL_ST_OBJECT_LIMIT : SIGIL_ST_OK;
    mtx_unlock(&t->lock);
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

    mtx_lock(&t->lock);
    if (!t->initialised) {
        st = SIGIL_ST_TOKEN_NOT_INITIALIZED;
    } else {
        /* Both halves durable before the key pair is visible or acknowledged. */
        st = fw_keystore_save(fw, slot, privo, der, der_len);
        if (st == SIGIL_ST_OK)
            st = fw_keystore_save(fw, slot, pubo, NULL, 0);
    }
    if (st == SIGIL_ST_OK) {
        privo->next = t->objects;
        pubo->next = privo;
        t->objects = pubo;
        t->object_count += 2;
        sigil_obj_record_write(out, &pubo->rec);
        sigil_obj_record_write(out, &privo->rec);
        rq->audit.handle = privo->rec.handle;
        pubo = privo = NULL;
    } else {
        /* Nothing half-made stays behind (a torn write included). */
        remove_blob(fw, slot, first + 1);
        remove_blob(fw, slot, first);
    }
    mtx_unlock(&t->lock);
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
    sigil_fw_conn *conn = rq->conn;
    sigil_rd *in = rq->in;
    sigil_wr *out = rq->out;
    uint32_t slot = sigil_rd_u32(in);
    rq->audit.slot = slot;
    uint32_t handle = sigil_rd_u32(in);
    char name[SIGIL_STORAGE_NAME_MAX];
    rq->audit.handle = handle;
    sigil_status st = SIGIL_ST_OBJECT_INVALID;

    (void)conn;
    (void)out;
    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    fw_token *t = &fw->tokens[slot];
    mtx_lock(&t->lock);
    for (fw_object **pp = &t->objects; *pp != NULL; pp = &(*pp)->next) {
        fw_object *o = *pp;
        if (o->rec.handle != handle)
            continue;
        fw_object_name(name, sizeof(name), slot, handle);
        if (fw->plat->ops->store_remove(fw->plat, name) != SIGIL_STORE_OK) {
            st = SIGIL_ST_STORAGE_FAILURE;
            break;
        }
        *pp = o->next;
        t->object_count--;
        fw_object_put(o); /* freed when the last signer lets go */
        st = SIGIL_ST_OK;
        break;
    }
    mtx_unlock(&t->lock);
    return st;
}
