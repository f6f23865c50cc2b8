/* attr.c — the attributes of an object (specs/pkcs11-profile.md "Attributes").
 *
 * Values come from the object record (id, label, public values, flags), from the object's
 * further attributes (certificates, data objects, session objects), are derived (CKA_CHECK_VALUE)
 * or are fixed by the appliance's design (private keys always sensitive and never extractable).
 * Private values answer CKR_ATTRIBUTE_SENSITIVE; anything the class does not have
 * CKR_ATTRIBUTE_TYPE_INVALID.
 */
#include <string.h>

#include "cert.h"
#include "mech.h"
#include "object.h"

static size_t put_bool(uint8_t *tmp, bool b)
{
    CK_BBOOL v = b ? CK_TRUE : CK_FALSE;
    memcpy(tmp, &v, sizeof(v));
    return sizeof(v);
}

static size_t put_ulong(uint8_t *tmp, CK_ULONG v)
{
    memcpy(tmp, &v, sizeof(v));
    return sizeof(v);
}

/* DER OCTET STRING around the raw point; 0 when it does not fit tmp. */
static size_t put_octet_string(uint8_t *tmp, size_t cap, const uint8_t *p, size_t n)
{
    size_t h = n < 0x80 ? 2 : (n <= 0xff ? 3 : 4);
    if (n > 0xffff || h + n > cap)
        return 0;
    tmp[0] = 0x04;
    if (h == 2) {
        tmp[1] = (uint8_t)n;
    } else if (h == 3) {
        tmp[1] = 0x81;
        tmp[2] = (uint8_t)n;
    } else {
        tmp[1] = 0x82;
        tmp[2] = (uint8_t)(n >> 8);
        tmp[3] = (uint8_t)n;
    }
    memcpy(tmp + h, p, n);
    return h + n;
}

/* A byte-string xattr, empty when absent. */
static CK_RV xbytes(const sigil_object *o, CK_ATTRIBUTE_TYPE t, const uint8_t **val, size_t *len)
{
    const sigil_xattr *x = sigil_xattr_find(o, t);
    *val = x != NULL ? x->val : NULL;
    *len = x != NULL ? x->len : 0;
    return CKR_OK;
}

static bool is_sensitive_type(CK_ATTRIBUTE_TYPE t)
{
    switch (t) {
    case CKA_VALUE:
    case CKA_PRIVATE_EXPONENT:
    case CKA_PRIME_1:
    case CKA_PRIME_2:
    case CKA_EXPONENT_1:
    case CKA_EXPONENT_2:
    case CKA_COEFFICIENT:
        return true;
    default:
        return false;
    }
}

/* Attributes of every object (storage attributes). */
static CK_RV storage_attr(const sigil_object *o, CK_ATTRIBUTE_TYPE t, uint8_t *tmp, const uint8_t **val,
                          size_t *len)
{
    switch (t) {
    case CKA_CLASS: *len = put_ulong(tmp, sigil_object_class(o)); return CKR_OK;
    case CKA_TOKEN: *len = put_bool(tmp, o->owner == 0); return CKR_OK;
    case CKA_PRIVATE: *len = put_bool(tmp, (o->flags & SIGIL_OBJ_PRIVATE) != 0); return CKR_OK;
    case CKA_MODIFIABLE: *len = put_bool(tmp, sigil_object_modifiable(o)); return CKR_OK;
    case CKA_COPYABLE: *len = put_bool(tmp, sigil_object_copyable(o)); return CKR_OK;
    case CKA_DESTROYABLE: *len = put_bool(tmp, sigil_object_destroyable(o)); return CKR_OK;
    case CKA_LABEL:
        *val = (const uint8_t *)o->label;
        *len = strlen(o->label);
        return CKR_OK;
    default: return CKR_ATTRIBUTE_TYPE_INVALID;
    }
}

