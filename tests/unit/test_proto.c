/* test_proto.c — unit tests of the wire codec (proto/) and of common/sigil_secmem.
 *
 * Inputs to the reader are copied into heap buffers of exactly their length, so that
 * the ASan build catches any read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sigil_proto.h"
#include "sigil_secmem.h"
#include "sigil_status.h"

#define GUARD 0xA5u

/* ---- helpers --------------------------------------------------------------- */

/* A heap copy of exactly n bytes (at least 1 allocated so that n = 0 is a valid pointer). */
static uint8_t *exact_copy(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n > 0 ? n : 1);
    assert_non_null(c);
    if (n > 0)
        memcpy(c, p, n);
    return c;
}

/* xorshift64*: deterministic test randomness. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static void rng_fill(uint64_t *s, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(rng_next(s) >> 56);
}

static size_t record_wire_len(const sigil_obj_record *o)
{
    return 4 + 1 + 1 + 4 + 4 + (4 + o->id_len) + (4 + strlen(o->label)) + (4 + o->pub_a_len) +
           (4 + o->pub_b_len) + (4 + o->attrs_len);
}

static void make_ec_record(sigil_obj_record *o)
{
    static const uint8_t p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    memset(o, 0, sizeof(*o));
    o->handle = 0x01020304u;
    o->obj_class = SIGIL_CLASS_PUBLIC_KEY;
    o->key_type = SIGIL_KEYTYPE_EC;
    o->bits = 256;
    o->flags = SIGIL_OBJ_VERIFY | SIGIL_OBJ_LOCAL;
    o->id_len = 3;
    memcpy(o->id, "\x01\x02\x03", 3);
    strcpy(o->label, "ec key");
    o->pub_a_len = sizeof(p256_oid);
    memcpy(o->pub_a, p256_oid, sizeof(p256_oid));
    o->pub_b_len = 65;
    o->pub_b[0] = 0x04;
    for (size_t i = 1; i < 65; i++)
        o->pub_b[i] = (uint8_t)i;
}

/* Every variable-length field at its maximum. */
static void make_max_record(sigil_obj_record *o)
{
    memset(o, 0, sizeof(*o));
    o->handle = UINT32_MAX;
    o->obj_class = SIGIL_CLASS_PRIVATE_KEY;
    o->key_type = SIGIL_KEYTYPE_RSA;
    o->bits = 4096;
    o->flags = SIGIL_OBJ_SIGN | SIGIL_OBJ_PRIVATE | SIGIL_OBJ_SENSITIVE | SIGIL_OBJ_LOCAL |
               SIGIL_OBJ_ALWAYS_AUTH;
    o->id_len = SIGIL_ID_MAX_LEN;
    for (size_t i = 0; i < o->id_len; i++)
        o->id[i] = (uint8_t)(0xF0 ^ i);
    memset(o->label, 'L', SIGIL_OBJ_LABEL_MAX_LEN);
    o->label[SIGIL_OBJ_LABEL_MAX_LEN] = '\0';
    o->pub_a_len = sizeof(o->pub_a);
    for (size_t i = 0; i < o->pub_a_len; i++)
        o->pub_a[i] = (uint8_t)(i * 7u);
    o->pub_b_len = sizeof(o->pub_b);
    for (size_t i = 0; i < o->pub_b_len; i++)
        o->pub_b[i] = (uint8_t)(0xFF - i);
    o->attrs_len = sizeof(o->attrs);
    for (size_t i = 0; i < o->attrs_len; i++)
        o->attrs[i] = (uint8_t)(i * 13u);
}

static void assert_records_equal(const sigil_obj_record *a, const sigil_obj_record *b)
{
    assert_int_equal(a->handle, b->handle);
    assert_int_equal(a->obj_class, b->obj_class);
    assert_int_equal(a->key_type, b->key_type);
    assert_int_equal(a->bits, b->bits);
    assert_int_equal(a->flags, b->flags);
    assert_int_equal(a->id_len, b->id_len);
    assert_memory_equal(a->id, b->id, a->id_len);
    assert_string_equal(a->label, b->label);
    assert_int_equal(a->pub_a_len, b->pub_a_len);
    assert_memory_equal(a->pub_a, b->pub_a, a->pub_a_len);
    assert_int_equal(a->pub_b_len, b->pub_b_len);
    assert_memory_equal(a->pub_b, b->pub_b, a->pub_b_len);
    assert_int_equal(a->attrs_len, b->attrs_len);
    assert_memory_equal(a->attrs, b->attrs, a->attrs_len);
}

/* Encodes o into a fresh heap buffer of exactly its wire length. */
static uint8_t *encode_record(const sigil_obj_record *o, size_t *len)
{
    size_t n = record_wire_len(o);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    sigil_wr w;
    sigil_wr_init(&w, buf, n);
    sigil_obj_record_write(&w, o);
    assert_true(sigil_wr_ok(&w));
    assert_int_equal(w.len, n);
    *len = n;
    return buf;
}

/* ---- scalar fields ------------------------------------------------------------ */

static void test_scalars_round_trip_and_big_endian(void **state)
{
    (void)state;
    uint8_t buf[15];
    sigil_wr w;
    sigil_wr_init(&w, buf, sizeof(buf));
    sigil_wr_u8(&w, 0xAB);
    sigil_wr_u16(&w, 0x1234);
    sigil_wr_u32(&w, 0xDEADBEEFu);
    sigil_wr_u64(&w, 0x0102030405060708ull);
    assert_true(sigil_wr_ok(&w));
    assert_int_equal(w.len, sizeof(buf));
    static const uint8_t expect[15] = {0xAB, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x01,
                                       0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    assert_memory_equal(buf, expect, sizeof(expect));

    uint8_t *in = exact_copy(buf, sizeof(buf));
    sigil_rd r;
    sigil_rd_init(&r, in, sizeof(buf));
    assert_int_equal(sigil_rd_u8(&r), 0xAB);
    assert_int_equal(sigil_rd_u16(&r), 0x1234);
    assert_int_equal(sigil_rd_u32(&r), 0xDEADBEEFu);
    assert_true(sigil_rd_u64(&r) == 0x0102030405060708ull);
    assert_true(sigil_rd_done(&r));
    free(in);
}

static void test_scalars_extremes(void **state)
{
    (void)state;
    static const uint64_t vals[] = {0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF,
                                    0x10000, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu,
                                    0x100000000ull, 0x8000000000000000ull, UINT64_MAX};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        uint64_t v = vals[i];
        uint8_t buf[15];
        sigil_wr w;
        sigil_wr_init(&w, buf, sizeof(buf));
        sigil_wr_u8(&w, (uint8_t)v);
        sigil_wr_u16(&w, (uint16_t)v);
        sigil_wr_u32(&w, (uint32_t)v);
        sigil_wr_u64(&w, v);
        assert_true(sigil_wr_ok(&w));
        sigil_rd r;
        sigil_rd_init(&r, buf, w.len);
        assert_int_equal(sigil_rd_u8(&r), (uint8_t)v);
        assert_int_equal(sigil_rd_u16(&r), (uint16_t)v);
        assert_int_equal(sigil_rd_u32(&r), (uint32_t)v);
        assert_true(sigil_rd_u64(&r) == v);
        assert_true(sigil_rd_done(&r));
    }
}

