/* test_admin_audit.c — the offline audit verifier (tools/admin/audit_verify.c) on synthetic
 * trails built here exactly as the firmware writes them (specs/audit.md): intact trails verify;
 * edited, deleted, reordered, duplicated, re-chained, truncated, unterminated trails, a wrong
 * key and bytes that are no record are each reported as what they are, with the right verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "admin.h"

#define MAXREC 64

/* A trail being built: records in order, each its encoding without the hash. */
typedef struct {
    uint8_t enc[MAXREC][SIGIL_AUDIT_RECORD_MAX];
    size_t len[MAXREC];
    uint8_t hash[MAXREC][32];
    bool own_hash[MAXREC]; /* hash set by hand: keep it when re-chaining */
    size_t n;
} trail;

static EVP_PKEY *key_a, *key_b;

static int setup(void **state)
{
    (void)state;
    key_a = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    key_b = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    return key_a != NULL && key_b != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(key_a);
    EVP_PKEY_free(key_b);
    return 0;
}

/* ECDSA P-256 r||s over SHA-256(msg), as the device signs. */
static void sign_rs(EVP_PKEY *k, const uint8_t *msg, size_t n, uint8_t out[64])
{
    uint8_t der[128];
    size_t dl = sizeof der;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, der, &dl, msg, n), 1);
    EVP_MD_CTX_free(md);
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)dl);
    assert_non_null(sig);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, 32), 32);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + 32, 32), 32);
    ECDSA_SIG_free(sig);
}

static void chain(trail *t)
{
    uint8_t prev[32] = {0};
    uint8_t buf[32 + SIGIL_AUDIT_RECORD_MAX];
    for (size_t i = 0; i < t->n; i++) {
        if (!t->own_hash[i]) {
            memcpy(buf, prev, 32);
            memcpy(buf + 32, t->enc[i], t->len[i]);
            SHA256(buf, 32 + t->len[i], t->hash[i]);
        }
        memcpy(prev, t->hash[i], 32);
    }
}

static void add(trail *t, uint16_t event, uint32_t slot)
{
    sigil_audit_rec r = {.seq = t->n, .time = 1700000000u + t->n, .event = event, .role = SIGIL_AUDIT_ROLE_SEAL_USER,
                         .slot = slot, .status = 0, .ctx = 1, .handle = 7, .mech = SIGIL_MECH_ECDSA, .data_len = 32};
    memset(r.data, 0x5a, 32);
    assert_true(t->n < MAXREC);
    t->len[t->n] = sigil_audit_encode(&r, t->enc[t->n], sizeof t->enc[t->n]);
    assert_true(t->len[t->n] > 0);
    t->own_hash[t->n] = false;
    t->n++;
    chain(t);
}

/* A checkpoint by key k over the chain so far (the firmware's queue_checkpoint_locked). */
static void add_checkpoint(trail *t, EVP_PKEY *k)
{
    uint8_t msg[sizeof(SIGIL_AUDIT_CHECKPOINT_LABEL) - 1 + 8 + 32];
    size_t l = sizeof(SIGIL_AUDIT_CHECKPOINT_LABEL) - 1;
    uint8_t zero[32] = {0};
    memcpy(msg, SIGIL_AUDIT_CHECKPOINT_LABEL, l);
    for (int i = 0; i < 8; i++)
        msg[l + (size_t)i] = (uint8_t)((uint64_t)t->n >> (56 - 8 * i));
    memcpy(msg + l + 8, t->n > 0 ? t->hash[t->n - 1] : zero, 32);
    sigil_audit_rec r = {.seq = t->n, .time = 1700000000u + t->n, .event = SIGIL_AUDIT_EV_CHECKPOINT,
                         .role = SIGIL_AUDIT_ROLE_DEVICE, .slot = SIGIL_AUDIT_NO_SLOT, .data_len = 64};
    sign_rs(k, msg, sizeof msg, r.data);
    t->len[t->n] = sigil_audit_encode(&r, t->enc[t->n], sizeof t->enc[t->n]);
    t->own_hash[t->n] = false;
    t->n++;
    chain(t);
}

