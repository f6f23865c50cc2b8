/* test_admin_args.c — sigil-admin's command-line grammar and value parsers (tools/admin/args.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admin.h"

/* The handlers of the table are never called here. */
static admin_exit none(admin_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    (void)argc;
    (void)argv;
    return ADMIN_EXIT_OK;
}

/* A command table of the shape of the real one. */
static const admin_command table[] = {
    {.name = "seal", .args = "", .summary = "", .help = "", .requests = "", .login = ADMIN_PIN_NONE, .handler = none},
    {.name = "seal create", .args = "", .summary = "", .help = "", .requests = "", .login = ADMIN_PIN_ADMIN,
     .handler = none},
    {.name = "seal cert import", .args = "", .summary = "", .help = "", .requests = "", .login = ADMIN_PIN_USER,
     .handler = none},
    {.name = "status", .args = "", .summary = "", .help = "", .requests = "", .login = ADMIN_PIN_NONE,
     .handler = none},
};

typedef struct {
    const char *label;
    const char *slot;
    bool force;
    admin_strlist keys;
} parsed;

static int parse(parsed *p, char *err, size_t errlen, int argc, ...)
{
    char *argv[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    memset(p, 0, sizeof(*p));
    const admin_opt opts[] = {
        {.name = "label", .kind = ADMIN_OPT_VALUE, .dest = &p->label},
        {.name = "slot", .kind = ADMIN_OPT_VALUE, .dest = &p->slot},
        {.name = "force", .kind = ADMIN_OPT_FLAG, .dest = &p->force},
        {.name = "key", .kind = ADMIN_OPT_LIST, .dest = &p->keys},
    };
    err[0] = '\0';
    return admin_args_parse(argc, argv, opts, sizeof opts / sizeof opts[0], err, errlen);
}

static void test_options(void **state)
{
    (void)state;
    parsed p;
    char err[256];
    assert_int_equal(parse(&p, err, sizeof err, 0), 0);
    assert_null(p.label);
    assert_int_equal(parse(&p, err, sizeof err, 4, "--label", "demo seal", "--slot=3", "--force"), 0);
    assert_string_equal(p.label, "demo seal");
    assert_string_equal(p.slot, "3");
    assert_true(p.force);
    assert_int_equal(parse(&p, err, sizeof err, 4, "--key", "a.pem", "--key=b.pem", "--label=x"), 0);
    assert_int_equal(p.keys.n, 2);
    assert_string_equal(p.keys.v[1], "b.pem");
    /* A value that starts with dashes is still the value of the option before it. */
    assert_int_equal(parse(&p, err, sizeof err, 2, "--label", "--odd"), 0);
    assert_string_equal(p.label, "--odd");
}

static void test_option_errors(void **state)
{
    (void)state;
    parsed p;
    char err[256];
    assert_int_equal(parse(&p, err, sizeof err, 1, "--label"), -1);
    assert_non_null(strstr(err, "needs a value"));
    assert_int_equal(parse(&p, err, sizeof err, 1, "--label="), -1);
    assert_non_null(strstr(err, "empty"));
    assert_int_equal(parse(&p, err, sizeof err, 4, "--label", "a", "--label", "b"), -1);
    assert_non_null(strstr(err, "twice"));
    assert_int_equal(parse(&p, err, sizeof err, 1, "--force=yes"), -1);
    assert_non_null(strstr(err, "takes no value"));
    assert_int_equal(parse(&p, err, sizeof err, 1, "--labels"), -1);
    assert_non_null(strstr(err, "unknown option '--labels'"));
    /* An unknown option is named, its value never repeated: it may be a secret. */
    assert_int_equal(parse(&p, err, sizeof err, 1, "--pin=secret-1234"), -1);
    assert_non_null(strstr(err, "--pin"));
    assert_null(strstr(err, "secret-1234"));
    /* A word that is no option is refused without being echoed. */
    assert_int_equal(parse(&p, err, sizeof err, 3, "--label", "x", "user-pin-1234"), -1);
    assert_null(strstr(err, "user-pin-1234"));
    assert_non_null(strstr(err, "#3"));
    assert_int_equal(parse(&p, err, sizeof err, 1, "--"), -1);
    assert_int_equal(parse(&p, err, sizeof err, 1, "-x"), -1);
}

static void test_lookup(void **state)
{
    (void)state;
    int used = 0;
    char *a1[] = {"seal", "create", "--label", "x"};
    assert_ptr_equal(admin_lookup(table, 4, 4, a1, &used), &table[1]);
    assert_int_equal(used, 2);
    char *a2[] = {"seal", "cert", "import"};
    assert_ptr_equal(admin_lookup(table, 4, 3, a2, &used), &table[2]);
    assert_int_equal(used, 3);
    char *a3[] = {"seal", "cert"};
    assert_ptr_equal(admin_lookup(table, 4, 2, a3, &used), &table[0]); /* the longest that matches */
    assert_int_equal(used, 1);
    char *a4[] = {"stat"};
    assert_null(admin_lookup(table, 4, 1, a4, &used));
    char *a5[] = {"statusx"};
    assert_null(admin_lookup(table, 4, 1, a5, &used));
    assert_null(admin_lookup(table, 4, 0, a5, &used));
}

static void test_numbers_and_hex(void **state)
{
    (void)state;
    uint32_t v = 7;
    assert_int_equal(admin_parse_u32("0", 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(admin_parse_u32("4294967295", UINT32_MAX, &v), 0);
    assert_int_equal(v, UINT32_MAX);
    assert_int_equal(admin_parse_u32("4294967296", UINT32_MAX, &v), -1);
    assert_int_equal(admin_parse_u32("11", 10, &v), -1);
    assert_int_equal(admin_parse_u32("-1", 10, &v), -1);
    assert_int_equal(admin_parse_u32("1x", 10, &v), -1);
    assert_int_equal(admin_parse_u32("", 10, &v), -1);
    assert_int_equal(admin_parse_u32(" 1", 10, &v), -1);

    uint8_t b[4];
    size_t n = 0;
    assert_int_equal(admin_parse_hex("0aFf", b, sizeof b, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(b[0], 0x0a);
    assert_int_equal(b[1], 0xff);
    assert_int_equal(admin_parse_hex("0x01:02:03", b, sizeof b, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(b[2], 3);
    assert_int_equal(admin_parse_hex("abc", b, sizeof b, &n), -1);    /* odd */
    assert_int_equal(admin_parse_hex("0102030405", b, sizeof b, &n), -1); /* too long */
    assert_int_equal(admin_parse_hex("zz", b, sizeof b, &n), -1);
    assert_int_equal(admin_parse_hex("", b, sizeof b, &n), -1);
    assert_int_equal(admin_parse_hex(":01", b, sizeof b, &n), -1);
    char hex[9];
    static const uint8_t x[] = {0xde, 0xad, 0x00, 0x01};
    admin_hex(x, 4, hex);
    assert_string_equal(hex, "dead0001");
}

static void test_time(void **state)
{
    (void)state;
    uint64_t t = 1;
    char out[32];
    assert_int_equal(admin_parse_time("none", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(admin_parse_time("2030-01-01", &t), 0);
    assert_int_equal(t, 1893456000u);
    assert_int_equal(admin_parse_time("2030-01-01T12:30:05Z", &t), 0);
    assert_int_equal(t, 1893456000u + 12 * 3600 + 30 * 60 + 5);
    admin_format_time(t, out);
    assert_string_equal(out, "2030-01-01T12:30:05Z");
    assert_int_equal(admin_parse_time("@1700000000", &t), 0);
    assert_int_equal(t, 1700000000u);
    assert_int_equal(admin_parse_time("2023-02-30", &t), -1); /* no such day */
    assert_int_equal(admin_parse_time("2023-13-01", &t), -1);
    assert_int_equal(admin_parse_time("1969-12-31", &t), -1);
    assert_int_equal(admin_parse_time("2030-01-01T12:30:05", &t), -1); /* no zone */
    assert_int_equal(admin_parse_time("tomorrow", &t), -1);
    assert_int_equal(admin_parse_time("@", &t), -1);
    assert_int_equal(admin_parse_time("@12a", &t), -1);
    admin_format_time(0, out);
    assert_string_equal(out, "none");
}

static void test_mechanisms(void **state)
{
    (void)state;
    uint32_t m = 99;
    char out[64];
    assert_int_equal(admin_parse_mechs("all", &m), 0);
    assert_int_equal(m, 0);
    assert_int_equal(admin_parse_mechs("ecdsa", &m), 0);
    assert_int_equal(m, SIGIL_MECH_BIT(SIGIL_MECH_ECDSA));
    assert_int_equal(admin_parse_mechs("rsa-pss,rsa-pkcs", &m), 0);
    assert_int_equal(m, SIGIL_MECH_BIT(SIGIL_MECH_RSA_PSS) | SIGIL_MECH_BIT(SIGIL_MECH_RSA_PKCS));
    admin_format_mechs(m, out, sizeof out);
    assert_string_equal(out, "rsa-pkcs,rsa-pss");
    admin_format_mechs(0, out, sizeof out);
    assert_string_equal(out, "all");
    admin_format_mechs(1u << 9, out, sizeof out);
    assert_string_equal(out, "bit9");
    assert_int_equal(admin_parse_mechs("ecdsa,", &m), -1);
    assert_int_equal(admin_parse_mechs("md5", &m), -1);
    assert_int_equal(admin_parse_mechs("", &m), -1);
}

static void test_key_types(void **state)
{
    (void)state;
    uint8_t kt = 0;
    uint32_t p = 0;
    assert_int_equal(admin_parse_keytype("ec-p384", &kt, &p), 0);
    assert_int_equal(kt, SIGIL_KEYTYPE_EC);
    assert_int_equal(p, 384);
    assert_int_equal(admin_parse_keytype("rsa4096", &kt, &p), 0);
    assert_int_equal(kt, SIGIL_KEYTYPE_RSA);
    assert_int_equal(p, 4096);
    assert_int_equal(admin_parse_keytype("rsa1024", &kt, &p), -1);
    assert_string_equal(admin_keytype_name(SIGIL_KEYTYPE_RSA, 3072), "rsa3072");
    assert_string_equal(admin_keytype_name(SIGIL_KEYTYPE_EC, 256), "ec-p256");
    assert_string_equal(admin_exit_kind(ADMIN_EXIT_TAMPERED), "tampered");
    assert_string_equal(admin_exit_kind(ADMIN_EXIT_NOT_FOUND), "not_found");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),         cmocka_unit_test(test_option_errors), cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_numbers_and_hex), cmocka_unit_test(test_time),          cmocka_unit_test(test_mechanisms),
        cmocka_unit_test(test_key_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