/* ---- byte strings and strings ---------------------------------------------------- */

static void test_bytes_round_trip(void **state)
{
    (void)state;
    static const size_t lens[] = {0, 1, 2, 63, 64, 1000};
    uint8_t data[1000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 31u + 7u);
    for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        size_t n = lens[k];
        uint8_t buf[4 + 1000];
        sigil_wr w;
        sigil_wr_init(&w, buf, 4 + n);
        sigil_wr_bytes(&w, data, n);
        assert_true(sigil_wr_ok(&w));
        assert_int_equal(w.len, 4 + n);
        assert_int_equal(buf[0], (uint8_t)(n >> 24));
        assert_int_equal(buf[1], (uint8_t)(n >> 16));
        assert_int_equal(buf[2], (uint8_t)(n >> 8));
        assert_int_equal(buf[3], (uint8_t)n);

        uint8_t *in = exact_copy(buf, w.len);
        sigil_rd r;
        sigil_rd_init(&r, in, w.len);
        size_t got = 12345;
        const uint8_t *p = sigil_rd_bytes(&r, n, &got); /* exactly at max */
        assert_true(sigil_rd_done(&r));
        assert_int_equal(got, n);
        assert_non_null(p);
        assert_ptr_equal(p, in + 4); /* no copy: points into the buffer */
        if (n > 0)
            assert_memory_equal(p, data, n);
        free(in);
    }
}

static void test_bytes_empty_from_null(void **state)
{
    (void)state;
    uint8_t buf[4];
    sigil_wr w;
    sigil_wr_init(&w, buf, sizeof(buf));
    sigil_wr_bytes(&w, NULL, 0);
    assert_true(sigil_wr_ok(&w));
    assert_int_equal(w.len, 4);
    static const uint8_t zero[4] = {0};
    assert_memory_equal(buf, zero, 4);
}

static void test_str_round_trip(void **state)
{
    (void)state;
    static const char *const strs[] = {"", "a", "token label", "Zürich — UTF-8 ✓",
                                       "12345678901234567890123456789012"};
    for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++) {
        uint8_t buf[64];
        sigil_wr w;
        sigil_wr_init(&w, buf, sizeof(buf));
        sigil_wr_str(&w, strs[k]);
        assert_true(sigil_wr_ok(&w));
        assert_int_equal(w.len, 4 + strlen(strs[k])); /* no NUL on the wire */

        uint8_t *in = exact_copy(buf, w.len);
        sigil_rd r;
        sigil_rd_init(&r, in, w.len);
        char dst[SIGIL_LABEL_MAX_LEN * 2 + 1];
        memset(dst, 'x', sizeof(dst));
        sigil_rd_str(&r, dst, SIGIL_LABEL_MAX_LEN * 2);
        assert_true(sigil_rd_done(&r));
        assert_string_equal(dst, strs[k]);
        free(in);
    }
}

/* str(max) accepts exactly max bytes, refuses max+1, and never writes past dst[max]. */
static void test_str_max_and_dst_bounds(void **state)
{
    (void)state;
    enum { MAX = 8 };
    for (size_t n = MAX; n <= MAX + 1; n++) {
        uint8_t buf[4 + MAX + 1];
        char src[MAX + 2];
        memset(src, 'q', n);
        src[n] = '\0';
        sigil_wr w;
        sigil_wr_init(&w, buf, sizeof(buf));
        sigil_wr_str(&w, src);
        assert_true(sigil_wr_ok(&w));

        uint8_t *in = exact_copy(buf, w.len);
        sigil_rd r;
        sigil_rd_init(&r, in, w.len);
        char dst[MAX + 2];
        memset(dst, (int)GUARD, sizeof(dst));
        sigil_rd_str(&r, dst, MAX); /* dst capacity MAX+1, dst[MAX+1] is a guard */
        assert_int_equal((uint8_t)dst[MAX + 1], GUARD);
        if (n == MAX) {
            assert_true(sigil_rd_done(&r));
            assert_string_equal(dst, src);
        } else {
            assert_false(sigil_rd_ok(&r));
            assert_string_equal(dst, "");
        }
        free(in);
    }
}

static void test_str_embedded_nul(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n;
    } cases[] = {{"ab\0cd", 5}, {"\0abc", 4}, {"abc\0", 4}, {"\0", 1}};
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        uint8_t buf[16];
        sigil_wr w;
        sigil_wr_init(&w, buf, sizeof(buf));
        sigil_wr_bytes(&w, (const uint8_t *)cases[k].s, cases[k].n);
        assert_true(sigil_wr_ok(&w));
        uint8_t *in = exact_copy(buf, w.len);
        sigil_rd r;
        sigil_rd_init(&r, in, w.len);
        char dst[17];
        memset(dst, 'x', sizeof(dst));
        sigil_rd_str(&r, dst, 16);
        assert_false(sigil_rd_ok(&r));
        assert_false(sigil_rd_done(&r));
        assert_string_equal(dst, "");
        free(in);
    }
}

static void test_reserve(void **state)
{
    (void)state;
    uint8_t buf[8 + 1];
    buf[8] = GUARD;
    sigil_wr w;
    sigil_wr_init(&w, buf, 8);
    sigil_wr_u16(&w, 0x0102);
    uint8_t *p = sigil_wr_reserve(&w, 6);
    assert_ptr_equal(p, buf + 2);
    memcpy(p, "abcdef", 6);
    assert_true(sigil_wr_ok(&w));
    assert_int_equal(w.len, 8);
    assert_null(sigil_wr_reserve(&w, 1));
    assert_false(sigil_wr_ok(&w));
    assert_int_equal(w.len, 8);
    assert_int_equal(buf[8], GUARD);

    sigil_wr_init(&w, buf, 8);
    assert_null(sigil_wr_reserve(&w, SIZE_MAX)); /* no wrap-around in the bounds check */
    assert_false(sigil_wr_ok(&w));
    assert_int_equal(w.len, 0);
}