/* The trail as a file. */
static uint8_t *file_of(const trail *t, size_t *len)
{
    uint8_t *b = malloc(MAXREC * (SIGIL_AUDIT_RECORD_MAX + 32));
    size_t off = 0;
    assert_non_null(b);
    for (size_t i = 0; i < t->n; i++) {
        memcpy(b + off, t->enc[i], t->len[i]);
        off += t->len[i];
        memcpy(b + off, t->hash[i], 32);
        off += 32;
    }
    *len = off;
    return b;
}

/* A good trail: 10 records, a checkpoint (10), 10 more, a checkpoint (21). */
static void good(trail *t)
{
    memset(t, 0, sizeof(*t));
    for (int i = 0; i < 10; i++)
        add(t, SIGIL_OP_SIGN, 0);
    add_checkpoint(t, key_a);
    for (int i = 0; i < 10; i++)
        add(t, i % 2 ? SIGIL_OP_LOGIN : SIGIL_OP_SIGN, 1);
    add_checkpoint(t, key_a);
}

static admin_audit_report *verify_file(const uint8_t *b, size_t len, EVP_PKEY *k1, EVP_PKEY *k2, uint64_t expect)
{
    EVP_PKEY *keys[2] = {k1, k2};
    admin_audit_report *rep = malloc(sizeof(*rep));
    assert_non_null(rep);
    assert_int_equal(admin_audit_verify(b, len, keys, k2 != NULL ? 2 : 1, expect, rep, NULL, NULL), 0);
    return rep;
}

static admin_audit_report *verify(const trail *t, EVP_PKEY *k1, EVP_PKEY *k2, uint64_t expect)
{
    size_t len = 0;
    uint8_t *b = file_of(t, &len);
    admin_audit_report *rep = verify_file(b, len, k1, k2, expect);
    free(b);
    return rep;
}

/* True when rep has a problem of kind about record seq. */
static bool has(const admin_audit_report *rep, admin_audit_problem_kind kind, uint64_t seq)
{
    for (size_t i = 0; i < rep->n_problems; i++) {
        if (rep->problems[i].kind == kind && rep->problems[i].seq == seq)
            return true;
    }
    return false;
}

static size_t count(const admin_audit_report *rep, admin_audit_problem_kind kind)
{
    size_t c = 0;
    for (size_t i = 0; i < rep->n_problems; i++)
        c += rep->problems[i].kind == kind;
    return c;
}

static void test_intact(void **state)
{
    (void)state;
    trail *t = malloc(sizeof(*t));
    good(t);
    admin_audit_report *rep = verify(t, key_a, NULL, UINT64_MAX);
    assert_false(rep->tampered);
    assert_false(rep->incomplete);
    assert_int_equal(rep->total_problems, 0);
    assert_int_equal(rep->records, 22);
    assert_int_equal(rep->checkpoints, 2);
    assert_int_equal(rep->checkpoints_valid, 2);
    assert_true(rep->have_checkpoint);
    assert_int_equal(rep->last_checkpoint_seq, 21);
    assert_int_equal(rep->covered, 22);
    assert_int_equal(rep->first_time, 1700000000u);
    free(rep);
    /* The expected checkpoint (audit export's number) or an older one: fine. */
    rep = verify(t, key_a, NULL, 21);
    assert_int_equal(rep->total_problems, 0);
    free(rep);
    free(t);
}

