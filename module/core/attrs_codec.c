/* attrs_codec.c — an object's xattrs <-> the record's attrs field, with the wire form of
 * proto/sigil_attrs.h (shared with sigil-admin); the kind of each type from attrdef.c. */
#include <string.h>

#include "attrdef.h"
#include "attrs_codec.h"
#include "sigil_attrs.h"

/* The numbers proto/sigil_attrs.h gives the tools are PKCS#11's. */
_Static_assert(SIGIL_ATTR_VALUE == CKA_VALUE, "CKA_VALUE");
_Static_assert(SIGIL_ATTR_TRUSTED == CKA_TRUSTED, "CKA_TRUSTED");
_Static_assert(SIGIL_ATTR_CERTIFICATE_CATEGORY == CKA_CERTIFICATE_CATEGORY, "CKA_CERTIFICATE_CATEGORY");
_Static_assert(SIGIL_ATTR_ISSUER == CKA_ISSUER, "CKA_ISSUER");
_Static_assert(SIGIL_ATTR_SERIAL_NUMBER == CKA_SERIAL_NUMBER, "CKA_SERIAL_NUMBER");
_Static_assert(SIGIL_ATTR_SUBJECT == CKA_SUBJECT, "CKA_SUBJECT");
_Static_assert(SIGIL_ATTR_START_DATE == CKA_START_DATE, "CKA_START_DATE");
_Static_assert(SIGIL_ATTR_END_DATE == CKA_END_DATE, "CKA_END_DATE");
_Static_assert(SIGIL_CERT_CATEGORY_UNSPECIFIED == CK_CERTIFICATE_CATEGORY_UNSPECIFIED, "category");
_Static_assert(SIGIL_CERT_CATEGORY_OTHER_ENTITY == CK_CERTIFICATE_CATEGORY_OTHER_ENTITY, "category");
_Static_assert(SIGIL_ATTR_DATE_LEN == sizeof(CK_DATE), "CK_DATE");

static sigil_attr_kind kind_of(CK_ATTRIBUTE_TYPE t)
{
    const sigil_attrdef *d = sigil_attrdef_find(t);
    return d != NULL ? d->kind : SIGIL_AK_BYTES;
}

CK_RV sigil_attrs_encode(const sigil_object *o, uint8_t *out, size_t cap, size_t *len)
{
    sigil_wr w;
    sigil_wr_init(&w, out, cap);
    *len = 0;
    for (size_t i = 0; i < o->n_x; i++) {
        const sigil_xattr *x = &o->x[i];
        if (x->type > UINT32_MAX)
            return CKR_ATTRIBUTE_TYPE_INVALID;
        switch (kind_of(x->type)) {
        case SIGIL_AK_ULONG: {
            CK_ULONG v = 0;
            if (x->len != sizeof(v))
                return CKR_GENERAL_ERROR;
            memcpy(&v, x->val, sizeof(v));
            sigil_attrs_put_ulong(&w, (uint32_t)x->type, (uint64_t)v);
            break;
        }
        case SIGIL_AK_BOOL:
            if (x->len != sizeof(CK_BBOOL))
                return CKR_GENERAL_ERROR;
            sigil_attrs_put_bool(&w, (uint32_t)x->type, *(const CK_BBOOL *)x->val != CK_FALSE);
            break;
        case SIGIL_AK_DATE:
        case SIGIL_AK_BYTES:
            sigil_attrs_put(&w, (uint32_t)x->type, x->val, x->len);
            break;
        }
    }
    if (!sigil_wr_ok(&w))
        return CKR_DEVICE_MEMORY;
    *len = w.len;
    return CKR_OK;
}

CK_RV sigil_attrs_decode(const uint8_t *in, size_t len, sigil_object *o)
{
    sigil_rd r;
    sigil_attr_tlv a;
    sigil_rd_init(&r, in, len);
    while (sigil_attrs_next(&r, &a)) {
        CK_ATTRIBUTE_TYPE t = a.type;
        CK_RV rv;
        if (sigil_xattr_find(o, t) != NULL)
            return CKR_DEVICE_ERROR;
        switch (kind_of(t)) {
        case SIGIL_AK_ULONG: {
            uint64_t v = 0;
            if (!sigil_attrs_get_ulong(&a, &v) || v > (uint64_t)(CK_ULONG)-1)
                return CKR_DEVICE_ERROR;
            CK_ULONG ul = (CK_ULONG)v;
            rv = sigil_xattr_put(o, t, &ul, sizeof(ul));
            break;
        }
        case SIGIL_AK_BOOL: {
            bool v = false;
            if (!sigil_attrs_get_bool(&a, &v))
                return CKR_DEVICE_ERROR;
            CK_BBOOL b = v ? CK_TRUE : CK_FALSE;
            rv = sigil_xattr_put(o, t, &b, sizeof(b));
            break;
        }
        case SIGIL_AK_DATE:
            if (!sigil_attrs_date_ok(&a))
                return CKR_DEVICE_ERROR;
            rv = sigil_xattr_put(o, t, a.val, a.len);
            break;
        case SIGIL_AK_BYTES:
        default:
            rv = sigil_xattr_put(o, t, a.val, a.len);
            break;
        }
        if (rv != CKR_OK)
            return rv;
    }
    return sigil_rd_ok(&r) ? CKR_OK : CKR_DEVICE_ERROR;
}