/* ---- object records ------------------------------------------------------------ */

static void record_round_trip(const sigil_obj_record *o)
{
    size_t n;
    uint8_t *buf = encode_record(o, &n);
    sigil_rd r;
    sigil_rd_init(&r, buf, n);
    sigil_obj_record got;
    memset(&got, 0x5A, sizeof(got));
    sigil_obj_record_read(&r, &got);
    assert_true(sigil_rd_done(&r));
    assert_records_equal(&got, o);
    free(buf);
}

static void test_record_round_trip_ec(void **state)
{
    (void)state;
    sigil_obj_record o;
    make_ec_record(&o);
    record_round_trip(&o);
}

static void test_record_round_trip_max(void **state)
{
    (void)state;
    sigil_obj_record o;
    make_max_record(&o);
    record_round_trip(&o);
}

static void test_record_round_trip_empty(void **state)
{
    (void)state;
    sigil_obj_record o;
    memset(&o, 0, sizeof(o));
    record_round_trip(&o);
}

/* Exact field layout of a record, as in specs/protocol.md. */
static void test_record_layout(void **state)
{
    (void)state;
    sigil_obj_record o;
    memset(&o, 0, sizeof(o));
    o.handle = 0x11223344u;
    o.obj_class = 2;
    o.key_type = 1;
    o.bits = 384;
    o.flags = 0x25;
    o.id_len = 1;
    o.id[0] = 0x99;
    strcpy(o.label, "k");
    o.pub_a_len = 2;
    o.pub_a[0] = 0xA0;
    o.pub_a[1] = 0xA1;
    o.pub_b_len = 1;
    o.pub_b[0] = 0xB0;
    o.attrs_len = 2;
    o.attrs[0] = 0xC0;
    o.attrs[1] = 0xC1;
    static const uint8_t expect[] = {0x11, 0x22, 0x33, 0x44, 0x02, 0x01, 0x00, 0x00, 0x01,
                                     0x80, 0x00, 0x00, 0x00, 0x25, 0, 0, 0, 1, 0x99, 0, 0, 0, 1,
                                     'k', 0, 0, 0, 2, 0xA0, 0xA1, 0, 0, 0, 1, 0xB0,
                                     0, 0, 0, 2, 0xC0, 0xC1};
    size_t n;
    uint8_t *buf = encode_record(&o, &n);
    assert_int_equal(n, sizeof(expect));
    assert_memory_equal(buf, expect, sizeof(expect));
    free(buf);
}

static void test_record_truncated(void **state)
{
    (void)state;
    sigil_obj_record o;
    make_ec_record(&o);
    size_t n;
    uint8_t *full = encode_record(&o, &n);
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *in = exact_copy(full, cut);
        sigil_rd r;
        sigil_rd_init(&r, in, cut);
        sigil_obj_record got;
        sigil_obj_record_read(&r, &got);
        assert_false(sigil_rd_ok(&r));
        assert_false(sigil_rd_done(&r));
        assert_true(r.off <= cut);
        assert_true(got.id_len <= sizeof(got.id));
        assert_true(got.pub_a_len <= sizeof(got.pub_a));
        assert_true(got.pub_b_len <= sizeof(got.pub_b));
        assert_true(strlen(got.label) <= SIGIL_OBJ_LABEL_MAX_LEN);
        free(in);
    }
    free(full);
}

static void test_record_leftover(void **state)
{
    (void)state;
    sigil_obj_record o;
    make_ec_record(&o);
    size_t n;
    uint8_t *full = encode_record(&o, &n);
    uint8_t *in = malloc(n + 1);
    assert_non_null(in);
    memcpy(in, full, n);
    in[n] = 0;
    sigil_rd r;
    sigil_rd_init(&r, in, n + 1);
    sigil_obj_record got;
    sigil_obj_record_read(&r, &got);
    assert_true(sigil_rd_ok(&r));
    assert_false(sigil_rd_done(&r));
    free(in);
    free(full);
}

/* A record whose variable field is one byte over its spec maximum is malformed. */
static void test_record_field_over_max(void **state)
{
    (void)state;
    for (int field = 0; field < 5; field++) {
        uint8_t buf[SIGIL_OBJ_ATTRS_MAX + 1024];
        uint8_t fill[SIGIL_OBJ_ATTRS_MAX + 1];
        memset(fill, 'z', sizeof(fill));
        sigil_wr w;
        sigil_wr_init(&w, buf, sizeof(buf));
        sigil_wr_u32(&w, 1);
        sigil_wr_u8(&w, 1);
        sigil_wr_u8(&w, 1);
        sigil_wr_u32(&w, 256);
        sigil_wr_u32(&w, 0);
        sigil_wr_bytes(&w, fill, field == 0 ? SIGIL_ID_MAX_LEN + 1 : 1);
        sigil_wr_bytes(&w, fill, field == 1 ? SIGIL_OBJ_LABEL_MAX_LEN + 1 : 1);
        sigil_wr_bytes(&w, fill, field == 2 ? 512 + 1 : 1);
        sigil_wr_bytes(&w, fill, field == 3 ? 160 + 1 : 1);
        sigil_wr_bytes(&w, fill, field == 4 ? SIGIL_OBJ_ATTRS_MAX + 1 : 1);
        assert_true(sigil_wr_ok(&w));
        uint8_t *in = exact_copy(buf, w.len);
        sigil_rd r;
        sigil_rd_init(&r, in, w.len);
        sigil_obj_record got;
        sigil_obj_record_read(&r, &got);
        assert_false(sigil_rd_ok(&r));
        assert_true(got.id_len <= sizeof(got.id));
        assert_true(got.pub_a_len <= sizeof(got.pub_a));
        assert_true(got.pub_b_len <= sizeof(got.pub_b));
        assert_true(got.attrs_len <= sizeof(got.attrs));
        free(in);
    }
}

