/* test_admin_uri.c — PKCS#11 URIs of seal keys (tools/admin/uri.c, RFC 7512). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admin.h"

/* Decodes a percent-encoded value (what p11-kit, libp11 and GnuTLS do); -1 on a bad escape or a
 * character RFC 7512 does not allow unencoded in a path value. */
static int decode(const char *s, size_t n, uint8_t *out, size_t *len)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            unsigned v = 0;
            if (i + 2 >= n)
                return -1;
            if (sscanf(s + i + 1, "%2x", &v) != 1)
                return -1;
            out[k++] = (uint8_t)v;
            i += 2;
        } else if (strchr(";/?#% \"<>", s[i]) != NULL || (unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e) {
            return -1;
        } else {
            out[k++] = (uint8_t)s[i];
        }
    }
    *len = k;
    return 0;
}

/* The value of attribute name in uri, decoded. */
static int attr(const char *uri, const char *name, uint8_t *out, size_t *len)
{
    assert_int_equal(strncmp(uri, "pkcs11:", 7), 0);
    const char *p = uri + 7;
    while (*p != '\0') {
        size_t seg = strcspn(p, ";");
        size_t nl = strlen(name);
        if (seg > nl && strncmp(p, name, nl) == 0 && p[nl] == '=')
            return decode(p + nl + 1, seg - nl - 1, out, len);
        p += seg;
        if (*p == ';')
            p++;
    }
    return -1;
}

static void test_pct_encode(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(admin_pct_encode((const uint8_t *)"demo-seal_1.~", 13, out, sizeof out), 13);
    assert_string_equal(out, "demo-seal_1.~");
    assert_int_equal(admin_pct_encode((const uint8_t *)"a b;c/d%e", 9, out, sizeof out), 17);
    assert_string_equal(out, "a%20b%3Bc%2Fd%25e");
    assert_int_equal(admin_pct_encode((const uint8_t *)"\xc5\xbc?#=", 5, out, sizeof out), 15);
    assert_string_equal(out, "%C5%BC%3F%23%3D");
    /* Like snprintf: the length needed is returned, the output cut and terminated. */
    assert_int_equal(admin_pct_encode((const uint8_t *)"a b", 3, out, 3), 5);
    assert_string_equal(out, "a%");
}

static void test_format(void **state)
{
    (void)state;
    static const uint8_t id[] = {0x01, 0xab, 0x41, 0x00};
    char out[ADMIN_URI_MAX];
    admin_p11uri u = {.token = "Acme seal; prod", .manufacturer = "Sigil", .serial = "0123456789abcdef",
                      .object = "key/1", .id = id, .id_len = sizeof id, .type = "private"};
    size_t n = admin_p11uri_format(&u, out, sizeof out);
    assert_int_equal(n, strlen(out));
    assert_string_equal(out, "pkcs11:token=Acme%20seal%3B%20prod;manufacturer=Sigil;serial=0123456789abcdef;"
                             "object=key%2F1;id=%01%AB%41%00;type=private");
    uint8_t v[64];
    size_t len = 0;
    assert_int_equal(attr(out, "token", v, &len), 0);
    assert_memory_equal(v, "Acme seal; prod", len);
    assert_int_equal(attr(out, "id", v, &len), 0);
    assert_int_equal(len, sizeof id);
    assert_memory_equal(v, id, sizeof id);
    assert_int_equal(attr(out, "object", v, &len), 0);
    assert_memory_equal(v, "key/1", 5);

    /* Only what is set. */
    admin_p11uri tok = {.token = "t", .manufacturer = "Sigil"};
    admin_p11uri_format(&tok, out, sizeof out);
    assert_string_equal(out, "pkcs11:token=t;manufacturer=Sigil");
    admin_p11uri empty = {.token = NULL};
    admin_p11uri_format(&empty, out, sizeof out);
    assert_string_equal(out, "pkcs11:");

    /* Short buffers: the length needed, a terminated prefix. */
    char small[12];
    assert_int_equal(admin_p11uri_format(&u, small, sizeof small), n);
    assert_string_equal(small, "pkcs11:toke");
}

static void test_every_byte(void **state)
{
    (void)state;
    uint8_t all[256], back[256];
    char out[ADMIN_URI_MAX];
    size_t len = 0;
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    /* An id of every byte value survives; the label is a C string: every byte but NUL. */
    admin_p11uri u = {.token = "t", .id = all, .id_len = 200, .type = "private"};
    admin_p11uri_format(&u, out, sizeof out);
    assert_int_equal(attr(out, "id", back, &len), 0);
    assert_int_equal(len, 200);
    assert_memory_equal(back, all, 200);
    char label[256];
    for (int i = 1; i < 128; i++)
        label[i - 1] = (char)i;
    label[127] = '\0';
    admin_p11uri l = {.object = label};
    admin_p11uri_format(&l, out, sizeof out);
    assert_int_equal(attr(out, "object", back, &len), 0);
    assert_int_equal(len, 127);
    assert_memory_equal(back, label, 127);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pct_encode),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_every_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
