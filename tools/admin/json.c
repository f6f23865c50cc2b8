/* json.c — the --json output of sigil-admin: one object per command, on one line.
 *
 * Strings from the appliance (labels, versions) are escaped; bytes that are not valid
 * UTF-8 become U+FFFD so that the output is always valid JSON.
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"

void admin_json_begin(admin_json *j, FILE *out)
{
    j->out = out;
    j->depth = 0;
    j->need_comma[0] = false;
    fputc('{', out);
}

void admin_json_end(admin_json *j)
{
    fputs("}\n", j->out);
    fflush(j->out);
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    unsigned long cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0u) != 0x80u)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static void put_string(FILE *out, const char *v, size_t len)
{
    const unsigned char *s = (const unsigned char *)v;
    const unsigned char *end = s + len;
    fputc('"', out);
    while (s < end) {
        unsigned char c = *s;
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
            s++;
        } else if (c == '\n') {
            fputs("\\n", out);
            s++;
        } else if (c == '\t') {
            fputs("\\t", out);
            s++;
        } else if (c == '\r') {
            fputs("\\r", out);
            s++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u%04x", c);
            s++;
        } else {
            size_t n = utf8_seq_len(s, (size_t)(end - s));
            if (n == 0) {
                fputs("\\ufffd", out);
                s++;
            } else {
                fwrite(s, 1, n, out);
                s += n;
            }
        }
    }
    fputc('"', out);
}

/* Writes the separator and the key (when inside an object) of the next value. */
static void put_key(admin_json *j, const char *key)
{
    if (j->need_comma[j->depth])
        fputc(',', j->out);
    j->need_comma[j->depth] = true;
    if (key != NULL) {
        put_string(j->out, key, strlen(key));
        fputc(':', j->out);
    }
}

static void open_container(admin_json *j, const char *key, char c)
{
    put_key(j, key);
    fputc(c, j->out);
    if (j->depth + 1 < ADMIN_JSON_MAX_DEPTH)
        j->depth++;
    j->need_comma[j->depth] = false;
}

static void close_container(admin_json *j, char c)
{
    fputc(c, j->out);
    if (j->depth > 0)
        j->depth--;
}

void admin_json_obj_open(admin_json *j, const char *key) { open_container(j, key, '{'); }
void admin_json_obj_close(admin_json *j) { close_container(j, '}'); }
void admin_json_arr_open(admin_json *j, const char *key) { open_container(j, key, '['); }
void admin_json_arr_close(admin_json *j) { close_container(j, ']'); }

void admin_json_str(admin_json *j, const char *key, const char *v)
{
    put_key(j, key);
    put_string(j->out, v, strlen(v));
}

void admin_json_strn(admin_json *j, const char *key, const char *v, size_t n)
{
    put_key(j, key);
    put_string(j->out, v, n);
}

void admin_json_int(admin_json *j, const char *key, int64_t v)
{
    put_key(j, key);
    fprintf(j->out, "%lld", (long long)v);
}

void admin_json_hex(admin_json *j, const char *key, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    put_key(j, key);
    fputc('"', j->out);
    for (size_t i = 0; i < n; i++) {
        fputc(digits[p[i] >> 4], j->out);
        fputc(digits[p[i] & 0x0f], j->out);
    }
    fputc('"', j->out);
}

void admin_json_uint(admin_json *j, const char *key, uint64_t v)
{
    put_key(j, key);
    fprintf(j->out, "%llu", (unsigned long long)v);
}

void admin_json_bool(admin_json *j, const char *key, bool v)
{
    put_key(j, key);
    fputs(v ? "true" : "false", j->out);
}

void admin_json_null(admin_json *j, const char *key)
{
    put_key(j, key);
    fputs("null", j->out);
}

void admin_text_sanitise(char *dst, size_t cap, const char *s)
{
    size_t i = 0;
    if (cap == 0)
        return;
    for (; s[i] != '\0' && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    dst[i] = '\0';
}