static void test_record_label_with_nul(void **state)
{
    (void)state;
    uint8_t buf[64];
    sigil_wr w;
    sigil_wr_init(&w, buf, sizeof(buf));
    sigil_wr_u32(&w, 1);
    sigil_wr_u8(&w, 1);
    sigil_wr_u8(&w, 1);
    sigil_wr_u32(&w, 256);
    sigil_wr_u32(&w, 0);
    sigil_wr_bytes(&w, NULL, 0);
    sigil_wr_bytes(&w, (const uint8_t *)"a\0b", 3);
    sigil_wr_bytes(&w, NULL, 0);
    sigil_wr_bytes(&w, NULL, 0);
    assert_true(sigil_wr_ok(&w));
    uint8_t *in = exact_copy(buf, w.len);
    sigil_rd r;
    sigil_rd_init(&r, in, w.len);
    sigil_obj_record got;
    sigil_obj_record_read(&r, &got);
    assert_false(sigil_rd_ok(&r));
    free(in);
}

/* The writer fails exactly when the buffer is one byte short, and never writes past cap. */
static void test_record_writer_exact_capacity(void **state)
{
    (void)state;
    sigil_obj_record o;
    make_max_record(&o);
    size_t n = record_wire_len(&o);
    uint8_t *buf = malloc(n + 1);
    assert_non_null(buf);
    for (size_t cap = 0; cap <= n; cap++) {
        memset(buf, 0, n + 1);
        buf[cap] = GUARD;
        sigil_wr w;
        sigil_wr_init(&w, buf, cap);
        sigil_obj_record_write(&w, &o);
        assert_int_equal(buf[cap], GUARD);
        assert_true(w.len <= cap);
        if (cap == n)
            assert_true(sigil_wr_ok(&w));
        else
            assert_false(sigil_wr_ok(&w));
    }
    free(buf);
}

/* ---- reader: truncation, lying lengths, leftovers -------------------------------- */