static CK_RV cert_attr(const sigil_object *o, CK_ATTRIBUTE_TYPE t, uint8_t *tmp, const uint8_t **val, size_t *len)
{
    switch (t) {
    case CKA_CERTIFICATE_TYPE: *len = put_ulong(tmp, CKC_X_509); return CKR_OK;
    case CKA_TRUSTED: *len = put_bool(tmp, false); return CKR_OK;
    case CKA_CERTIFICATE_CATEGORY:
        *len = put_ulong(tmp, sigil_xattr_ulong(o, t, CK_CERTIFICATE_CATEGORY_UNSPECIFIED));
        return CKR_OK;
    case CKA_JAVA_MIDP_SECURITY_DOMAIN:
        *len = put_ulong(tmp, sigil_xattr_ulong(o, t, CK_SECURITY_DOMAIN_UNSPECIFIED));
        return CKR_OK;
    case CKA_NAME_HASH_ALGORITHM: *len = put_ulong(tmp, sigil_xattr_ulong(o, t, CKM_SHA_1)); return CKR_OK;
    case CKA_CHECK_VALUE: {
        const sigil_xattr *v = sigil_xattr_find(o, CKA_VALUE);
        *len = 0;
        if (v != NULL && sigil_cert_check_value(v->val, v->len, tmp) == CKR_OK)
            *len = SIGIL_CHECK_VALUE_LEN;
        return CKR_OK;
    }
    case CKA_ID:
        *val = o->id;
        *len = o->id_len;
        return CKR_OK;
    case CKA_START_DATE:
    case CKA_END_DATE:
    case CKA_PUBLIC_KEY_INFO:
    case CKA_SUBJECT:
    case CKA_ISSUER:
    case CKA_SERIAL_NUMBER:
    case CKA_VALUE:
    case CKA_URL:
    case CKA_HASH_OF_SUBJECT_PUBLIC_KEY:
    case CKA_HASH_OF_ISSUER_PUBLIC_KEY:
        return xbytes(o, t, val, len);
    default: return CKR_ATTRIBUTE_TYPE_INVALID;
    }
}

static CK_RV data_attr(const sigil_object *o, CK_ATTRIBUTE_TYPE t, const uint8_t **val, size_t *len)
{
    switch (t) {
    case CKA_APPLICATION:
    case CKA_OBJECT_ID:
    case CKA_VALUE:
        return xbytes(o, t, val, len);
    default: return CKR_ATTRIBUTE_TYPE_INVALID;
    }
}

/* Attributes every key has. */
static CK_RV key_attr(const sigil_object *o, CK_ATTRIBUTE_TYPE t, uint8_t *tmp, const uint8_t **val, size_t *len)
{
    bool ec = o->key_type == SIGIL_KEYTYPE_EC;
    switch (t) {
    case CKA_KEY_TYPE: *len = put_ulong(tmp, ec ? CKK_EC : CKK_RSA); return CKR_OK;
    case CKA_LOCAL: *len = put_bool(tmp, (o->flags & SIGIL_OBJ_LOCAL) != 0); return CKR_OK;
    case CKA_DERIVE: *len = put_bool(tmp, false); return CKR_OK;
    case CKA_START_DATE:
    case CKA_END_DATE:
    case CKA_SUBJECT:
    case CKA_PUBLIC_KEY_INFO:
        return xbytes(o, t, val, len);
    case CKA_ID:
        *val = o->id;
        *len = o->id_len;
        return CKR_OK;
    case CKA_KEY_GEN_MECHANISM:
        *len = put_ulong(tmp, !(o->flags & SIGIL_OBJ_LOCAL) ? CK_UNAVAILABLE_INFORMATION
                              : ec                          ? CKM_EC_KEY_PAIR_GEN
                                                            : CKM_RSA_PKCS_KEY_PAIR_GEN);
        return CKR_OK;
    case CKA_ALLOWED_MECHANISMS: {
        size_t n = o->obj_class == SIGIL_CLASS_PRIVATE_KEY
                       ? sigil_mech_allowed(ec ? CKK_EC : CKK_RSA, CKF_SIGN, (CK_MECHANISM_TYPE *)(void *)tmp,
                                            SIGIL_ATTR_TMP / sizeof(CK_MECHANISM_TYPE))
                       : sigil_mech_allowed(ec ? CKK_EC : CKK_RSA, CKF_VERIFY, (CK_MECHANISM_TYPE *)(void *)tmp,
                                            SIGIL_ATTR_TMP / sizeof(CK_MECHANISM_TYPE));
        *len = n * sizeof(CK_MECHANISM_TYPE);
        return CKR_OK;
    }
    default:
        break;
    }
    if (ec) {
        switch (t) {
        case CKA_EC_PARAMS:
            *val = o->pub_a;
            *len = o->pub_a_len;
            return CKR_OK;
        case CKA_EC_POINT:
            *len = put_octet_string(tmp, SIGIL_ATTR_TMP, o->pub_b, o->pub_b_len);
            return *len > 0 ? CKR_OK : CKR_ATTRIBUTE_TYPE_INVALID;
        default:
            break;
        }
    } else {
        switch (t) {
        case CKA_MODULUS:
            *val = o->pub_a;
            *len = o->pub_a_len;
            return CKR_OK;
        case CKA_PUBLIC_EXPONENT:
            *val = o->pub_b;
            *len = o->pub_b_len;
            return CKR_OK;
        case CKA_MODULUS_BITS: *len = put_ulong(tmp, o->bits); return CKR_OK;
        default:
            break;
        }
    }
    return CKR_ATTRIBUTE_TYPE_INVALID;
}