static void test_edited(void **state)
{
    (void)state;
    trail *t = malloc(sizeof(*t));
    good(t);
    t->enc[4][4 + 8 + 7] ^= 1; /* record 4's time, its hash left as it was */
    admin_audit_report *rep = verify(t, key_a, NULL, UINT64_MAX);
    assert_true(rep->tampered);
    assert_true(has(rep, ADMIN_AUDIT_EDITED, 4));
    assert_int_equal(rep->total_problems, 1); /* one edit, one problem */
    free(rep);

    /* The data of a SIGN record (what was signed). */
    good(t);
    t->enc[15][t->len[15] - 1] ^= 0x80;
    rep = verify(t, key_a, NULL, UINT64_MAX);
    assert_true(rep->tampered);
    assert_true(has(rep, ADMIN_AUDIT_EDITED, 15));
    free(rep);

    /* Edited and every hash after it recomputed: the chain holds, the checkpoint's signature does not. */
    good(t);
    t->enc[4][4 + 8 + 7] ^= 1;
    chain(t);
    rep = verify(t, key_a, NULL, UINT64_MAX);
    assert_true(rep->tampered);
    assert_int_equal(count(rep, ADMIN_AUDIT_EDITED), 0);
    assert_true(has(rep, ADMIN_AUDIT_BAD_SIGNATURE, 10));
    assert_true(has(rep, ADMIN_AUDIT_BAD_SIGNATURE, 21));
    free(rep);

    /* An edit after the first checkpoint, re-chained: only the second checkpoint fails. */
    good(t);
    t->enc[12][4 + 8 + 7] ^= 1;
    chain(t);
    rep = verify(t, key_a, NULL, UINT64_MAX);
    assert_true(rep->tampered);
    assert_false(has(rep, ADMIN_AUDIT_BAD_SIGNATURE, 10));
    assert_true(has(rep, ADMIN_AUDIT_BAD_SIGNATURE, 21));
    free(rep);

    /* A hash edited alone. */
    good(t);
    t->hash[7][0] ^= 1;
    t->own_hash[7] = true;
    chain(t);
    rep = verify(t, key_a, NULL, UINT64_MAX);
    assert_true(rep->tampered);
    assert_true(has(rep, ADMIN_AUDIT_EDITED, 7));
    free(rep);
    free(t);
}

static void remove_at(trail *t, size_t i)
{
    memmove(&t->enc[i], &t->enc[i + 1], (t->n - i - 1) * sizeof t->enc[0]);
    memmove(&t->len[i], &t->len[i + 1], (t->n - i - 1) * sizeof t->len[0]);
    memmove(&t->hash[i], &t->hash[i + 1], (t->n - i - 1) * sizeof t->hash[0]);
    memmove(&t->own_hash[i], &t->own_hash[i + 1], (t->n - i - 1) * sizeof t->own_hash[0]);
    t->n--;
}

static void swap(trail *t, size_t a, size_t b)
{
    trail *tmp = malloc(sizeof(*tmp));
    memcpy(tmp->enc[0], t->enc[a], sizeof t->enc[0]);
    memcpy(t->enc[a], t->enc[b], sizeof t->enc[0]);
    memcpy(t->enc[b], tmp->enc[0], sizeof t->enc[0]);
    size_t l = t->len[a];
    t->len[a] = t->len[b];
    t->len[b] = l;
    memcpy(tmp->hash[0], t->hash[a], 32);
    memcpy(t->hash[a], t->hash[b], 32);
    memcpy(t->hash[b], tmp->hash[0], 32);
    free(tmp);
}