static void test_truncated_scalars(void **state)
{
    (void)state;
    static const uint8_t src[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    for (size_t width = 1; width <= 8; width *= 2) {
        for (size_t have = 0; have < width; have++) {
            uint8_t *in = exact_copy(src, have);
            sigil_rd r;
            sigil_rd_init(&r, in, have);
            uint64_t v;
            switch (width) {
            case 1: v = sigil_rd_u8(&r); break;
            case 2: v = sigil_rd_u16(&r); break;
            case 4: v = sigil_rd_u32(&r); break;
            default: v = sigil_rd_u64(&r); break;
            }
            assert_true(v == 0); /* yields zero */
            assert_false(sigil_rd_ok(&r));
            assert_false(sigil_rd_done(&r));
            assert_int_equal(r.off, 0);
            /* failure is sticky: later reads fail even when they would fit */
            if (have > 0) {
                assert_int_equal(sigil_rd_u8(&r), 0);
                assert_false(sigil_rd_ok(&r));
            }
            free(in);
        }
    }
}

/* Reading the header's fields with the body reader from every too-short prefix fails. */
static void test_truncated_header_fields(void **state)
{
    (void)state;
    const sigil_frame_hdr h = {.body_len = 7, .version = SIGIL_PROTO_VERSION,
                               .kind = SIGIL_KIND_REQUEST, .opcode = SIGIL_OP_SIGN,
                               .request_id = 0xCAFEBABEu, .status = 0};
    uint8_t full[SIGIL_FRAME_HDR_LEN];
    sigil_frame_hdr_encode(&h, full);
    for (size_t have = 0; have <= SIGIL_FRAME_HDR_LEN; have++) {
        uint8_t *in = exact_copy(full, have);
        sigil_rd r;
        sigil_rd_init(&r, in, have);
        uint32_t body_len = sigil_rd_u32(&r);
        uint8_t version = sigil_rd_u8(&r);
        uint8_t kind = sigil_rd_u8(&r);
        uint16_t opcode = sigil_rd_u16(&r);
        uint32_t request_id = sigil_rd_u32(&r);
        uint32_t status = sigil_rd_u32(&r);
        if (have == SIGIL_FRAME_HDR_LEN) {
            assert_true(sigil_rd_done(&r));
            assert_int_equal(body_len, h.body_len);
            assert_int_equal(version, h.version);
            assert_int_equal(kind, h.kind);
            assert_int_equal(opcode, h.opcode);
            assert_int_equal(request_id, h.request_id);
            assert_int_equal(status, h.status);
        } else {
            assert_false(sigil_rd_ok(&r));
            assert_int_equal(status, 0);
        }
        free(in);
    }
}

static void test_bytes_length_lies(void **state)
{
    (void)state;
    /* length = 5 but only 4 bytes follow */
    static const uint8_t longer[] = {0, 0, 0, 5, 'a', 'b', 'c', 'd'};
    /* length 0xFFFFFFFF */
    static const uint8_t huge[] = {0xFF, 0xFF, 0xFF, 0xFF, 'a', 'b'};
    /* length 0x80000000 */
    static const uint8_t half[] = {0x80, 0, 0, 0, 'a'};
    static const struct {
        const uint8_t *p;
        size_t n;
        size_t max;
    } cases[] = {
        {longer, sizeof(longer), 64},
        {longer, sizeof(longer), SIZE_MAX},
        {huge, sizeof(huge), 64},
        {huge, sizeof(huge), UINT32_MAX},
        {huge, sizeof(huge), SIZE_MAX},
        {half, sizeof(half), SIZE_MAX},
        {longer, 3, 64}, /* the length itself truncated */
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        uint8_t *in = exact_copy(cases[k].p, cases[k].n);
        sigil_rd r;
        sigil_rd_init(&r, in, cases[k].n);
        size_t got = 999;
        const uint8_t *p = sigil_rd_bytes(&r, cases[k].max, &got);
        assert_null(p);
        assert_int_equal(got, 0);
        assert_false(sigil_rd_ok(&r));
        assert_false(sigil_rd_done(&r));
        /* the same through the string reader */
        sigil_rd_init(&r, in, cases[k].n);
        char dst[65];
        sigil_rd_str(&r, dst, 64);
        assert_false(sigil_rd_ok(&r));
        assert_string_equal(dst, "");
        free(in);
    }
}

static void test_bytes_longer_than_max(void **state)
{
    (void)state;
    uint8_t buf[4 + 17];
    uint8_t data[17];
    memset(data, 7, sizeof(data));
    sigil_wr w;
    sigil_wr_init(&w, buf, sizeof(buf));
    sigil_wr_bytes(&w, data, 17);
    assert_true(sigil_wr_ok(&w));
    uint8_t *in = exact_copy(buf, w.len);
    sigil_rd r;
    size_t got = 1;
    sigil_rd_init(&r, in, w.len);
    assert_null(sigil_rd_bytes(&r, 16, &got)); /* present but over max */
    assert_int_equal(got, 0);
    assert_false(sigil_rd_ok(&r));
    sigil_rd_init(&r, in, w.len);
    assert_non_null(sigil_rd_bytes(&r, 17, &got));
    assert_int_equal(got, 17);
    assert_true(sigil_rd_done(&r));
    sigil_rd_init(&r, in, w.len);
    assert_null(sigil_rd_bytes(&r, 0, &got));
    assert_false(sigil_rd_ok(&r));
    free(in);
}

static void test_leftover_bytes(void **state)
{
    (void)state;
    static const uint8_t src[] = {0, 0, 0, 1, 0xEE};
    sigil_rd r;
    sigil_rd_init(&r, src, sizeof(src));
    assert_int_equal(sigil_rd_u32(&r), 1);
    assert_true(sigil_rd_ok(&r));
    assert_false(sigil_rd_done(&r));
    assert_int_equal(sigil_rd_u8(&r), 0xEE);
    assert_true(sigil_rd_done(&r));

    /* an empty body with one stray byte */
    sigil_rd_init(&r, src, 1);
    assert_false(sigil_rd_done(&r));
    /* an empty body */
    sigil_rd_init(&r, src, 0);
    assert_true(sigil_rd_done(&r));
}

/* ---- writer overflow ---------------------------------------------------------- */

static void test_writer_overflow_each_type(void **state)
{
    (void)state;
    static const uint8_t data[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    for (int kind = 0; kind < 7; kind++) {
        size_t need;
        switch (kind) {
        case 0: need = 1; break;
        case 1: need = 2; break;
        case 2: need = 4; break;
        case 3: need = 8; break;
        case 4: need = 4 + sizeof(data); break;
        case 5: need = 4 + 5; break; /* "hello" */
        default: need = 4; break;    /* empty bytes */
        }
        for (size_t cap = 0; cap < need; cap++) {
            uint8_t buf[32];
            memset(buf, 0, sizeof(buf));
            buf[cap] = GUARD;
            sigil_wr w;
            sigil_wr_init(&w, buf, cap);
            switch (kind) {
            case 0: sigil_wr_u8(&w, 0xFF); break;
            case 1: sigil_wr_u16(&w, 0xFFFF); break;
            case 2: sigil_wr_u32(&w, 0xFFFFFFFFu); break;
            case 3: sigil_wr_u64(&w, UINT64_MAX); break;
            case 4: sigil_wr_bytes(&w, data, sizeof(data)); break;
            case 5: sigil_wr_str(&w, "hello"); break;
            default: sigil_wr_bytes(&w, data, 0); break;
            }
            assert_false(sigil_wr_ok(&w));
            assert_true(w.len <= cap);
            assert_int_equal(buf[cap], GUARD);
        }
    }
}

static void test_writer_overflow_sticky(void **state)
{
    (void)state;
    uint8_t buf[5 + 1];
    memset(buf, 0, sizeof(buf));
    buf[5] = GUARD;
    sigil_wr w;
    sigil_wr_init(&w, buf, 5);
    sigil_wr_u32(&w, 0x01020304u);
    assert_true(sigil_wr_ok(&w));
    sigil_wr_u16(&w, 0xBBBB); /* does not fit */
    assert_false(sigil_wr_ok(&w));
    assert_int_equal(w.len, 4);
    sigil_wr_u8(&w, 0xCC); /* would fit, but the writer has failed */
    assert_false(sigil_wr_ok(&w));
    assert_int_equal(w.len, 4);
    assert_int_equal(buf[4], 0);
    assert_int_equal(buf[5], GUARD);
}

static void test_writer_bytes_too_long_for_u32(void **state)
{
    (void)state;
#if SIZE_MAX > UINT32_MAX
    uint8_t buf[8 + 1];
    buf[8] = GUARD;
    uint8_t one = 1;
    sigil_wr w;
    sigil_wr_init(&w, buf, 8);
    /* the length check comes before any access to the data */
    sigil_wr_bytes(&w, &one, (size_t)UINT32_MAX + 1u);
    assert_false(sigil_wr_ok(&w));
    assert_int_equal(w.len, 0);
    assert_int_equal(buf[8], GUARD);
#else
    skip();
#endif
}

/* ---- frame header ----------------------------------------------------------- */

static void test_hdr_layout_and_round_trip(void **state)
{
    (void)state;
    const sigil_frame_hdr h = {.body_len = 0x00010203u, .version = SIGIL_PROTO_VERSION,
                               .kind = SIGIL_KIND_RESPONSE, .opcode = SIGIL_OP_GENERATE_KEYPAIR,
                               .request_id = 0xA1B2C3D4u, .status = SIGIL_ST_PIN_LOCKED};
    uint8_t out[SIGIL_FRAME_HDR_LEN + 1];
    out[SIGIL_FRAME_HDR_LEN] = GUARD;
    sigil_frame_hdr_encode(&h, out);
    assert_int_equal(out[SIGIL_FRAME_HDR_LEN], GUARD);
    static const uint8_t expect[SIGIL_FRAME_HDR_LEN] = {0x00, 0x01, 0x02, 0x03, 0x01, 0x02,
                                                        0x00, 0x21, 0xA1, 0xB2, 0xC3, 0xD4,
                                                        0x00, 0x00, 0x00, 13};
    assert_memory_equal(out, expect, SIGIL_FRAME_HDR_LEN);

    uint8_t *in = exact_copy(out, SIGIL_FRAME_HDR_LEN);
    sigil_frame_hdr d;
    memset(&d, 0xEE, sizeof(d));
    assert_int_equal(sigil_frame_hdr_decode(in, SIGIL_FRAME_MAX_BODY, &d), SIGIL_ST_OK);
    assert_int_equal(d.body_len, h.body_len);
    assert_int_equal(d.version, h.version);
    assert_int_equal(d.kind, h.kind);
    assert_int_equal(d.opcode, h.opcode);
    assert_int_equal(d.request_id, h.request_id);
    assert_int_equal(d.status, h.status);
    free(in);
}

static void test_hdr_round_trip_values(void **state)
{
    (void)state;
    static const uint32_t lens[] = {0, 1, 4096, SIGIL_FRAME_MAX_BODY};
    static const uint8_t kinds[] = {SIGIL_KIND_REQUEST, SIGIL_KIND_RESPONSE};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        for (size_t k = 0; k < 2; k++) {
            const sigil_frame_hdr h = {.body_len = lens[i], .version = SIGIL_PROTO_VERSION,
                                       .kind = kinds[k], .opcode = (uint16_t)(0xFFFF - i),
                                       .request_id = (uint32_t)(UINT32_MAX - i),
                                       .status = (uint32_t)i};
            uint8_t out[SIGIL_FRAME_HDR_LEN];
            sigil_frame_hdr_encode(&h, out);
            sigil_frame_hdr d;
            assert_int_equal(sigil_frame_hdr_decode(out, SIGIL_FRAME_MAX_BODY, &d), SIGIL_ST_OK);
            assert_int_equal(d.body_len, h.body_len);
            assert_int_equal(d.version, h.version);
            assert_int_equal(d.kind, h.kind);
            assert_int_equal(d.opcode, h.opcode);
            assert_int_equal(d.request_id, h.request_id);
            assert_int_equal(d.status, h.status);
        }
    }
}

static void hdr_bytes(uint8_t out[SIGIL_FRAME_HDR_LEN], uint32_t body_len, uint8_t version,
                      uint8_t kind)
{
    const sigil_frame_hdr h = {.body_len = body_len, .version = version, .kind = kind,
                               .opcode = SIGIL_OP_LOGIN, .request_id = 0x0BADF00Du,
                               .status = 0};
    sigil_frame_hdr_encode(&h, out);
}

static void assert_hdr_filled(const sigil_frame_hdr *d, uint32_t body_len, uint8_t version,
                              uint8_t kind)
{
    assert_int_equal(d->body_len, body_len);
    assert_int_equal(d->version, version);
    assert_int_equal(d->kind, kind);
    assert_int_equal(d->opcode, SIGIL_OP_LOGIN);
    assert_int_equal(d->request_id, 0x0BADF00Du);
    assert_int_equal(d->status, 0);
}

static void test_hdr_bad_version(void **state)
{
    (void)state;
    static const uint8_t versions[] = {0, 2, 0x7F, 0xFF};
    for (size_t i = 0; i < sizeof(versions); i++) {
        uint8_t b[SIGIL_FRAME_HDR_LEN];
        hdr_bytes(b, 10, versions[i], SIGIL_KIND_REQUEST);
        sigil_frame_hdr d;
        memset(&d, 0, sizeof(d));
        assert_int_equal(sigil_frame_hdr_decode(b, SIGIL_FRAME_MAX_BODY, &d), SIGIL_ST_BAD_VERSION);
        assert_hdr_filled(&d, 10, versions[i], SIGIL_KIND_REQUEST);
    }
}

static void test_hdr_bad_kind(void **state)
{
    (void)state;
    static const uint8_t kinds[] = {0, 3, 0x80, 0xFF};
    for (size_t i = 0; i < sizeof(kinds); i++) {
        uint8_t b[SIGIL_FRAME_HDR_LEN];
        hdr_bytes(b, 10, SIGIL_PROTO_VERSION, kinds[i]);
        sigil_frame_hdr d;
        memset(&d, 0, sizeof(d));
        assert_int_equal(sigil_frame_hdr_decode(b, SIGIL_FRAME_MAX_BODY, &d), SIGIL_ST_BAD_FRAME);
        assert_hdr_filled(&d, 10, SIGIL_PROTO_VERSION, kinds[i]);
    }
}

static void test_hdr_too_large(void **state)
{
    (void)state;
    uint8_t b[SIGIL_FRAME_HDR_LEN];
    sigil_frame_hdr d;

    /* over the caller's max */
    hdr_bytes(b, 4097, SIGIL_PROTO_VERSION, SIGIL_KIND_REQUEST);
    memset(&d, 0, sizeof(d));
    assert_int_equal(sigil_frame_hdr_decode(b, 4096, &d), SIGIL_ST_FRAME_TOO_LARGE);
    assert_hdr_filled(&d, 4097, SIGIL_PROTO_VERSION, SIGIL_KIND_REQUEST);
    /* exactly the caller's max is fine */
    hdr_bytes(b, 4096, SIGIL_PROTO_VERSION, SIGIL_KIND_REQUEST);
    assert_int_equal(sigil_frame_hdr_decode(b, 4096, &d), SIGIL_ST_OK);

    /* over the protocol's 1 MiB even when the caller allows more */
    hdr_bytes(b, SIGIL_FRAME_MAX_BODY + 1, SIGIL_PROTO_VERSION, SIGIL_KIND_RESPONSE);
    memset(&d, 0, sizeof(d));
    assert_int_equal(sigil_frame_hdr_decode(b, UINT32_MAX, &d), SIGIL_ST_FRAME_TOO_LARGE);
    assert_hdr_filled(&d, SIGIL_FRAME_MAX_BODY + 1, SIGIL_PROTO_VERSION, SIGIL_KIND_RESPONSE);
    hdr_bytes(b, UINT32_MAX, SIGIL_PROTO_VERSION, SIGIL_KIND_REQUEST);
    memset(&d, 0, sizeof(d));
    assert_int_equal(sigil_frame_hdr_decode(b, UINT32_MAX, &d), SIGIL_ST_FRAME_TOO_LARGE);
    assert_hdr_filled(&d, UINT32_MAX, SIGIL_PROTO_VERSION, SIGIL_KIND_REQUEST);
    hdr_bytes(b, SIGIL_FRAME_MAX_BODY, SIGIL_PROTO_VERSION, SIGIL_KIND_REQUEST);
    assert_int_equal(sigil_frame_hdr_decode(b, UINT32_MAX, &d), SIGIL_ST_OK);

    /* max_body 0: only empty bodies */
    hdr_bytes(b, 1, SIGIL_PROTO_VERSION, SIGIL_KIND_REQUEST);
    assert_int_equal(sigil_frame_hdr_decode(b, 0, &d), SIGIL_ST_FRAME_TOO_LARGE);
    hdr_bytes(b, 0, SIGIL_PROTO_VERSION, SIGIL_KIND_REQUEST);
    assert_int_equal(sigil_frame_hdr_decode(b, 0, &d), SIGIL_ST_OK);
}

/* ---- statuses and opcodes ----------------------------------------------------- */

static void test_status_names_and_messages(void **state)
{
    (void)state;
    static const struct {
        sigil_status st;
        int num;
        const char *name;
        const char *msg;
    } all[] = {
#define X(name, num, msg) {SIGIL_ST_##name, num, #name, msg},
        SIGIL_STATUS_LIST(X)
#undef X
    };
    size_t n = sizeof(all) / sizeof(all[0]);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal((int)all[i].st, all[i].num);
        assert_string_equal(sigil_status_name(all[i].st), all[i].name);
        assert_string_equal(sigil_status_message(all[i].st), all[i].msg);
        assert_true(strlen(all[i].msg) > 0);
        for (size_t j = i + 1; j < n; j++) {
            assert_int_not_equal(all[i].num, all[j].num);
            assert_string_not_equal(all[i].name, all[j].name);
        }
    }
    int max_num = 0;
    for (size_t i = 0; i < n; i++)
        max_num = all[i].num > max_num ? all[i].num : max_num;
    const int unknown[] = {-1, 37, max_num + 1, 1000, 0x7FFFFFFF};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        bool listed = false;
        for (size_t j = 0; j < n; j++)
            listed = listed || all[j].num == unknown[i];
        if (listed)
            continue; /* the list grew over this number */
        sigil_status st = (sigil_status)unknown[i];
        assert_string_equal(sigil_status_message(st), "unknown status");
        assert_string_equal(sigil_status_name(st), "UNKNOWN");
    }
}

