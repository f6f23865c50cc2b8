/* test_fake_platform.c — the fake platform behaves as platform.h says, and its fault
 * injector does what fake_platform.h says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "fake_platform.h"

static int setup(void **state)
{
    *state = fake_platform_new(42);
    return *state == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    fake_platform_free(*state);
    return 0;
}

static int put(const sigil_platform *p, const char *name, const char *s)
{
    return p->ops->store_write(p, name, (const uint8_t *)s, strlen(s));
}

/* Reads name as a string into buf; returns the store status. */
static int get(const sigil_platform *p, const char *name, char *buf, size_t cap)
{
    size_t len = 0;
    int rc = p->ops->store_read(p, name, (uint8_t *)buf, cap - 1, &len);
    buf[rc == SIGIL_STORE_OK ? len : 0] = '\0';
    return rc;
}

/* ---- entropy, clocks, root secret ------------------------------------------- */

static void test_entropy_deterministic(void **state)
{
    (void)state;
    sigil_platform *a = fake_platform_new(7), *b = fake_platform_new(7), *c = fake_platform_new(8);
    uint8_t x[100], y[100], z[100];
    assert_int_equal(a->ops->entropy(a, x, sizeof(x)), 0);
    assert_int_equal(b->ops->entropy(b, y, sizeof(y)), 0);
    assert_int_equal(c->ops->entropy(c, z, sizeof(z)), 0);
    assert_memory_equal(x, y, sizeof(x));
    assert_memory_not_equal(x, z, sizeof(x));

    /* a stream: the next call continues, it does not repeat */
    assert_int_equal(a->ops->entropy(a, y, sizeof(y)), 0);
    assert_memory_not_equal(x, y, sizeof(x));
    /* reseeding restarts it */
    fake_platform_seed(a, 7);
    assert_int_equal(a->ops->entropy(a, y, sizeof(y)), 0);
    assert_memory_equal(x, y, sizeof(x));
    /* odd lengths come from the same stream */
    fake_platform_seed(a, 7);
    assert_int_equal(a->ops->entropy(a, y, 3), 0);
    assert_memory_equal(x, y, 3);

    /* seed 0 is not degenerate */
    sigil_platform *zero = fake_platform_new(0);
    uint8_t zz[32], nul[32] = {0};
    assert_int_equal(zero->ops->entropy(zero, zz, sizeof(zz)), 0);
    assert_memory_not_equal(zz, nul, sizeof(zz));

    fake_platform_fail_entropy(a, true);
    assert_int_not_equal(a->ops->entropy(a, y, sizeof(y)), 0);
    fake_platform_fail_entropy(a, false);
    assert_int_equal(a->ops->entropy(a, y, sizeof(y)), 0);

    fake_platform_free(a);
    fake_platform_free(b);
    fake_platform_free(c);
    fake_platform_free(zero);
}

static void test_clocks(void **state)
{
    sigil_platform *p = *state;
    uint64_t t0 = p->ops->time_now(p), m0 = p->ops->monotonic_ms(p);
    assert_true(t0 > 0);
    /* clocks do not move by themselves */
    assert_true(p->ops->time_now(p) == t0);
    assert_true(p->ops->monotonic_ms(p) == m0);

    fake_platform_advance_ms(p, 1500);
    assert_true(p->ops->monotonic_ms(p) == m0 + 1500);
    assert_true(p->ops->time_now(p) == t0 + 1);
    fake_platform_advance_ms(p, 500);
    assert_true(p->ops->time_now(p) == t0 + 2);

    fake_platform_set_time(p, 2000000000u);
    assert_true(p->ops->time_now(p) == 2000000000u);
    fake_platform_set_monotonic_ms(p, 5);
    assert_true(p->ops->monotonic_ms(p) == 5);
}

