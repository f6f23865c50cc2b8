/* sigil_attrs.c — the TLV of sigil_attrs.h. */
#include <string.h>

#include "sigil_attrs.h"

void sigil_attrs_put(sigil_wr *w, uint32_t type, const uint8_t *v, size_t n)
{
    sigil_wr_u32(w, type);
    sigil_wr_bytes(w, v, n);
}

void sigil_attrs_put_ulong(sigil_wr *w, uint32_t type, uint64_t v)
{
    uint8_t num[SIGIL_ATTR_ULONG_LEN];
    sigil_wr n;
    sigil_wr_init(&n, num, sizeof(num));
    sigil_wr_u64(&n, v);
    sigil_attrs_put(w, type, num, sizeof(num));
}

void sigil_attrs_put_bool(sigil_wr *w, uint32_t type, bool v)
{
    uint8_t b = v ? 1 : 0;
    sigil_attrs_put(w, type, &b, 1);
}

bool sigil_attrs_next(sigil_rd *r, sigil_attr_tlv *a)
{
    size_t n = 0;
    memset(a, 0, sizeof(*a));
    if (!sigil_rd_ok(r) || r->off >= r->len)
        return false;
    a->type = sigil_rd_u32(r);
    const uint8_t *p = sigil_rd_bytes(r, SIGIL_OBJ_ATTRS_MAX, &n);
    if (!sigil_rd_ok(r))
        return false;
    a->val = n > 0 ? p : NULL;
    a->len = n;
    return true;
}

bool sigil_attrs_get_ulong(const sigil_attr_tlv *a, uint64_t *v)
{
    sigil_rd r;
    if (a->len != SIGIL_ATTR_ULONG_LEN)
        return false;
    sigil_rd_init(&r, a->val, a->len);
    *v = sigil_rd_u64(&r);
    return sigil_rd_done(&r);
}

bool sigil_attrs_get_bool(const sigil_attr_tlv *a, bool *v)
{
    if (a->len != 1 || a->val[0] > 1)
        return false;
    *v = a->val[0] != 0;
    return true;
}

bool sigil_attrs_date_ok(const sigil_attr_tlv *a)
{
    return a->len == 0 || a->len == SIGIL_ATTR_DATE_LEN;
}

bool sigil_attrs_valid(const uint8_t *in, size_t len)
{
    sigil_rd r, again;
    sigil_attr_tlv a, b;
    sigil_rd_init(&r, in, len);
    while (sigil_attrs_next(&r, &a)) {
        /* Quadratic, but a field holds a handful of attributes (at most 8 KiB). */
        sigil_rd_init(&again, in, len);
        while (sigil_attrs_next(&again, &b) && again.off < r.off) {
            if (b.type == a.type)
                return false;
        }
    }
    return sigil_rd_done(&r);
}

bool sigil_attrs_find(const uint8_t *in, size_t len, uint32_t type, sigil_attr_tlv *out)
{
    sigil_rd r;
    sigil_attr_tlv a;
    if (!sigil_attrs_valid(in, len))
        return false;
    sigil_rd_init(&r, in, len);
    while (sigil_attrs_next(&r, &a)) {
        if (a.type == type) {
            *out = a;
            return true;
        }
    }
    return false;
}
