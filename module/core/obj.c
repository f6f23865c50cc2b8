/* obj.c — one object: its further attributes (xattrs), copies, and the record it travels in. */
#include <stdlib.h>
#include <string.h>

#include "attrs_codec.h"
#include "object.h"

void sigil_object_release(sigil_object *o)
{
    for (size_t i = 0; i < o->n_x; i++)
        free(o->x[i].val);
    free(o->x);
    o->x = NULL;
    o->n_x = 0;
}

CK_RV sigil_object_clone(sigil_object *dst, const sigil_object *src)
{
    *dst = *src;
    dst->x = NULL;
    dst->n_x = 0;
    for (size_t i = 0; i < src->n_x; i++) {
        CK_RV rv = sigil_xattr_put(dst, src->x[i].type, src->x[i].val, src->x[i].len);
        if (rv != CKR_OK) {
            sigil_object_release(dst);
            return rv;
        }
    }
    return CKR_OK;
}

const sigil_xattr *sigil_xattr_find(const sigil_object *o, CK_ATTRIBUTE_TYPE t)
{
    for (size_t i = 0; i < o->n_x; i++)
        if (o->x[i].type == t)
            return &o->x[i];
    return NULL;
}

CK_RV sigil_xattr_put(sigil_object *o, CK_ATTRIBUTE_TYPE t, const void *v, size_t n)
{
    uint8_t *copy = NULL;
    if (n > 0) {
        copy = malloc(n);
        if (copy == NULL)
            return CKR_HOST_MEMORY;
        memcpy(copy, v, n);
    }
    for (size_t i = 0; i < o->n_x; i++) {
        if (o->x[i].type == t) {
            free(o->x[i].val);
            o->x[i].val = copy;
            o->x[i].len = n;
            return CKR_OK;
        }
    }
    sigil_xattr *grown = realloc(o->x, (o->n_x + 1) * sizeof(*grown));
    if (grown == NULL) {
        free(copy);
        return CKR_HOST_MEMORY;
    }
    o->x = grown;
    o->x[o->n_x++] = (sigil_xattr){.type = t, .len = n, .val = copy};
    return CKR_OK;
}

void sigil_xattr_remove(sigil_object *o, CK_ATTRIBUTE_TYPE t)
{
    for (size_t i = 0; i < o->n_x; i++) {
        if (o->x[i].type == t) {
            free(o->x[i].val);
            o->x[i] = o->x[--o->n_x];
            return;
        }
    }
}

bool sigil_xattr_bool(const sigil_object *o, CK_ATTRIBUTE_TYPE t, bool dflt)
{
    const sigil_xattr *x = sigil_xattr_find(o, t);
    if (x == NULL || x->len != sizeof(CK_BBOOL))
        return dflt;
    return *(const CK_BBOOL *)x->val != CK_FALSE;
}

CK_ULONG sigil_xattr_ulong(const sigil_object *o, CK_ATTRIBUTE_TYPE t, CK_ULONG dflt)
{
    CK_ULONG v = dflt;
    const sigil_xattr *x = sigil_xattr_find(o, t);
    if (x != NULL && x->len == sizeof(CK_ULONG))
        memcpy(&v, x->val, sizeof(v));
    return v;
}

CK_OBJECT_CLASS sigil_object_class(const sigil_object *o)
{
    switch (o->obj_class) {
    case SIGIL_CLASS_PUBLIC_KEY: return CKO_PUBLIC_KEY;
    case SIGIL_CLASS_PRIVATE_KEY: return CKO_PRIVATE_KEY;
    case SIGIL_CLASS_CERTIFICATE: return CKO_CERTIFICATE;
    case SIGIL_CLASS_DATA: return CKO_DATA;
    default: return CKO_VENDOR_DEFINED;
    }
}

bool sigil_object_modifiable(const sigil_object *o)
{
    return sigil_xattr_bool(o, CKA_MODIFIABLE, true);
}

bool sigil_object_copyable(const sigil_object *o)
{
    if (o->obj_class == SIGIL_CLASS_PRIVATE_KEY)
        return false; /* its key material never leaves the appliance */
    return sigil_xattr_bool(o, CKA_COPYABLE, true);
}

bool sigil_object_destroyable(const sigil_object *o)
{
    return sigil_xattr_bool(o, CKA_DESTROYABLE, true);
}

CK_RV sigil_object_from_record(sigil_object *o, const sigil_obj_record *r)
{
    memset(o, 0, sizeof(*o));
    if (r->id_len > sizeof(o->id) || r->pub_a_len > sizeof(o->pub_a) || r->pub_b_len > sizeof(o->pub_b))
        return CKR_DEVICE_ERROR;
    o->handle = r->handle;
    o->obj_class = r->obj_class;
    o->key_type = r->key_type;
    o->bits = r->bits;
    o->flags = r->flags;
    memcpy(o->id, r->id, r->id_len);
    o->id_len = r->id_len;
    memcpy(o->label, r->label, sizeof(o->label));
    o->label[sizeof(o->label) - 1] = '\0';
    memcpy(o->pub_a, r->pub_a, r->pub_a_len);
    o->pub_a_len = r->pub_a_len;
    memcpy(o->pub_b, r->pub_b, r->pub_b_len);
    o->pub_b_len = r->pub_b_len;
    CK_RV rv = sigil_attrs_decode(r->attrs, r->attrs_len, o);
    if (rv != CKR_OK)
        sigil_object_release(o);
    return rv;
}

CK_RV sigil_object_to_record(const sigil_object *o, sigil_obj_record *r)
{
    memset(r, 0, sizeof(*r));
    r->handle = o->handle <= UINT32_MAX ? (uint32_t)o->handle : 0;
    r->obj_class = o->obj_class;
    r->key_type = o->key_type;
    r->bits = o->bits;
    r->flags = o->flags;
    memcpy(r->id, o->id, o->id_len);
    r->id_len = o->id_len;
    memcpy(r->label, o->label, sizeof(r->label));
    memcpy(r->pub_a, o->pub_a, o->pub_a_len);
    r->pub_a_len = o->pub_a_len;
    memcpy(r->pub_b, o->pub_b, o->pub_b_len);
    r->pub_b_len = o->pub_b_len;
    return sigil_attrs_encode(o, r->attrs, sizeof(r->attrs), &r->attrs_len);
}