static void test_deleted(void **state)
{
    (void)state;
    trail *t = malloc(sizeof(*t));
    good(t);
    remove_at(t, 5);
    for (size_t i = 0; i < t->n; i++)
        t->own_hash[i] = true; /* the file as it was, minus one record */
    admin_audit_report *rep = verify(t, key_a, NULL, UINT64_MAX);
    assert_true(rep->tampered);
    assert_true(has(rep, ADMIN_AUDIT_DELETED, 5));
    assert_int_equal(count(rep, ADMIN_AUDIT_EDITED), 0); /* the broken link is the deletion */
    assert_int_equal(rep->total_problems, 1);
    free(rep);

    /* Three in a row, and the first record. */
    good(t);
    remove_at(t, 12);
    remove_at(t, 12);
    remove_at(t, 12);
    remove_at(t, 0);
    for (size_t i = 0; i < t->n; i++)
        t->own_hash[i] = true;
    rep = verify(t, key_a, NULL, UINT64_MAX);
    assert_true(rep->tampered);
    assert_true(has(rep, ADMIN_AUDIT_DELETED, 0));
    assert_true(has(rep, ADMIN_AUDIT_DELETED, 12));
    for (size_t i = 0; i < rep->n_problems; i++) {
        if (rep->problems[i].kind == ADMIN_AUDIT_DELETED && rep->problems[i].seq == 12)
            assert_int_equal(rep->problems[i].count, 3);
    }
    free(rep);

    /* Deleted and re-chained: the gap in the numbers and the signatures still show it. */
    good(t);
    remove_at(t, 3);
    chain(t);
    rep = verify(t, key_a, NULL, UINT64_MAX);
    assert_true(rep->tampered);
    assert_true(has(rep, ADMIN_AUDIT_DELETED, 3));
    assert_true(has(rep, ADMIN_AUDIT_BAD_SIGNATURE, 10));
    free(rep);
    free(t);
}

static void test_reordered_and_duplicated(void **state)
{
    (void)state;
    trail *t = malloc(sizeof(*t));
    good(t);
    swap(t, 6, 7);
    admin_audit_report *rep = verify(t, key_a, NULL, UINT64_MAX);
    assert_true(rep->tampered);
    assert_true(has(rep, ADMIN_AUDIT_REORDERED, 6));
    assert_int_equal(count(rep, ADMIN_AUDIT_DELETED), 0);
    assert_int_equal(count(rep, ADMIN_AUDIT_EDITED), 0);
    free(rep);

    /* A record moved to the end. */
    good(t);
    memcpy(t->enc[t->n], t->enc[2], sizeof t->enc[0]);
    t->len[t->n] = t->len[2];
    memcpy(t->hash[t->n], t->hash[2], 32);
    t->n++;
    remove_at(t, 2);
    for (size_t i = 0; i < t->n; i++)
        t->own_hash[i] = true;
    rep = verify(t, key_a, NULL, UINT64_MAX);
    assert_true(rep->tampered);
    assert_true(has(rep, ADMIN_AUDIT_REORDERED, 2));
    assert_int_equal(count(rep, ADMIN_AUDIT_DELETED), 0);
    free(rep);

    /* A record copied in twice. */
    good(t);
    memmove(&t->enc[9], &t->enc[8], (t->n - 8) * sizeof t->enc[0]);
    memmove(&t->len[9], &t->len[8], (t->n - 8) * sizeof t->len[0]);
    memmove(&t->hash[9], &t->hash[8], (t->n - 8) * sizeof t->hash[0]);
    t->n++;
    for (size_t i = 0; i < t->n; i++)
        t->own_hash[i] = true;
    rep = verify(t, key_a, NULL, UINT64_MAX);
    assert_true(rep->tampered);
    assert_true(has(rep, ADMIN_AUDIT_DUPLICATED, 8));
    free(rep);
    free(t);
}