static void test_opcode_names(void **state)
{
    (void)state;
    static const struct {
        unsigned num;
        const char *name;
    } all[] = {
#define X(name, num) {num, #name},
        SIGIL_OPCODE_LIST(X)
#undef X
    };
    size_t n = sizeof(all) / sizeof(all[0]);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(sigil_opcode_name((uint16_t)all[i].num), all[i].name);
        for (size_t j = i + 1; j < n; j++)
            assert_int_not_equal(all[i].num, all[j].num);
    }
    assert_int_equal(SIGIL_OP_HELLO, 0x0001);
    assert_int_equal(SIGIL_OP_SIGN, 0x0030);
    assert_int_equal(SIGIL_OP_RANDOM, 0x0040);
    static const uint16_t unknown[] = {0x0000, 0x0009, 0x000F, 0x0018, 0x0029, 0x0032, 0x0041,
                                       0x8001, 0xFFFF};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
        assert_string_equal(sigil_opcode_name(unknown[i]), "UNKNOWN");
}

/* The spec's tables and the headers are the same list (specs/protocol.md says they change
 * together). */
static void test_spec_matches_headers(void **state)
{
    (void)state;
    FILE *f = fopen(SIGIL_SPEC_PATH, "r");
    if (f == NULL) {
        print_message("spec not found at %s\n", SIGIL_SPEC_PATH);
        skip();
    }
    size_t statuses = 0, opcodes = 0;
    char line[512];
    while (fgets(line, sizeof(line), f) != NULL) {
        int num;
        char name[64], msg[256];
        unsigned op;
        if (sscanf(line, "| %d | %63[A-Z_] | %255[^|]|", &num, name, msg) == 3) {
            size_t ml = strlen(msg);
            while (ml > 0 && msg[ml - 1] == ' ')
                msg[--ml] = '\0';
            assert_string_equal(sigil_status_name((sigil_status)num), name);
            assert_string_equal(sigil_status_message((sigil_status)num), msg);
            statuses++;
        } else if (sscanf(line, "### %63[A-Z_] 0x%x", name, &op) == 2) {
            assert_string_equal(sigil_opcode_name((uint16_t)op), name);
            opcodes++;
        }
    }
    fclose(f);
#define COUNT1(...) +1
    assert_int_equal(statuses, 0 SIGIL_STATUS_LIST(COUNT1));
    assert_int_equal(opcodes, 0 SIGIL_OPCODE_LIST(COUNT1));
#undef COUNT1
}