static void test_root_secret(void **state)
{
    (void)state;
    sigil_platform *a = fake_platform_new(1), *b = fake_platform_new(1), *c = fake_platform_new(2);
    uint8_t ra[SIGIL_ROOT_SECRET_LEN], rb[SIGIL_ROOT_SECRET_LEN], rc[SIGIL_ROOT_SECRET_LEN];
    assert_int_equal(a->ops->root_secret(a, ra), 0);
    assert_int_equal(b->ops->root_secret(b, rb), 0);
    assert_int_equal(c->ops->root_secret(c, rc), 0);
    assert_memory_equal(ra, rb, sizeof(ra));
    assert_memory_not_equal(ra, rc, sizeof(ra));
    /* stable across calls, and does not consume the entropy stream */
    assert_int_equal(a->ops->root_secret(a, rb), 0);
    assert_memory_equal(ra, rb, sizeof(ra));
    uint8_t ea[16], eb[16];
    assert_int_equal(a->ops->entropy(a, ea, sizeof(ea)), 0);
    assert_int_equal(b->ops->entropy(b, eb, sizeof(eb)), 0);
    assert_memory_equal(ea, eb, sizeof(ea));

    uint8_t fixed[SIGIL_ROOT_SECRET_LEN];
    memset(fixed, 0x3C, sizeof(fixed));
    fake_platform_set_root_secret(a, fixed);
    assert_int_equal(a->ops->root_secret(a, ra), 0);
    assert_memory_equal(ra, fixed, sizeof(fixed));
    fake_platform_free(a);
    fake_platform_free(b);
    fake_platform_free(c);
}

/* ---- storage ---------------------------------------------------------------- */

static void test_store_basics(void **state)
{
    sigil_platform *p = *state;
    char buf[64];
    assert_int_equal(get(p, "absent", buf, sizeof(buf)), SIGIL_STORE_MISSING);
    assert_int_equal(put(p, "slot0.meta", "hello"), SIGIL_STORE_OK);
    assert_int_equal(get(p, "slot0.meta", buf, sizeof(buf)), SIGIL_STORE_OK);
    assert_string_equal(buf, "hello");
    /* replace */
    assert_int_equal(put(p, "slot0.meta", "bye"), SIGIL_STORE_OK);
    assert_int_equal(get(p, "slot0.meta", buf, sizeof(buf)), SIGIL_STORE_OK);
    assert_string_equal(buf, "bye");
    /* empty blob */
    assert_int_equal(p->ops->store_write(p, "empty", NULL, 0), SIGIL_STORE_OK);
    size_t len = 99;
    uint8_t one[1];
    assert_int_equal(p->ops->store_read(p, "empty", one, sizeof(one), &len), SIGIL_STORE_OK);
    assert_int_equal(len, 0);
    /* too large for the caller's buffer */
    uint8_t small[2];
    assert_int_equal(p->ops->store_read(p, "slot0.meta", small, sizeof(small), &len),
                     SIGIL_STORE_TOO_LARGE);
    /* remove, twice */
    assert_int_equal(p->ops->store_remove(p, "slot0.meta"), SIGIL_STORE_OK);
    assert_int_equal(p->ops->store_remove(p, "slot0.meta"), SIGIL_STORE_OK);
    assert_int_equal(get(p, "slot0.meta", buf, sizeof(buf)), SIGIL_STORE_MISSING);

    /* read errors on demand */
    fake_platform_fail_reads(p, true);
    assert_int_equal(get(p, "empty", buf, sizeof(buf)), SIGIL_STORE_ERROR);
    fake_platform_fail_reads(p, false);
    assert_int_equal(get(p, "empty", buf, sizeof(buf)), SIGIL_STORE_OK);
}

