/* test_admin_backup.c — the backup file container (tools/admin/backup_file.c): round trip, and a
 * corrupt, truncated or foreign file refused before anything is sent to an appliance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admin.h"

static uint8_t blob1[200], blob2[64];

static void make_blob(uint8_t *b, size_t n, uint8_t fill)
{
    memcpy(b, "SGB1", 4);
    memcpy(b + 4, "DOMAIN12", 8);
    memset(b + 12, fill, n - 12);
}

static uint8_t *encode(size_t *len)
{
    admin_backup_entry e[2];
    uint8_t *out = NULL;
    memset(e, 0, sizeof e);
    make_blob(blob1, sizeof blob1, 0x11);
    make_blob(blob2, sizeof blob2, 0x22);
    snprintf(e[0].label, sizeof e[0].label, "demo seal");
    snprintf(e[0].serial, sizeof e[0].serial, "0123456789abcdef");
    e[0].slot = 0;
    e[0].blob = blob1;
    e[0].blob_len = sizeof blob1;
    snprintf(e[1].label, sizeof e[1].label, "second");
    snprintf(e[1].serial, sizeof e[1].serial, "fedcba9876543210");
    e[1].slot = 5;
    e[1].blob = blob2;
    e[1].blob_len = sizeof blob2;
    assert_int_equal(admin_backup_file_encode(e, 2, &out, len), 0);
    return out;
}

static void test_round_trip(void **state)
{
    (void)state;
    size_t len = 0, n = 0;
    char err[256];
    admin_backup_entry d[4];
    uint8_t *f = encode(&len);
    assert_memory_equal(f, ADMIN_BACKUP_MAGIC, 8);
    assert_int_equal(admin_backup_file_decode(f, len, d, 4, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(d[0].label, "demo seal");
    assert_string_equal(d[1].serial, "fedcba9876543210");
    assert_int_equal(d[1].slot, 5);
    assert_int_equal(d[0].blob_len, sizeof blob1);
    assert_memory_equal(d[0].blob, blob1, sizeof blob1);
    assert_memory_equal(admin_backup_blob_domain(d[1].blob, d[1].blob_len), "DOMAIN12", 8);
    /* Too few entries allowed: refused. */
    assert_int_equal(admin_backup_file_decode(f, len, d, 1, &n, err, sizeof err), -1);
    free(f);
}

static void test_corrupt(void **state)
{
    (void)state;
    size_t len = 0, n = 0;
    char err[256];
    admin_backup_entry d[4];
    uint8_t *f = encode(&len);
    /* Every single flipped bit is found. */
    for (size_t i = 0; i < len; i++) {
        f[i] ^= 0x04;
        assert_int_equal(admin_backup_file_decode(f, len, d, 4, &n, err, sizeof err), -1);
        f[i] ^= 0x04;
    }
    /* Every truncation. */
    for (size_t l = 0; l < len; l++)
        assert_int_equal(admin_backup_file_decode(f, l, d, 4, &n, err, sizeof err), -1);
    assert_int_equal(admin_backup_file_decode(f, len, d, 4, &n, err, sizeof err), 0);
    /* Something else entirely. */
    static const uint8_t other[] = "-----BEGIN CERTIFICATE-----\n";
    assert_int_equal(admin_backup_file_decode(other, sizeof other, d, 4, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a sigil-admin backup file"));
    free(f);
}

static void test_blob_domain(void **state)
{
    (void)state;
    uint8_t b[64];
    make_blob(b, sizeof b, 0);
    assert_non_null(admin_backup_blob_domain(b, sizeof b));
    assert_null(admin_backup_blob_domain(b, 30));
    b[0] = 'X';
    assert_null(admin_backup_blob_domain(b, sizeof b));
    assert_null(admin_backup_blob_domain(NULL, 0));
    /* Nothing to encode, or a label too long. */
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(admin_backup_file_encode(NULL, 0, &out, &len), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_blob_domain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