static void test_truncated(void **state)
{
    (void)state;
    trail *t = malloc(sizeof(*t));
    size_t len = 0;
    good(t);
    uint8_t *b = file_of(t, &len);

    /* Cut inside the last record. */
    admin_audit_report *rep = verify_file(b, len - 10, key_a, NULL, UINT64_MAX);
    assert_false(rep->tampered);
    assert_true(rep->incomplete);
    assert_true(has(rep, ADMIN_AUDIT_TRUNCATED, 21));
    assert_true(has(rep, ADMIN_AUDIT_UNCOVERED, 11));
    free(rep);

    /* Cut at a record boundary before the final checkpoint: records after the first one are
     * not covered. */
    rep = verify_file(b, len - (t->len[21] + 32), key_a, NULL, UINT64_MAX);
    assert_false(rep->tampered);
    assert_true(rep->incomplete);
    assert_true(has(rep, ADMIN_AUDIT_UNCOVERED, 11));
    assert_int_equal(rep->covered, 11);
    assert_int_equal(rep->last_checkpoint_seq, 10);
    free(rep);

    /* Cut exactly after the first checkpoint: a shorter trail that verifies, unless the
     * export's checkpoint number is given. */
    size_t first = 0;
    for (size_t i = 0; i <= 10; i++)
        first += t->len[i] + 32;
    rep = verify_file(b, first, key_a, NULL, UINT64_MAX);
    assert_int_equal(rep->total_problems, 0);
    free(rep);
    rep = verify_file(b, first, key_a, NULL, 21);
    assert_false(rep->tampered);
    assert_true(rep->incomplete);
    assert_true(has(rep, ADMIN_AUDIT_SHORT, 10));
    free(rep);

    /* Only three bytes of a record. */
    rep = verify_file(b, t->len[0] + 32 + 3, key_a, NULL, UINT64_MAX);
    assert_true(rep->incomplete);
    assert_true(has(rep, ADMIN_AUDIT_TRUNCATED, 1));
    free(rep);

    /* Nothing at all. */
    rep = verify_file(b, 0, key_a, NULL, UINT64_MAX);
    assert_true(rep->incomplete);
    assert_int_equal(count(rep, ADMIN_AUDIT_NO_CHECKPOINT), 1);
    free(rep);
    free(b);

    /* Records after the last checkpoint (an export without one). */
    add(t, SIGIL_OP_SIGN, 0);
    add(t, SIGIL_OP_SIGN, 0);
    rep = verify(t, key_a, NULL, UINT64_MAX);
    assert_false(rep->tampered);
    assert_true(rep->incomplete);
    assert_true(has(rep, ADMIN_AUDIT_UNCOVERED, 22));
    for (size_t i = 0; i < rep->n_problems; i++) {
        if (rep->problems[i].kind == ADMIN_AUDIT_UNCOVERED) {
            assert_int_equal(rep->problems[i].count, 2);
            assert_non_null(strstr(rep->problems[i].message, "truncated or exported without checkpoint"));
        }
    }
    free(rep);

    /* No checkpoint at all. */
    memset(t, 0, sizeof(*t));
    for (int i = 0; i < 5; i++)
        add(t, SIGIL_OP_SIGN, 0);
    rep = verify(t, key_a, NULL, UINT64_MAX);
    assert_false(rep->tampered);
    assert_true(rep->incomplete);
    assert_true(has(rep, ADMIN_AUDIT_NO_CHECKPOINT, 0));
    free(rep);
    free(t);
}

static void test_keys(void **state)
{
    (void)state;
    trail *t = malloc(sizeof(*t));
    good(t);
    /* Another device's key: every checkpoint fails. */
    admin_audit_report *rep = verify(t, key_b, NULL, UINT64_MAX);
    assert_true(rep->tampered);
    assert_int_equal(count(rep, ADMIN_AUDIT_BAD_SIGNATURE), 2);
    free(rep);

    /* A device zeroised between its checkpoints got a new audit key: both keys given, it verifies. */
    memset(t, 0, sizeof(*t));
    add(t, SIGIL_OP_SIGN, 0);
    add_checkpoint(t, key_a);
    add(t, SIGIL_AUDIT_EV_DEVICE_START, SIGIL_AUDIT_NO_SLOT);
    add_checkpoint(t, key_b);
    rep = verify(t, key_a, key_b, UINT64_MAX);
    assert_int_equal(rep->total_problems, 0);
    free(rep);
    rep = verify(t, key_a, NULL, UINT64_MAX);
    assert_true(rep->tampered);
    assert_true(has(rep, ADMIN_AUDIT_BAD_SIGNATURE, 3));
    free(rep);

    /* A checkpoint whose signature is not 64 bytes. */
    memset(t, 0, sizeof(*t));
    add(t, SIGIL_OP_SIGN, 0);
    add(t, SIGIL_AUDIT_EV_CHECKPOINT, SIGIL_AUDIT_NO_SLOT); /* data: 32 bytes of 0x5a */
    rep = verify(t, key_a, NULL, UINT64_MAX);
    assert_true(rep->tampered);
    assert_true(has(rep, ADMIN_AUDIT_BAD_SIGNATURE, 1));
    free(rep);
    free(t);
}

