/* objbuild.c — objects from templates (objbuild.h). */
#include <string.h>

#include "attrdef.h"
#include "cert.h"
#include "objbuild.h"
#include "pubkey.h"

/* The values of a create template that are checked together at the end. */
typedef struct {
    const CK_ATTRIBUTE *ec_params, *ec_point, *modulus, *exponent, *check_value;
    CK_ULONG modulus_bits;
    bool have_modulus_bits;
    CK_KEY_TYPE key_type;
    bool have_key_type;
    bool have_cert_type;
} pending;

static CK_RV set_label(sigil_object *o, const CK_ATTRIBUTE *a)
{
    if (a->ulValueLen > SIGIL_OBJ_LABEL_MAX_LEN || (a->ulValueLen > 0 && memchr(a->pValue, '\0', a->ulValueLen)))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    if (a->ulValueLen > 0)
        memcpy(o->label, a->pValue, a->ulValueLen);
    o->label[a->ulValueLen] = '\0';
    return CKR_OK;
}

static CK_RV set_id(sigil_object *o, const CK_ATTRIBUTE *a)
{
    if (a->ulValueLen > SIGIL_ID_MAX_LEN)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    if (a->ulValueLen > 0)
        memcpy(o->id, a->pValue, a->ulValueLen);
    o->id_len = a->ulValueLen;
    return CKR_OK;
}

/* A CK_BBOOL whose default is true, kept only when false. */
static CK_RV set_policy_bool(sigil_object *o, const CK_ATTRIBUTE *a)
{
    CK_BBOOL f = CK_FALSE;
    if (sigil_tmpl_bool(a)) {
        sigil_xattr_remove(o, a->type);
        return CKR_OK;
    }
    return sigil_xattr_put(o, a->type, &f, sizeof(f));
}

static void set_private(sigil_object *o, bool priv)
{
    if (priv)
        o->flags |= SIGIL_OBJ_PRIVATE;
    else
        o->flags &= ~(uint32_t)SIGIL_OBJ_PRIVATE;
}

/* A byte-string (or date) attribute kept as an xattr; empty means absent. */
static CK_RV set_bytes(sigil_object *o, const CK_ATTRIBUTE *a)
{
    if (a->ulValueLen == 0) {
        sigil_xattr_remove(o, a->type);
        return CKR_OK;
    }
    return sigil_xattr_put(o, a->type, a->pValue, a->ulValueLen);
}

/* ---- C_CreateObject ---------------------------------------------------------------------------- */

static CK_RV class_of(const CK_ATTRIBUTE *tmpl, CK_ULONG count, uint8_t *cls)
{
    for (CK_ULONG i = 0; i < count; i++) {
        if (tmpl[i].type != CKA_CLASS)
            continue;
        if (tmpl[i].ulValueLen != sizeof(CK_ULONG))
            return CKR_ATTRIBUTE_VALUE_INVALID;
        switch (sigil_tmpl_ulong(&tmpl[i])) {
        case CKO_CERTIFICATE: *cls = SIGIL_CLASS_CERTIFICATE; return CKR_OK;
        case CKO_DATA: *cls = SIGIL_CLASS_DATA; return CKR_OK;
        case CKO_PUBLIC_KEY: *cls = SIGIL_CLASS_PUBLIC_KEY; return CKR_OK;
        case CKO_PRIVATE_KEY:
        case CKO_SECRET_KEY: return CKR_TEMPLATE_INCONSISTENT; /* no key import: keys are made inside */
        default: return CKR_ATTRIBUTE_VALUE_INVALID;
        }
    }
    return CKR_TEMPLATE_INCOMPLETE;
}