/* ---- garbage ----------------------------------------------------------------- */

static void check_decoded_record(const sigil_rd *r, const sigil_obj_record *o, const uint8_t *in,
                                 size_t n)
{
    assert_true(r->off <= r->len);
    assert_true(o->id_len <= sizeof(o->id));
    assert_true(o->pub_a_len <= sizeof(o->pub_a));
    assert_true(o->pub_b_len <= sizeof(o->pub_b));
    assert_true(strlen(o->label) <= SIGIL_OBJ_LABEL_MAX_LEN);
    if (sigil_rd_done(r)) {
        /* anything accepted re-encodes to exactly the same bytes */
        uint8_t *re = malloc(n > 0 ? n : 1);
        assert_non_null(re);
        sigil_wr w;
        sigil_wr_init(&w, re, n);
        sigil_obj_record_write(&w, o);
        assert_true(sigil_wr_ok(&w));
        assert_int_equal(w.len, n);
        assert_memory_equal(re, in, n);
        free(re);
    }
}

static void test_garbage(void **state)
{
    (void)state;
    uint64_t seed = 0x5167696C5EEDull; /* fixed: the run is reproducible */
    sigil_obj_record valid;
    make_ec_record(&valid);
    size_t vlen;
    uint8_t *vbuf = encode_record(&valid, &vlen);
    size_t accepted = 0, hdr_ok = 0;

    for (int iter = 0; iter < 10000; iter++) {
        size_t n;
        uint8_t *in;
        uint64_t mode = rng_next(&seed) % 4;
        if (mode == 0) {
            /* pure noise */
            n = (size_t)(rng_next(&seed) % 1200);
            in = malloc(n > 0 ? n : 1);
            assert_non_null(in);
            rng_fill(&seed, in, n);
        } else if (mode == 1) {
            /* noise with small length prefixes in plausible places */
            n = (size_t)(rng_next(&seed) % 200);
            in = malloc(n > 0 ? n : 1);
            assert_non_null(in);
            rng_fill(&seed, in, n);
            for (size_t i = 14; i + 4 <= n; i += 4 + (size_t)(rng_next(&seed) % 8)) {
                in[i] = 0;
                in[i + 1] = 0;
                in[i + 2] = 0;
            }
        } else {
            /* a valid record, mutated: flipped bytes, then maybe truncated or extended */
            size_t extra = mode == 3 ? (size_t)(rng_next(&seed) % 4) : 0;
            n = vlen + extra;
            in = malloc(n);
            assert_non_null(in);
            memcpy(in, vbuf, vlen);
            rng_fill(&seed, in + vlen, extra);
            int flips = (int)(rng_next(&seed) % 3);
            for (int f = 0; f < flips; f++)
                in[rng_next(&seed) % vlen] ^= (uint8_t)(1u << (rng_next(&seed) % 8));
            if (rng_next(&seed) % 2)
                n = (size_t)(rng_next(&seed) % (n + 1));
            uint8_t *exact = exact_copy(in, n);
            free(in);
            in = exact;
        }

        sigil_rd r;
        sigil_rd_init(&r, in, n);
        sigil_obj_record o;
        sigil_obj_record_read(&r, &o);
        check_decoded_record(&r, &o, in, n);
        if (sigil_rd_done(&r))
            accepted++;
        free(in);

        uint8_t *h = malloc(SIGIL_FRAME_HDR_LEN);
        assert_non_null(h);
        rng_fill(&seed, h, SIGIL_FRAME_HDR_LEN);
        if (rng_next(&seed) % 2) {
            h[4] = SIGIL_PROTO_VERSION;
            h[5] = (uint8_t)(1 + rng_next(&seed) % 2);
            h[0] = (uint8_t)(rng_next(&seed) % 0x12);
        }
        uint32_t max_body = (uint32_t)rng_next(&seed);
        sigil_frame_hdr d;
        sigil_status st = sigil_frame_hdr_decode(h, max_body, &d);
        uint32_t body_len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        assert_int_equal(d.body_len, body_len);
        assert_int_equal(d.version, h[4]);
        assert_int_equal(d.kind, h[5]);
        assert_int_equal(d.request_id,
                         (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 | (uint32_t)h[10] << 8 | h[11]);
        if (h[4] != SIGIL_PROTO_VERSION)
            assert_int_equal(st, SIGIL_ST_BAD_VERSION);
        else if (h[5] != SIGIL_KIND_REQUEST && h[5] != SIGIL_KIND_RESPONSE)
            assert_int_equal(st, SIGIL_ST_BAD_FRAME);
        else if (body_len > max_body || body_len > SIGIL_FRAME_MAX_BODY)
            assert_int_equal(st, SIGIL_ST_FRAME_TOO_LARGE);
        else
            assert_int_equal(st, SIGIL_ST_OK);
        if (st == SIGIL_ST_OK)
            hdr_ok++;
        free(h);
    }
    free(vbuf);
    /* the mutation modes must exercise the accepting path too */
    assert_true(accepted > 0);
    assert_true(hdr_ok > 0);
}

/* ---- common/sigil_secmem ---------------------------------------------------- */

static void test_wipe(void **state)
{
    (void)state;
    uint8_t buf[64 + 2];
    memset(buf, 0xCD, sizeof(buf));
    sigil_wipe(buf + 1, 64);
    assert_int_equal(buf[0], 0xCD);
    for (size_t i = 1; i <= 64; i++)
        assert_int_equal(buf[i], 0);
    assert_int_equal(buf[65], 0xCD);

    memset(buf, 0xCD, sizeof(buf));
    sigil_wipe(buf, 0);
    assert_int_equal(buf[0], 0xCD);
    sigil_wipe(NULL, 0);

    uint8_t *heap = malloc(33);
    assert_non_null(heap);
    memset(heap, 0x77, 33);
    sigil_wipe(heap, 33);
    for (size_t i = 0; i < 33; i++)
        assert_int_equal(heap[i], 0);
    free(heap);
}

static void test_ct_equal(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    for (size_t i = 0; i < sizeof(a); i++)
        a[i] = b[i] = (uint8_t)(i * 13u);
    assert_true(sigil_ct_equal(a, b, sizeof(a)));
    assert_true(sigil_ct_equal(a, a, sizeof(a)));
    for (size_t i = 0; i < sizeof(a); i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit);
            assert_false(sigil_ct_equal(a, b, sizeof(a)));
            assert_false(sigil_ct_equal(b, a, sizeof(a)));
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* only the first n bytes count */
    b[31] ^= 1;
    assert_true(sigil_ct_equal(a, b, 31));
    assert_false(sigil_ct_equal(a, b, 32));
    /* zero length: always equal */
    assert_true(sigil_ct_equal(a, b, 0));
    static const uint8_t x = 1, y = 2;
    assert_true(sigil_ct_equal(&x, &y, 0));
    assert_true(sigil_ct_equal(NULL, NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_round_trip_and_big_endian),
        cmocka_unit_test(test_scalars_extremes),
        cmocka_unit_test(test_bytes_round_trip),
        cmocka_unit_test(test_bytes_empty_from_null),
        cmocka_unit_test(test_str_round_trip),
        cmocka_unit_test(test_str_max_and_dst_bounds),
        cmocka_unit_test(test_str_embedded_nul),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_record_round_trip_ec),
        cmocka_unit_test(test_record_round_trip_max),
        cmocka_unit_test(test_record_round_trip_empty),
        cmocka_unit_test(test_record_layout),
        cmocka_unit_test(test_record_truncated),
        cmocka_unit_test(test_record_leftover),
        cmocka_unit_test(test_record_field_over_max),
        cmocka_unit_test(test_record_label_with_nul),
        cmocka_unit_test(test_record_writer_exact_capacity),
        cmocka_unit_test(test_truncated_scalars),
        cmocka_unit_test(test_truncated_header_fields),
        cmocka_unit_test(test_bytes_length_lies),
        cmocka_unit_test(test_bytes_longer_than_max),
        cmocka_unit_test(test_leftover_bytes),
        cmocka_unit_test(test_writer_overflow_each_type),
        cmocka_unit_test(test_writer_overflow_sticky),
        cmocka_unit_test(test_writer_bytes_too_long_for_u32),
        cmocka_unit_test(test_hdr_layout_and_round_trip),
        cmocka_unit_test(test_hdr_round_trip_values),
        cmocka_unit_test(test_hdr_bad_version),
        cmocka_unit_test(test_hdr_bad_kind),
        cmocka_unit_test(test_hdr_too_large),
        cmocka_unit_test(test_status_names_and_messages),
        cmocka_unit_test(test_opcode_names),
        cmocka_unit_test(test_spec_matches_headers),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_wipe),
        cmocka_unit_test(test_ct_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