static void test_malformed(void **state)
{
    (void)state;
    trail *t = malloc(sizeof(*t));
    size_t len = 0;
    good(t);
    uint8_t *b = file_of(t, &len);
    size_t off = t->len[0] + 32 + t->len[1] + 32;
    /* Record 2's length field made huge: the bytes are no record. */
    b[off] = 0x7f;
    admin_audit_report *rep = verify_file(b, len, key_a, NULL, UINT64_MAX);
    assert_true(rep->tampered);
    assert_true(has(rep, ADMIN_AUDIT_MALFORMED, 2));
    assert_int_equal(rep->records, 2);
    free(rep);
    /* Garbage. */
    memset(b, 0xee, len);
    rep = verify_file(b, len, key_a, NULL, UINT64_MAX);
    assert_true(rep->tampered);
    free(rep);
    free(b);
    free(t);
}

static void test_describe(void **state)
{
    (void)state;
    char out[512];
    sigil_audit_rec r = {.seq = 3, .event = SIGIL_OP_SIGN, .role = SIGIL_AUDIT_ROLE_SEAL_USER, .slot = 2,
                         .status = SIGIL_ST_SEAL_SUSPENDED, .ctx = 9, .handle = 4, .mech = SIGIL_MECH_RSA_PSS,
                         .data_len = 32};
    memset(r.data, 0xab, 32);
    admin_audit_describe(&r, out, sizeof out);
    assert_non_null(strstr(out, "SIGN by seal user"));
    assert_non_null(strstr(out, "slot 2"));
    assert_non_null(strstr(out, "RSA-PSS"));
    assert_non_null(strstr(out, "SEAL_SUSPENDED"));
    assert_non_null(strstr(out, "abababab"));
    /* An INTENT record names the command that is about to change stored state. */
    sigil_audit_rec in = {.seq = 4, .event = SIGIL_AUDIT_EV_INTENT, .role = SIGIL_AUDIT_ROLE_ADMIN,
                          .slot = 1, .data = {SIGIL_OP_POLICY_SET >> 8, SIGIL_OP_POLICY_SET & 0xff}, .data_len = 2};
    admin_audit_describe(&in, out, sizeof out);
    assert_non_null(strstr(out, "INTENT by administrator, slot 1, POLICY_SET about to change stored state"));
    assert_null(strstr(out, "data "));
    /* Cut short, still terminated. */
    admin_audit_describe(&r, out, 10);
    assert_int_equal(strlen(out), 9);
    assert_string_equal(admin_audit_problem_name(ADMIN_AUDIT_REORDERED), "reordered");
    assert_true(admin_audit_problem_tampers(ADMIN_AUDIT_BAD_SIGNATURE));
    assert_false(admin_audit_problem_tampers(ADMIN_AUDIT_TRUNCATED));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intact),    cmocka_unit_test(test_edited),
        cmocka_unit_test(test_deleted),   cmocka_unit_test(test_reordered_and_duplicated),
        cmocka_unit_test(test_truncated), cmocka_unit_test(test_keys),
        cmocka_unit_test(test_malformed), cmocka_unit_test(test_describe),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
