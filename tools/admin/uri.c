/* uri.c — PKCS#11 URIs (RFC 7512) of seal keys, ready for OpenSSL, GnuTLS and p11-kit.
 *
 * Path attribute values are percent-encoded except the unreserved characters of RFC 3986 (a
 * stricter choice than RFC 7512 needs, and one every parser accepts); CKA_ID is always written
 * byte by byte as %XX, as p11-kit does.
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"

/* Appends to out[0..cap) at *used like snprintf would, always counting what is needed. */
static void put(char *out, size_t cap, size_t *used, const char *s, size_t n)
{
    if (*used < cap) {
        size_t room = cap - *used - 1; /* keep a byte for the NUL */
        size_t k = n < room ? n : room;
        memcpy(out + *used, s, k);
        out[*used + k] = '\0';
    }
    *used += n;
}

static bool unreserved(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

static void put_pct(char *out, size_t cap, size_t *used, const uint8_t *s, size_t n, bool all)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        if (!all && unreserved(s[i])) {
            put(out, cap, used, (const char *)&s[i], 1);
        } else {
            char e[3] = {'%', digits[s[i] >> 4], digits[s[i] & 0x0f]};
            put(out, cap, used, e, 3);
        }
    }
}

size_t admin_pct_encode(const uint8_t *s, size_t n, char *out, size_t cap)
{
    size_t used = 0;
    if (cap > 0)
        out[0] = '\0';
    put_pct(out, cap, &used, s, n, false);
    return used;
}

static void attr(char *out, size_t cap, size_t *used, bool *first, const char *name, const uint8_t *v, size_t n,
                 bool all)
{
    if (!*first)
        put(out, cap, used, ";", 1);
    *first = false;
    put(out, cap, used, name, strlen(name));
    put(out, cap, used, "=", 1);
    put_pct(out, cap, used, v, n, all);
}

size_t admin_p11uri_format(const admin_p11uri *u, char *out, size_t cap)
{
    size_t used = 0;
    bool first = true;
    if (cap > 0)
        out[0] = '\0';
    put(out, cap, &used, "pkcs11:", 7);
    if (u->token != NULL)
        attr(out, cap, &used, &first, "token", (const uint8_t *)u->token, strlen(u->token), false);
    if (u->manufacturer != NULL)
        attr(out, cap, &used, &first, "manufacturer", (const uint8_t *)u->manufacturer, strlen(u->manufacturer),
             false);
    if (u->serial != NULL)
        attr(out, cap, &used, &first, "serial", (const uint8_t *)u->serial, strlen(u->serial), false);
    if (u->object != NULL)
        attr(out, cap, &used, &first, "object", (const uint8_t *)u->object, strlen(u->object), false);
    if (u->id != NULL && u->id_len > 0)
        attr(out, cap, &used, &first, "id", u->id, u->id_len, true);
    if (u->type != NULL)
        attr(out, cap, &used, &first, "type", (const uint8_t *)u->type, strlen(u->type), false);
    return used;
}