/* One attribute of a create template (its shape already checked). */
static CK_RV take(sigil_object *o, pending *p, const CK_ATTRIBUTE *a, bool *token)
{
    switch (a->type) {
    case CKA_CLASS: return CKR_OK;
    case CKA_TOKEN: *token = sigil_tmpl_bool(a); return CKR_OK;
    case CKA_PRIVATE: set_private(o, sigil_tmpl_bool(a)); return CKR_OK;
    case CKA_MODIFIABLE:
    case CKA_COPYABLE:
    case CKA_DESTROYABLE: return set_policy_bool(o, a);
    case CKA_LABEL: return set_label(o, a);
    case CKA_ID: return set_id(o, a);
    case CKA_CERTIFICATE_TYPE:
        p->have_cert_type = true;
        return sigil_tmpl_ulong(a) == CKC_X_509 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
    case CKA_TRUSTED: return sigil_tmpl_bool(a) ? CKR_ATTRIBUTE_READ_ONLY : CKR_OK; /* SO only (footnote 10) */
    case CKA_CERTIFICATE_CATEGORY: {
        CK_ULONG c = sigil_tmpl_ulong(a);
        if (c > CK_CERTIFICATE_CATEGORY_OTHER_ENTITY)
            return CKR_ATTRIBUTE_VALUE_INVALID;
        if (c == CK_CERTIFICATE_CATEGORY_UNSPECIFIED)
            return CKR_OK;
        return sigil_xattr_put(o, a->type, &c, sizeof(c));
    }
    case CKA_CHECK_VALUE: p->check_value = a; return CKR_OK;
    case CKA_KEY_TYPE:
        p->key_type = sigil_tmpl_ulong(a);
        p->have_key_type = true;
        return p->key_type == CKK_EC || p->key_type == CKK_RSA ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
    case CKA_EC_PARAMS: p->ec_params = a; return CKR_OK;
    case CKA_EC_POINT: p->ec_point = a; return CKR_OK;
    case CKA_MODULUS: p->modulus = a; return CKR_OK;
    case CKA_PUBLIC_EXPONENT: p->exponent = a; return CKR_OK;
    case CKA_MODULUS_BITS:
        p->modulus_bits = sigil_tmpl_ulong(a);
        p->have_modulus_bits = true;
        return CKR_OK;
    case CKA_VERIFY:
    case CKA_ENCRYPT:
    case CKA_VERIFY_RECOVER:
    case CKA_WRAP:
    case CKA_DERIVE:
        return CKR_OK; /* accepted; a public key here only verifies (profile, deviations) */
    case CKA_JAVA_MIDP_SECURITY_DOMAIN:
    case CKA_NAME_HASH_ALGORITHM:
        return sigil_xattr_put(o, a->type, a->pValue, a->ulValueLen);
    default:
        return set_bytes(o, a);
    }
}

static CK_RV finish_cert(sigil_object *o, const pending *p)
{
    sigil_cert_names names;
    const sigil_xattr *v = sigil_xattr_find(o, CKA_VALUE);
    CK_RV rv = CKR_TEMPLATE_INCOMPLETE;
    if (!p->have_cert_type || v == NULL)
        return rv;
    const uint8_t *der = v->val; /* v itself moves when xattrs are added */
    size_t der_len = v->len;
    rv = sigil_cert_parse(der, der_len, &names);
    if (rv != CKR_OK)
        return rv;
    /* Derived from the DER when not given (SoftHSM and OpenSC do the same). */
    if (sigil_xattr_find(o, CKA_SUBJECT) == NULL)
        rv = sigil_xattr_put(o, CKA_SUBJECT, names.subject, names.subject_len);
    if (rv == CKR_OK && sigil_xattr_find(o, CKA_ISSUER) == NULL)
        rv = sigil_xattr_put(o, CKA_ISSUER, names.issuer, names.issuer_len);
    if (rv == CKR_OK && sigil_xattr_find(o, CKA_SERIAL_NUMBER) == NULL)
        rv = sigil_xattr_put(o, CKA_SERIAL_NUMBER, names.serial, names.serial_len);
    sigil_cert_names_free(&names);
    if (rv == CKR_OK && p->check_value != NULL) {
        uint8_t cv[SIGIL_CHECK_VALUE_LEN];
        rv = sigil_cert_check_value(der, der_len, cv);
        if (rv == CKR_OK && (p->check_value->ulValueLen != sizeof(cv) ||
                             memcmp(p->check_value->pValue, cv, sizeof(cv)) != 0))
            rv = CKR_ATTRIBUTE_VALUE_INVALID;
    }
    return rv;
}

static CK_RV finish_pubkey(sigil_object *o, const pending *p)
{
    CK_RV rv;
    if (!p->have_key_type)
        return CKR_TEMPLATE_INCOMPLETE;
    if (p->key_type == CKK_EC) {
        if (p->modulus != NULL || p->exponent != NULL || p->have_modulus_bits)
            return CKR_TEMPLATE_INCONSISTENT;
        if (p->ec_params == NULL || p->ec_point == NULL)
            return CKR_TEMPLATE_INCOMPLETE;
        rv = sigil_pubkey_set_ec(o, p->ec_params->pValue, p->ec_params->ulValueLen, p->ec_point->pValue,
                                 p->ec_point->ulValueLen);
    } else {
        if (p->ec_params != NULL || p->ec_point != NULL)
            return CKR_TEMPLATE_INCONSISTENT;
        if (p->modulus == NULL || p->exponent == NULL)
            return CKR_TEMPLATE_INCOMPLETE;
        rv = sigil_pubkey_set_rsa(o, p->modulus->pValue, p->modulus->ulValueLen, p->exponent->pValue,
                                  p->exponent->ulValueLen);
        if (rv == CKR_OK && p->have_modulus_bits && p->modulus_bits != o->bits)
            rv = CKR_TEMPLATE_INCONSISTENT;
    }
    o->flags |= SIGIL_OBJ_VERIFY;
    return rv;
}