static void test_store_names_checked(void **state)
{
    sigil_platform *p = *state;
    char longname[SIGIL_STORAGE_NAME_MAX + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    static const char *const bad[] = {"", "a/b", "../x", "Upper", "sp ace", "slash/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(put(p, bad[i], "x"), SIGIL_STORE_ERROR);
    assert_int_equal(put(p, longname, "x"), SIGIL_STORE_ERROR);
    longname[SIGIL_STORAGE_NAME_MAX] = '\0';
    assert_int_equal(put(p, longname, "x"), SIGIL_STORE_OK);
    assert_int_equal(put(p, "a-z_0.9", "x"), SIGIL_STORE_OK);
    assert_int_equal(fake_platform_blob_count(p), 2);
}

typedef struct {
    const sigil_platform *p;
    char names[16][SIGIL_STORAGE_NAME_MAX + 1];
    size_t n;
} list_ctx;

static void collect(void *vctx, const char *name)
{
    list_ctx *ctx = vctx;
    assert_true(ctx->n < 16);
    snprintf(ctx->names[ctx->n++], sizeof(ctx->names[0]), "%s", name);
    /* calling back into the platform from the callback must not deadlock */
    size_t len;
    uint8_t buf[64];
    assert_int_equal(ctx->p->ops->store_read(ctx->p, name, buf, sizeof(buf), &len), SIGIL_STORE_OK);
}

static void test_store_list(void **state)
{
    sigil_platform *p = *state;
    assert_int_equal(put(p, "obj.2", "b"), 0);
    assert_int_equal(put(p, "obj.1", "a"), 0);
    assert_int_equal(put(p, "meta", "m"), 0);
    assert_int_equal(put(p, "obj.10", "c"), 0);

    list_ctx ctx = {.p = p};
    assert_int_equal(p->ops->store_list(p, "obj.", collect, &ctx), 0);
    assert_int_equal(ctx.n, 3);
    assert_string_equal(ctx.names[0], "obj.1");
    assert_string_equal(ctx.names[1], "obj.10");
    assert_string_equal(ctx.names[2], "obj.2");

    ctx.n = 0;
    assert_int_equal(p->ops->store_list(p, "", collect, &ctx), 0);
    assert_int_equal(ctx.n, 4);
    ctx.n = 0;
    assert_int_equal(p->ops->store_list(p, "nothing", collect, &ctx), 0);
    assert_int_equal(ctx.n, 0);

    assert_int_equal(fake_platform_blob_count(p), 4);
    assert_string_equal(fake_platform_blob_name(p, 0), "meta");
    assert_string_equal(fake_platform_blob_name(p, 3), "obj.2");
    assert_null(fake_platform_blob_name(p, 4));
}

/* ---- fault injector ---------------------------------------------------------- */

static void test_fail_write_after(void **state)
{
    sigil_platform *p = *state;
    char buf[64];
    assert_int_equal(put(p, "k", "old"), SIGIL_STORE_OK);

    /* n = 1: the very next write fails and leaves the old content */
    fake_platform_fail_write_after(p, 1);
    assert_int_equal(put(p, "k", "new"), SIGIL_STORE_ERROR);
    assert_int_equal(get(p, "k", buf, sizeof(buf)), SIGIL_STORE_OK);
    assert_string_equal(buf, "old");
    /* one-shot */
    assert_int_equal(put(p, "k", "new"), SIGIL_STORE_OK);

    /* n = 3: writes 1 and 2 go through, 3 fails and creates nothing, 4 goes through */
    unsigned long w0 = fake_platform_write_count(p);
    fake_platform_fail_write_after(p, 3);
    assert_int_equal(put(p, "a", "1"), SIGIL_STORE_OK);
    assert_int_equal(put(p, "b", "2"), SIGIL_STORE_OK);
    assert_int_equal(put(p, "c", "3"), SIGIL_STORE_ERROR);
    assert_int_equal(get(p, "c", buf, sizeof(buf)), SIGIL_STORE_MISSING);
    size_t len;
    assert_null(fake_platform_blob(p, "c", &len));
    assert_int_equal(put(p, "d", "4"), SIGIL_STORE_OK);
    assert_int_equal(fake_platform_write_count(p) - w0, 4);

    /* reads and removes do not count */
    fake_platform_fail_write_after(p, 2);
    assert_int_equal(get(p, "a", buf, sizeof(buf)), SIGIL_STORE_OK);
    assert_int_equal(p->ops->store_remove(p, "d"), SIGIL_STORE_OK);
    assert_int_equal(put(p, "e", "5"), SIGIL_STORE_OK);
    assert_int_equal(put(p, "f", "6"), SIGIL_STORE_ERROR);

    /* 0 disarms */
    fake_platform_fail_write_after(p, 1);
    fake_platform_fail_write_after(p, 0);
    assert_int_equal(put(p, "g", "7"), SIGIL_STORE_OK);
}

static void test_tear_write_after(void **state)
{
    sigil_platform *p = *state;
    char buf[64];
    assert_int_equal(put(p, "k", "old-content"), SIGIL_STORE_OK);

    fake_platform_tear_write_after(p, 2);
    assert_int_equal(put(p, "x", "fine"), SIGIL_STORE_OK);
    assert_int_equal(put(p, "k", "ABCDEFGHIJ"), SIGIL_STORE_ERROR);
    assert_int_equal(get(p, "k", buf, sizeof(buf)), SIGIL_STORE_OK);
    assert_string_equal(buf, "ABCDE"); /* half of the new content */
    /* one-shot */
    assert_int_equal(put(p, "k", "ABCDEFGHIJ"), SIGIL_STORE_OK);
    assert_int_equal(get(p, "k", buf, sizeof(buf)), SIGIL_STORE_OK);
    assert_string_equal(buf, "ABCDEFGHIJ");

    /* a torn write of a new blob creates it, half-written */
    fake_platform_tear_write_after(p, 1);
    assert_int_equal(put(p, "fresh", "123"), SIGIL_STORE_ERROR);
    size_t len;
    const uint8_t *b = fake_platform_blob(p, "fresh", &len);
    assert_non_null(b);
    assert_int_equal(len, 1);
    assert_int_equal(b[0], '1');

    /* both armed on the same write: fail wins, nothing stored */
    fake_platform_fail_write_after(p, 1);
    fake_platform_tear_write_after(p, 1);
    assert_int_equal(put(p, "k", "zz"), SIGIL_STORE_ERROR);
    assert_int_equal(get(p, "k", buf, sizeof(buf)), SIGIL_STORE_OK);
    assert_string_equal(buf, "ABCDEFGHIJ");
}

static void test_direct_blob_access(void **state)
{
    sigil_platform *p = *state;
    size_t len = 7;
    assert_null(fake_platform_blob(p, "none", &len));
    assert_int_equal(len, 0);
    assert_false(fake_platform_flip_bit(p, "none", 0));

    static const uint8_t data[] = {0x00, 0x10, 0xFF};
    fake_platform_set_blob(p, "raw", data, sizeof(data));
    const uint8_t *b = fake_platform_blob(p, "raw", &len);
    assert_non_null(b);
    assert_int_equal(len, sizeof(data));
    assert_memory_equal(b, data, sizeof(data));

    assert_true(fake_platform_flip_bit(p, "raw", 0));   /* byte 0 bit 0 */
    assert_true(fake_platform_flip_bit(p, "raw", 12));  /* byte 1 bit 4 */
    assert_true(fake_platform_flip_bit(p, "raw", 23));  /* byte 2 bit 7 */
    assert_false(fake_platform_flip_bit(p, "raw", 24)); /* past the end */
    uint8_t got[3];
    assert_int_equal(p->ops->store_read(p, "raw", got, sizeof(got), &len), SIGIL_STORE_OK);
    static const uint8_t expect[] = {0x01, 0x00, 0x7F};
    assert_memory_equal(got, expect, sizeof(expect));

    /* set_blob bypasses the injector */
    fake_platform_fail_write_after(p, 1);
    fake_platform_set_blob(p, "raw", data, 1);
    assert_non_null(fake_platform_blob(p, "raw", &len));
    assert_int_equal(len, 1);
    assert_int_equal(put(p, "raw", "x"), SIGIL_STORE_ERROR); /* still armed for store_write */
}

/* ---- concurrency ---------------------------------------------------------------- */

#define THREADS 4
#define PER_THREAD 200

typedef struct {
    sigil_platform *p;
    int id;
} worker_arg;

static void *worker(void *varg)
{
    worker_arg *a = varg;
    const sigil_platform *p = a->p;
    for (int i = 0; i < PER_THREAD; i++) {
        char name[32];
        snprintf(name, sizeof(name), "t%d.%d", a->id, i);
        uint8_t v[8];
        if (p->ops->entropy(p, v, sizeof(v)) != 0)
            return (void *)1;
        if (p->ops->store_write(p, name, v, sizeof(v)) != SIGIL_STORE_OK)
            return (void *)1;
        uint8_t back[8];
        size_t len;
        if (p->ops->store_read(p, name, back, sizeof(back), &len) != SIGIL_STORE_OK ||
            len != sizeof(v) || memcmp(v, back, len) != 0)
            return (void *)1;
        if (i % 3 == 0 && p->ops->store_remove(p, name) != SIGIL_STORE_OK)
            return (void *)1;
    }
    return NULL;
}

static void test_threads(void **state)
{
    sigil_platform *p = *state;
    pthread_t th[THREADS];
    worker_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (worker_arg){.p = p, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        void *ret;
        assert_int_equal(pthread_join(th[i], &ret), 0);
        assert_null(ret);
    }
    size_t removed_per_thread = (PER_THREAD + 2) / 3;
    assert_int_equal(fake_platform_blob_count(p), THREADS * (PER_THREAD - removed_per_thread));
    assert_int_equal(fake_platform_write_count(p), THREADS * PER_THREAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entropy_deterministic),
        cmocka_unit_test_setup_teardown(test_clocks, setup, teardown),
        cmocka_unit_test(test_root_secret),
        cmocka_unit_test_setup_teardown(test_store_basics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_names_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_write_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tear_write_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_direct_blob_access, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