static CK_RV public_attr(const sigil_object *o, CK_ATTRIBUTE_TYPE t, uint8_t *tmp, size_t *len)
{
    switch (t) {
    case CKA_VERIFY: *len = put_bool(tmp, (o->flags & SIGIL_OBJ_VERIFY) != 0); return CKR_OK;
    case CKA_ENCRYPT:
    case CKA_VERIFY_RECOVER:
    case CKA_WRAP:
    case CKA_TRUSTED: *len = put_bool(tmp, false); return CKR_OK;
    default: return CKR_ATTRIBUTE_TYPE_INVALID;
    }
}

static CK_RV private_attr(const sigil_object *o, CK_ATTRIBUTE_TYPE t, uint8_t *tmp, size_t *len)
{
    switch (t) {
    case CKA_SIGN: *len = put_bool(tmp, (o->flags & SIGIL_OBJ_SIGN) != 0); return CKR_OK;
    case CKA_SENSITIVE:
    case CKA_ALWAYS_SENSITIVE:
    case CKA_NEVER_EXTRACTABLE: *len = put_bool(tmp, true); return CKR_OK;
    case CKA_EXTRACTABLE:
    case CKA_DECRYPT:
    case CKA_SIGN_RECOVER:
    case CKA_UNWRAP:
    case CKA_WRAP_WITH_TRUSTED: *len = put_bool(tmp, false); return CKR_OK;
    case CKA_ALWAYS_AUTHENTICATE:
        *len = put_bool(tmp, (o->flags & SIGIL_OBJ_ALWAYS_AUTH) != 0);
        return CKR_OK;
    default:
        if (is_sensitive_type(t))
            return CKR_ATTRIBUTE_SENSITIVE;
        return CKR_ATTRIBUTE_TYPE_INVALID;
    }
}

CK_RV sigil_attr_value(const sigil_object *o, CK_ATTRIBUTE_TYPE t, uint8_t tmp[SIGIL_ATTR_TMP],
                       const uint8_t **val, size_t *len)
{
    *val = tmp;
    *len = 0;
    CK_RV rv = storage_attr(o, t, tmp, val, len);
    if (rv != CKR_ATTRIBUTE_TYPE_INVALID)
        return rv;
    *val = tmp;
    switch (o->obj_class) {
    case SIGIL_CLASS_CERTIFICATE: return cert_attr(o, t, tmp, val, len);
    case SIGIL_CLASS_DATA: return data_attr(o, t, val, len);
    case SIGIL_CLASS_PUBLIC_KEY:
    case SIGIL_CLASS_PRIVATE_KEY:
        break;
    default: return CKR_ATTRIBUTE_TYPE_INVALID;
    }
    rv = key_attr(o, t, tmp, val, len);
    if (rv != CKR_ATTRIBUTE_TYPE_INVALID)
        return rv;
    *val = tmp;
    if (o->obj_class == SIGIL_CLASS_PRIVATE_KEY)
        return private_attr(o, t, tmp, len);
    return public_attr(o, t, tmp, len);
}

bool sigil_attr_match(const sigil_object *o, const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
    uint8_t tmp[SIGIL_ATTR_TMP];
    for (CK_ULONG i = 0; i < count; i++) {
        const uint8_t *val = NULL;
        size_t len = 0;
        if (sigil_attr_value(o, tmpl[i].type, tmp, &val, &len) != CKR_OK)
            return false;
        if (tmpl[i].ulValueLen != len)
            return false;
        if (len > 0 && (tmpl[i].pValue == NULL || memcmp(tmpl[i].pValue, val, len) != 0))
            return false;
    }
    return true;
}
