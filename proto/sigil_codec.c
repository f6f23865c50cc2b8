/* sigil_codec.c — bounds-checked body reader and writer. */
#include <string.h>

#include "sigil_proto.h"

void sigil_wr_init(sigil_wr *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->failed = false;
}

uint8_t *sigil_wr_reserve(sigil_wr *w, size_t n)
{
    if (w->failed || n > w->cap - w->len) {
        w->failed = true;
        return NULL;
    }
    uint8_t *p = w->buf + w->len;
    w->len += n;
    return p;
}

static void wr_be(sigil_wr *w, uint64_t v, size_t n)
{
    uint8_t *p = sigil_wr_reserve(w, n);
    if (p == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8u * (n - 1u - i)));
}

void sigil_wr_u8(sigil_wr *w, uint8_t v) { wr_be(w, v, 1); }
void sigil_wr_u16(sigil_wr *w, uint16_t v) { wr_be(w, v, 2); }
void sigil_wr_u32(sigil_wr *w, uint32_t v) { wr_be(w, v, 4); }
void sigil_wr_u64(sigil_wr *w, uint64_t v) { wr_be(w, v, 8); }

void sigil_wr_bytes(sigil_wr *w, const uint8_t *p, size_t n)
{
    if (n > UINT32_MAX) {
        w->failed = true;
        return;
    }
    wr_be(w, (uint32_t)n, 4);
    uint8_t *dst = sigil_wr_reserve(w, n);
    if (dst != NULL && n > 0)
        memcpy(dst, p, n);
}

void sigil_wr_str(sigil_wr *w, const char *s)
{
    sigil_wr_bytes(w, (const uint8_t *)s, strlen(s));
}

void sigil_rd_init(sigil_rd *r, const uint8_t *buf, size_t len)
{
    r->buf = buf;
    r->len = len;
    r->off = 0;
    r->failed = false;
}

static const uint8_t *rd_take(sigil_rd *r, size_t n)
{
    if (r->failed || n > r->len - r->off) {
        r->failed = true;
        return NULL;
    }
    const uint8_t *p = r->buf + r->off;
    r->off += n;
    return p;
}

static uint64_t rd_be(sigil_rd *r, size_t n)
{
    const uint8_t *p = rd_take(r, n);
    uint64_t v = 0;
    if (p == NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

uint8_t sigil_rd_u8(sigil_rd *r) { return (uint8_t)rd_be(r, 1); }
uint16_t sigil_rd_u16(sigil_rd *r) { return (uint16_t)rd_be(r, 2); }
uint32_t sigil_rd_u32(sigil_rd *r) { return (uint32_t)rd_be(r, 4); }
uint64_t sigil_rd_u64(sigil_rd *r) { return rd_be(r, 8); }

const uint8_t *sigil_rd_bytes(sigil_rd *r, size_t max, size_t *n)
{
    uint32_t len = sigil_rd_u32(r);
    *n = 0;
    if (r->failed)
        return NULL;
    if (len > max) {
        r->failed = true;
        return NULL;
    }
    const uint8_t *p = rd_take(r, len);
    if (p != NULL)
        *n = len;
    return p;
}

void sigil_rd_str(sigil_rd *r, char *dst, size_t max)
{
    size_t n = 0;
    const uint8_t *p = sigil_rd_bytes(r, max, &n);
    dst[0] = '\0';
    if (p == NULL)
        return;
    if (memchr(p, '\0', n) != NULL) {
        r->failed = true;
        return;
    }
    memcpy(dst, p, n);
    dst[n] = '\0';
}
