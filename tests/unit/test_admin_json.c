/* test_admin_json.c — sigil-admin's JSON writer (tools/admin/json.c): escaping, UTF-8, nesting.
 * Whatever an appliance label or a file name holds, the output is one valid JSON object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admin.h"

/* Runs fn on a writer over a memory stream and returns what it wrote (malloc'd). */
typedef void (*writer_fn)(admin_json *j, const void *arg);

static char *capture(writer_fn fn, const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    admin_json j;
    assert_non_null(f);
    admin_json_begin(&j, f);
    fn(&j, arg);
    admin_json_end(&j);
    fclose(f);
    return buf;
}

static void one_string(admin_json *j, const void *arg)
{
    admin_json_str(j, "v", arg);
}

static void expect_json_string(const char *in, const char *want_value)
{
    char want[512];
    char *got = capture(one_string, in);
    snprintf(want, sizeof want, "{\"v\":%s}\n", want_value);
    assert_string_equal(got, want);
    free(got);
}

static void test_escapes(void **state)
{
    (void)state;
    expect_json_string("plain", "\"plain\"");
    expect_json_string("a\"b", "\"a\\\"b\"");
    expect_json_string("back\\slash", "\"back\\\\slash\"");
    expect_json_string("line\nbreak\ttab\rcr", "\"line\\nbreak\\ttab\\rcr\"");
    expect_json_string("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
    expect_json_string("", "\"\"");
    expect_json_string("</script>", "\"</script>\"");
}

static void test_utf8(void **state)
{
    (void)state;
    /* Valid sequences are kept as they are. */
    expect_json_string("Zażółć gęślą jaźń", "\"Zażółć gęślą jaźń\"");
    expect_json_string("\xe2\x82\xac \xf0\x9f\x94\x8f", "\"\xe2\x82\xac \xf0\x9f\x94\x8f\"");
    /* Bytes that are not UTF-8 become U+FFFD, one per byte. */
    expect_json_string("a\xff" "b", "\"a\\ufffdb\"");
    expect_json_string("\xc0\x80", "\"\\ufffd\\ufffd\"");         /* overlong NUL */
    expect_json_string("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* a surrogate */
    expect_json_string("\xe2\x82", "\"\\ufffd\\ufffd\"");         /* cut short at the end */
    expect_json_string("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* above U+10FFFF */
}

static void with_nul(admin_json *j, const void *arg)
{
    (void)arg;
    admin_json_strn(j, "v", "a\0b", 3);
}

static void test_strn(void **state)
{
    (void)state;
    char *got = capture(with_nul, NULL);
    assert_string_equal(got, "{\"v\":\"a\\u0000b\"}\n");
    free(got);
}

static void nested(admin_json *j, const void *arg)
{
    static const uint8_t id[] = {0x00, 0xab, 0xff};
    (void)arg;
    admin_json_bool(j, "ok", true);
    admin_json_str(j, "key\"quoted", "x");
    admin_json_arr_open(j, "list");
    admin_json_uint(j, NULL, 1);
    admin_json_obj_open(j, NULL);
    admin_json_int(j, "days", -3);
    admin_json_null(j, "none");
    admin_json_obj_close(j);
    admin_json_arr_open(j, NULL);
    admin_json_arr_close(j);
    admin_json_arr_close(j);
    admin_json_obj_open(j, "o");
    admin_json_hex(j, "id", id, sizeof id);
    admin_json_uint(j, "big", UINT64_MAX);
    admin_json_obj_close(j);
    admin_json_bool(j, "last", false);
}

static void test_nesting(void **state)
{
    (void)state;
    char *got = capture(nested, NULL);
    assert_string_equal(got, "{\"ok\":true,\"key\\\"quoted\":\"x\",\"list\":[1,{\"days\":-3,\"none\":null},[]],"
                             "\"o\":{\"id\":\"00abff\",\"big\":18446744073709551615},\"last\":false}\n");
    free(got);
}

static void test_sanitise(void **state)
{
    (void)state;
    char out[16];
    admin_text_sanitise(out, sizeof out, "a\x1b[2Jb\n");
    assert_string_equal(out, "a?[2Jb?");
    admin_text_sanitise(out, 4, "abcdef");
    assert_string_equal(out, "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes), cmocka_unit_test(test_utf8),     cmocka_unit_test(test_strn),
        cmocka_unit_test(test_nesting), cmocka_unit_test(test_sanitise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