CK_RV sigil_objbuild_create(const CK_ATTRIBUTE *tmpl, CK_ULONG count, sigil_object *o, bool *token)
{
    pending p;
    uint8_t cls = 0;

    memset(o, 0, sizeof(*o));
    memset(&p, 0, sizeof(p));
    *token = false; /* CKA_TOKEN defaults to false */
    CK_RV rv = sigil_tmpl_check(tmpl, count);
    if (rv == CKR_OK)
        rv = class_of(tmpl, count, &cls);
    if (rv != CKR_OK)
        return rv;
    o->obj_class = cls;
    if (cls == SIGIL_CLASS_DATA)
        o->flags |= SIGIL_OBJ_PRIVATE; /* CKA_PRIVATE's default is token-specific: data objects private
                                        * (as SoftHSM), certificates and public keys public */
    uint8_t bit = sigil_attrdef_class_bit(cls);
    for (CK_ULONG i = 0; rv == CKR_OK && i < count; i++) {
        const sigil_attrdef *d = sigil_attrdef_find(tmpl[i].type);
        if (d == NULL || !(d->create & bit))
            rv = d != NULL && (d->has & bit) ? CKR_ATTRIBUTE_READ_ONLY : CKR_ATTRIBUTE_TYPE_INVALID;
        if (rv == CKR_OK)
            rv = sigil_attrdef_check(d, &tmpl[i]);
        if (rv == CKR_OK)
            rv = take(o, &p, &tmpl[i], token);
    }
    if (rv == CKR_OK && cls == SIGIL_CLASS_CERTIFICATE)
        rv = finish_cert(o, &p);
    if (rv == CKR_OK && cls == SIGIL_CLASS_PUBLIC_KEY)
        rv = finish_pubkey(o, &p);
    if (rv != CKR_OK) {
        sigil_object_release(o);
        memset(o, 0, sizeof(*o));
    }
    return rv;
}

/* ---- C_SetAttributeValue, C_CopyObject -------------------------------------------------------- */

/* True when a has exactly o's current value of its type. */
static bool same_value(const sigil_object *o, const CK_ATTRIBUTE *a)
{
    uint8_t tmp[SIGIL_ATTR_TMP];
    const uint8_t *val = NULL;
    size_t len = 0;
    if (sigil_attr_value(o, a->type, tmp, &val, &len) != CKR_OK || len != a->ulValueLen)
        return false;
    return len == 0 || memcmp(val, a->pValue, len) == 0;
}

CK_RV sigil_objbuild_apply(sigil_object *o, const CK_ATTRIBUTE *a, sigil_apply_mode mode, bool store_x,
                           bool *token)
{
    uint8_t tmp[SIGIL_ATTR_TMP];
    const uint8_t *val = NULL;
    size_t len = 0;
    const sigil_attrdef *d = sigil_attrdef_find(a->type);
    uint8_t bit = sigil_attrdef_class_bit(o->obj_class);
    bool copy = mode == SIGIL_APPLY_COPY;

    CK_RV rv = sigil_attr_value(o, a->type, tmp, &val, &len);
    if (rv == CKR_ATTRIBUTE_TYPE_INVALID || d == NULL)
        return CKR_ATTRIBUTE_TYPE_INVALID;
    rv = sigil_attrdef_check(d, a);
    if (rv != CKR_OK)
        return rv;
    switch (a->type) {
    case CKA_LABEL: return set_label(o, a);
    case CKA_TOKEN:
        if (!copy)
            return CKR_ATTRIBUTE_READ_ONLY;
        *token = sigil_tmpl_bool(a);
        return CKR_OK;
    case CKA_PRIVATE:
        if (!copy)
            return CKR_ATTRIBUTE_READ_ONLY;
        set_private(o, sigil_tmpl_bool(a));
        return CKR_OK;
    case CKA_MODIFIABLE:
    case CKA_DESTROYABLE:
        if (!copy)
            return CKR_ATTRIBUTE_READ_ONLY;
        return store_x || same_value(o, a) ? set_policy_bool(o, a) : CKR_ATTRIBUTE_READ_ONLY;
    case CKA_COPYABLE: /* may become false, never true again (footnote 12) */
        if (sigil_tmpl_bool(a))
            return same_value(o, a) ? CKR_OK : CKR_ATTRIBUTE_READ_ONLY;
        return store_x || same_value(o, a) ? set_policy_bool(o, a) : CKR_ATTRIBUTE_READ_ONLY;
    case CKA_SENSITIVE: /* may become true (footnote 11): private keys are */
    case CKA_TRUSTED:   /* may be set true by the SO only (footnote 10): never here */
    case CKA_EXTRACTABLE: /* may become false (footnote 12): private keys are */
        return same_value(o, a) ? CKR_OK : CKR_ATTRIBUTE_READ_ONLY;
    default:
        break;
    }
    if (!(d->set & bit))
        return CKR_ATTRIBUTE_READ_ONLY;
    if (a->type == CKA_ID)
        return set_id(o, a);
    if (same_value(o, a))
        return CKR_OK;
    /* The usage flags of keys are fixed by what the appliance does with them; further
     * attributes need somewhere to live. */
    if (d->kind == SIGIL_AK_BOOL || !store_x)
        return CKR_ATTRIBUTE_READ_ONLY;
    return set_bytes(o, a);
}
