/* args.c — sigil-admin's command-line grammar and value parsers (pure: no I/O, unit-tested).
 *
 *   sigil-admin [GLOBAL OPTIONS] WORD [WORD] [--option VALUE | --option=VALUE | --flag]...
 *
 * A command is one to three words from the command table; everything after it is an option.
 * A word that is not an option is refused and never echoed: it may be a PIN typed in the wrong
 * place.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"

const char *admin_exit_kind(admin_exit e)
{
    switch (e) {
    case ADMIN_EXIT_OK: return "ok";
    case ADMIN_EXIT_INTERNAL: return "internal";
    case ADMIN_EXIT_USAGE: return "usage";
    case ADMIN_EXIT_REFUSED: return "refused";
    case ADMIN_EXIT_UNREACHABLE: return "unreachable";
    case ADMIN_EXIT_NOT_FOUND: return "not_found";
    case ADMIN_EXIT_MISMATCH: return "mismatch";
    case ADMIN_EXIT_BAD_FILE: return "bad_file";
    case ADMIN_EXIT_INTERRUPTED: return "interrupted";
    case ADMIN_EXIT_TAMPERED: return "tampered";
    case ADMIN_EXIT_INCOMPLETE: return "incomplete";
    }
    return "internal";
}

/* ---- options ------------------------------------------------------------------------------ */

int admin_args_parse(int argc, char **argv, const admin_opt *opts, size_t n_opts, char *err, size_t errlen)
{
    bool seen[64] = {false};
    if (n_opts > sizeof(seen) / sizeof(seen[0])) {
        snprintf(err, errlen, "too many options");
        return -1;
    }
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const admin_opt *o = NULL;
        const char *inline_value = NULL;
        size_t k = 0;
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            /* Not echoed: it may be a secret typed where it does not belong. */
            snprintf(err, errlen, "unexpected argument (#%d after the command); options start with --", i + 1);
            return -1;
        }
        for (k = 0; k < n_opts; k++) {
            size_t len = strlen(opts[k].name);
            if (strncmp(arg + 2, opts[k].name, len) == 0 && (arg[2 + len] == '\0' || arg[2 + len] == '=')) {
                o = &opts[k];
                inline_value = arg[2 + len] == '=' ? arg + 3 + len : NULL;
                break;
            }
        }
        if (o == NULL) {
            /* The option's name only: what follows '=' may be a secret. */
            snprintf(err, errlen, "unknown option '%.*s'", (int)strcspn(arg, "="), arg);
            return -1;
        }
        if (o->kind == ADMIN_OPT_FLAG) {
            if (inline_value != NULL) {
                snprintf(err, errlen, "option --%s takes no value", o->name);
                return -1;
            }
            *(bool *)o->dest = true;
            continue;
        }
        const char *value = inline_value;
        if (value == NULL) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "option --%s needs a value", o->name);
                return -1;
            }
            value = argv[++i];
        }
        if (value[0] == '\0') {
            snprintf(err, errlen, "option --%s needs a value, not an empty string", o->name);
            return -1;
        }
        if (o->kind == ADMIN_OPT_VALUE) {
            if (seen[k]) {
                snprintf(err, errlen, "option --%s is given twice", o->name);
                return -1;
            }
            *(const char **)o->dest = value;
        } else {
            admin_strlist *l = o->dest;
            if (l->n >= ADMIN_LIST_MAX) {
                snprintf(err, errlen, "option --%s is given more than %d times", o->name, ADMIN_LIST_MAX);
                return -1;
            }
            l->v[l->n++] = value;
        }
        seen[k] = true;
    }
    return 0;
}

const admin_command *admin_lookup(const admin_command *table, size_t n, int argc, char **argv, int *used)
{
    const admin_command *best = NULL;
    int best_words = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = table[i].name;
        int words = 0;
        bool match = true;
        while (*name != '\0' && match) {
            size_t len = strcspn(name, " ");
            if (words >= argc || strlen(argv[words]) != len || strncmp(argv[words], name, len) != 0)
                match = false;
            words++;
            name += len;
            name += strspn(name, " ");
        }
        if (match && words > best_words) {
            best = &table[i];
            best_words = words;
        }
    }
    *used = best_words;
    return best;
}

/* ---- values ------------------------------------------------------------------------------- */

int admin_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
    unsigned long long v = 0;
    if (s == NULL || *s == '\0' || strlen(s) > 10)
        return -1;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10u + (unsigned)(*p - '0');
    }
    if (v > max)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int admin_parse_hex(const char *s, uint8_t *out, size_t cap, size_t *n)
{
    size_t k = 0;
    if (strncmp(s, "0x", 2) == 0 || strncmp(s, "0X", 2) == 0)
        s += 2;
    while (*s != '\0') {
        if (*s == ':' && k > 0) {
            s++;
            continue;
        }
        int hi = hexval((unsigned char)s[0]);
        int lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);
        if (hi < 0 || lo < 0 || k >= cap)
            return -1;
        out[k++] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    if (k == 0)
        return -1;
    *n = k;
    return 0;
}

void admin_hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

