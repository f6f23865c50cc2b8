/* attrs_codec.c — the TLV of attrs_codec.h. */
#include <string.h>

#include "attrdef.h"
#include "attrs_codec.h"

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
        uint8_t num[8];
        if (x->type > UINT32_MAX)
            return CKR_ATTRIBUTE_TYPE_INVALID;
        sigil_wr_u32(&w, (uint32_t)x->type);
        switch (kind_of(x->type)) {
        case SIGIL_AK_ULONG: {
            CK_ULONG v = 0;
            sigil_wr n;
            if (x->len != sizeof(v))
                return CKR_GENERAL_ERROR;
            memcpy(&v, x->val, sizeof(v));
            sigil_wr_init(&n, num, sizeof(num));
            sigil_wr_u64(&n, (uint64_t)v);
            sigil_wr_bytes(&w, num, sizeof(num));
            break;
        }
        case SIGIL_AK_BOOL:
            if (x->len != sizeof(CK_BBOOL))
                return CKR_GENERAL_ERROR;
            num[0] = *(const CK_BBOOL *)x->val != CK_FALSE ? 1 : 0;
            sigil_wr_bytes(&w, num, 1);
            break;
        case SIGIL_AK_DATE:
        case SIGIL_AK_BYTES:
            sigil_wr_bytes(&w, x->val, x->len);
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
    sigil_rd_init(&r, in, len);
    while (r.off < r.len) {
        size_t n = 0;
        CK_ATTRIBUTE_TYPE t = sigil_rd_u32(&r);
        const uint8_t *p = sigil_rd_bytes(&r, SIGIL_OBJ_ATTRS_MAX, &n);
        if (!sigil_rd_ok(&r) || sigil_xattr_find(o, t) != NULL)
            return CKR_DEVICE_ERROR;
        CK_RV rv;
        switch (kind_of(t)) {
        case SIGIL_AK_ULONG: {
            sigil_rd nr;
            sigil_rd_init(&nr, p, n);
            uint64_t v = sigil_rd_u64(&nr);
            if (!sigil_rd_done(&nr) || v > (uint64_t)(CK_ULONG)-1)
                return CKR_DEVICE_ERROR;
            CK_ULONG ul = (CK_ULONG)v;
            rv = sigil_xattr_put(o, t, &ul, sizeof(ul));
            break;
        }
        case SIGIL_AK_BOOL: {
            if (n != 1 || p[0] > 1)
                return CKR_DEVICE_ERROR;
            CK_BBOOL b = p[0] ? CK_TRUE : CK_FALSE;
            rv = sigil_xattr_put(o, t, &b, sizeof(b));
            break;
        }
        case SIGIL_AK_DATE:
            if (n != 0 && n != sizeof(CK_DATE))
                return CKR_DEVICE_ERROR;
            rv = sigil_xattr_put(o, t, p, n);
            break;
        case SIGIL_AK_BYTES:
        default:
            rv = sigil_xattr_put(o, t, p, n);
            break;
        }
        if (rv != CKR_OK)
            return rv;
    }
    return CKR_OK;
}