/* Exactly `width` decimal digits at s. */
static int digits(const char *s, int width, int *out)
{
    int v = 0;
    for (int i = 0; i < width; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int admin_parse_time(const char *s, uint64_t *out)
{
    struct tm tm;
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (strcmp(s, "none") == 0 || strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    if (s[0] == '@') {
        unsigned long long v = 0;
        if (s[1] == '\0' || strlen(s + 1) > 19)
            return -1;
        for (const char *p = s + 1; *p != '\0'; p++) {
            if (*p < '0' || *p > '9')
                return -1;
            v = v * 10u + (unsigned)(*p - '0');
        }
        *out = v;
        return 0;
    }
    size_t len = strlen(s);
    if ((len != 10 && len != 20) || digits(s, 4, &y) != 0 || s[4] != '-' || digits(s + 5, 2, &mo) != 0 ||
        s[7] != '-' || digits(s + 8, 2, &d) != 0)
        return -1;
    if (len == 20 && ((s[10] != 'T' && s[10] != ' ') || digits(s + 11, 2, &h) != 0 || s[13] != ':' ||
                      digits(s + 14, 2, &mi) != 0 || s[16] != ':' || digits(s + 17, 2, &se) != 0 || s[19] != 'Z'))
        return -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || t < 0)
        return -1;
    /* timegm normalises 2023-02-31 to March: refuse dates that do not exist. */
    struct tm back;
    if (gmtime_r(&t, &back) == NULL || back.tm_mday != d || back.tm_mon != mo - 1)
        return -1;
    *out = (uint64_t)t;
    return 0;
}

void admin_format_time(uint64_t t, char out[32])
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (t == 0 || t > (uint64_t)253402300799ull || gmtime_r(&tt, &tm) == NULL) {
        snprintf(out, 32, t == 0 ? "none" : "@%llu", (unsigned long long)t);
        return;
    }
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const struct {
    const char *name;
    uint8_t mech;
} mech_names[] = {
    {"ecdsa", SIGIL_MECH_ECDSA},
    {"rsa-pkcs", SIGIL_MECH_RSA_PKCS},
    {"rsa-pss", SIGIL_MECH_RSA_PSS},
};

int admin_parse_mechs(const char *s, uint32_t *mask)
{
    uint32_t m = 0;
    if (strcmp(s, "all") == 0) {
        *mask = 0;
        return 0;
    }
    while (*s != '\0') {
        size_t len = strcspn(s, ",");
        size_t k;
        for (k = 0; k < sizeof(mech_names) / sizeof(mech_names[0]); k++) {
            if (strlen(mech_names[k].name) == len && strncmp(s, mech_names[k].name, len) == 0)
                break;
        }
        if (k == sizeof(mech_names) / sizeof(mech_names[0]))
            return -1;
        m |= SIGIL_MECH_BIT(mech_names[k].mech);
        s += len;
        if (*s == ',') {
            s++;
            if (*s == '\0')
                return -1;
        }
    }
    if (m == 0)
        return -1;
    *mask = m;
    return 0;
}

void admin_format_mechs(uint32_t mask, char *out, size_t cap)
{
    size_t used = 0;
    if (cap == 0)
        return;
    out[0] = '\0';
    if (mask == 0) {
        snprintf(out, cap, "all");
        return;
    }
    for (unsigned bit = 0; bit < 32; bit++) {
        if (!(mask & (1u << bit)))
            continue;
        const char *name = NULL;
        char tmp[16];
        for (size_t k = 0; k < sizeof(mech_names) / sizeof(mech_names[0]); k++) {
            if (mech_names[k].mech == bit)
                name = mech_names[k].name;
        }
        if (name == NULL) {
            snprintf(tmp, sizeof(tmp), "bit%u", bit);
            name = tmp;
        }
        int n = snprintf(out + used, cap - used, "%s%s", used > 0 ? "," : "", name);
        if (n < 0 || (size_t)n >= cap - used)
            return;
        used += (size_t)n;
    }
}

static const struct {
    const char *name;
    uint8_t key_type;
    uint32_t param;
} key_types[] = {
    {"ec-p256", SIGIL_KEYTYPE_EC, 256},   {"ec-p384", SIGIL_KEYTYPE_EC, 384},
    {"rsa2048", SIGIL_KEYTYPE_RSA, 2048}, {"rsa3072", SIGIL_KEYTYPE_RSA, 3072},
    {"rsa4096", SIGIL_KEYTYPE_RSA, 4096},
};

int admin_parse_keytype(const char *s, uint8_t *key_type, uint32_t *param)
{
    for (size_t k = 0; k < sizeof(key_types) / sizeof(key_types[0]); k++) {
        if (strcmp(s, key_types[k].name) == 0) {
            *key_type = key_types[k].key_type;
            *param = key_types[k].param;
            return 0;
        }
    }
    return -1;
}

const char *admin_keytype_name(uint8_t key_type, uint32_t bits)
{
    for (size_t k = 0; k < sizeof(key_types) / sizeof(key_types[0]); k++) {
        if (key_types[k].key_type == key_type && key_types[k].param == bits)
            return key_types[k].name;
    }
    return key_type == SIGIL_KEYTYPE_EC ? "ec-?" : key_type == SIGIL_KEYTYPE_RSA ? "rsa-?" : "?";
}
