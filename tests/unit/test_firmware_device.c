/* test_firmware_device.c — roles tried against every role-gated command (each
 * refusal refused and audited), the auditor's view of the audit trail with its
 * signed checkpoints, key attestation, zeroisation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "fw_harness.h"

#define AUDITOR_PIN "auditor-pin-1"

typedef enum { R_NONE, R_ADMIN, R_AUDITOR, R_SO, R_USER, R_COUNT } role;
static const char *role_name[] = {"none", "admin", "auditor", "seal-so", "seal-user"};
static const uint16_t audit_role[] = {SIGIL_AUDIT_ROLE_NONE, SIGIL_AUDIT_ROLE_ADMIN, SIGIL_AUDIT_ROLE_AUDITOR,
                                      SIGIL_AUDIT_ROLE_SEAL_SO, SIGIL_AUDIT_ROLE_SEAL_USER};

/* What specs/protocol.md says each role-gated command needs. */
static const struct {
    uint16_t op;
    role need;
} gated[] = {
    {SIGIL_OP_CRED_SET, R_ADMIN},         {SIGIL_OP_SEAL_CREATE, R_ADMIN},
    {SIGIL_OP_APPLIANCE_CONFIG, R_ADMIN}, {SIGIL_OP_BACKUP_EXPORT, R_ADMIN},
    {SIGIL_OP_BACKUP_RESTORE, R_ADMIN},   {SIGIL_OP_BACKUP_DOMAIN_JOIN, R_ADMIN},
    {SIGIL_OP_SIGN_BATCH, R_USER},        {SIGIL_OP_SEAL_DESTROY, R_ADMIN},
    {SIGIL_OP_POLICY_SET, R_ADMIN},       {SIGIL_OP_SEAL_STATE, R_ADMIN},
    {SIGIL_OP_ZEROIZE, R_ADMIN},          {SIGIL_OP_AUDIT_READ, R_AUDITOR},
    {SIGIL_OP_AUDIT_CHECKPOINT, R_AUDITOR}, {SIGIL_OP_INIT_PIN, R_SO},
    {SIGIL_OP_GENERATE_KEYPAIR, R_USER},  {SIGIL_OP_DESTROY_OBJECT, R_USER},
    {SIGIL_OP_CREATE_OBJECT, R_USER},     {SIGIL_OP_SET_OBJECT, R_USER},
    {SIGIL_OP_SIGN, R_USER},
};

static void set_auditor_pin(tfw *t)
{
    sigil_wr *w = body();
    sigil_wr_u8(w, SIGIL_AUDIT_ROLE_AUDITOR);
    wr_pin(w, AUDITOR_PIN);
    assert_int_equal(tfw_call(t, SIGIL_OP_CRED_SET, w, NULL), SIGIL_ST_OK);
}

/* A new connection in its own application context, logged in as r. */
static sigil_fw_conn *conn_as(tfw *t, role r, uint8_t tag)
{
    sigil_fw_conn *saved = t->conn, *c = sigil_fw_conn_new(t->fw);
    uint8_t token[SIGIL_APP_TOKEN_LEN];
    memset(token, 0xA0 + tag, sizeof(token));
    t->conn = c;
    sigil_wr *w = body();
    sigil_wr_u16(w, SIGIL_PROTO_VERSION);
    sigil_wr_bytes(w, token, sizeof(token));
    assert_int_equal(tfw_call(t, SIGIL_OP_HELLO, w, NULL), SIGIL_ST_OK);
    w = body();
    switch (r) {
    case R_ADMIN:
        wr_pin(w, ADMIN_PIN);
        assert_int_equal(tfw_call(t, SIGIL_OP_ADMIN_LOGIN, w, NULL), SIGIL_ST_OK);
        break;
    case R_AUDITOR:
        wr_pin(w, AUDITOR_PIN);
        assert_int_equal(tfw_call(t, SIGIL_OP_AUDITOR_LOGIN, w, NULL), SIGIL_ST_OK);
        break;
    case R_SO:
        assert_int_equal(login(t, 0, SIGIL_USER_SO, SO_PIN), SIGIL_ST_OK);
        break;
    case R_USER:
        assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
        break;
    default:
        break;
    }
    t->conn = saved;
    return c;
}

static sigil_audit_rec trail[2048];

static void test_every_role_against_every_gated_command(void **state)
{
    tfw *t = *state;
    sigil_fw_conn *conns[R_COUNT];
    bool clean;
    set_auditor_pin(t);
    for (int r = 0; r < R_COUNT; r++)
        conns[r] = conn_as(t, (role)r, (uint8_t)r);
    int refused = 0, allowed = 0;
    for (size_t i = 0; i < sizeof(gated) / sizeof(gated[0]); i++) {
        for (int r = 0; r < R_COUNT; r++) {
            sigil_fw_conn *saved = t->conn;
            size_t before = read_trail(t, trail, 2048, &clean);
            t->conn = conns[r];
            sigil_wr *w = body();
            sigil_wr_u32(w, 0); /* slot 0; too short for any gated command's request */
            sigil_status st = tfw_call(t, gated[i].op, w, NULL);
            t->conn = saved;
            size_t after = read_trail(t, trail, 2048, &clean);
            assert_true(clean);
            if ((role)r == gated[i].need) {
                /* Allowed past the role check; the request itself is malformed. */
                if (st == SIGIL_ST_NOT_LOGGED_IN)
                    fail_msg("%s as %s refused", sigil_opcode_name(gated[i].op), role_name[r]);
                allowed++;
                continue;
            }
            if (st != SIGIL_ST_NOT_LOGGED_IN)
                fail_msg("%s as %s: %s, want NOT_LOGGED_IN", sigil_opcode_name(gated[i].op), role_name[r],
                         sigil_status_name(st));
            /* The refusal is in the trail, with who asked: the caller's role on the seal
             * for seal commands, else its appliance role. */
            uint16_t who = audit_role[r];
            bool seal_cmd = gated[i].need == R_SO || gated[i].need == R_USER;
            if (!seal_cmd && (r == R_SO || r == R_USER))
                who = SIGIL_AUDIT_ROLE_NONE;
            assert_int_equal(after, before + 1);
            assert_int_equal(trail[after - 1].event, gated[i].op);
            assert_int_equal(trail[after - 1].status, SIGIL_ST_NOT_LOGGED_IN);
            assert_int_equal(trail[after - 1].role, who);
            refused++;
        }
    }
    assert_int_equal(allowed, (int)(sizeof(gated) / sizeof(gated[0])));
    assert_int_equal(refused, (int)(sizeof(gated) / sizeof(gated[0])) * (R_COUNT - 1));
    for (int r = 0; r < R_COUNT; r++)
        sigil_fw_conn_free(conns[r]);
}

static void device_keys(tfw *t, char *serial, uint8_t *audit_pt, uint8_t *attest_pt)
{
    sigil_rd r;
    size_t n;
    assert_int_equal(tfw_call(t, SIGIL_OP_DEVICE_KEYS, NULL, &r), SIGIL_ST_OK);
    sigil_rd_str(&r, serial, 16);
    const uint8_t *a = sigil_rd_bytes(&r, 65, &n);
    assert_int_equal(n, 65);
    memcpy(audit_pt, a, 65);
    const uint8_t *b = sigil_rd_bytes(&r, 65, &n);
    assert_int_equal(n, 65);
    memcpy(attest_pt, b, 65);
    assert_true(sigil_rd_done(&r));
}

/* Verifies every checkpoint of a trail (as bytes) against the audit key; returns how many. */
static int verify_checkpoints(const uint8_t *log, size_t len, const uint8_t *audit_pt)
{
    uint8_t head[32] = {0};
    size_t off = 0;
    int n = 0;
    while (off < len) {
        sigil_audit_rec r;
        size_t used = sigil_audit_decode(log + off, len - off, &r);
        assert_true(used > 0 && off + used + 32 <= len);
        if (r.event == SIGIL_AUDIT_EV_CHECKPOINT) {
            uint8_t msg[96], d[32];
            size_t l = strlen(SIGIL_AUDIT_CHECKPOINT_LABEL);
            memcpy(msg, SIGIL_AUDIT_CHECKPOINT_LABEL, l);
            for (int i = 0; i < 8; i++)
                msg[l + (size_t)i] = (uint8_t)(r.seq >> (56 - 8 * i));
            memcpy(msg + l + 8, head, 32);
            SHA256(msg, l + 8 + 32, d);
            assert_int_equal(r.data_len, 64);
            assert_true(ec_verify_point(audit_pt, 65, d, r.data, 64));
            n++;
        }
        memcpy(head, log + off + used, 32);
        off += used + 32;
    }
    return n;
}

static void test_auditor_reads_and_verifies_trail(void **state)
{
    tfw *t = *state;
    char serial[20];
    uint8_t audit_pt[65], attest_pt[65];
    sigil_obj_record pub, priv;
    uint8_t sig[512], d[32] = {1};
    size_t n;
    set_auditor_pin(t);
    device_keys(t, serial, audit_pt, attest_pt);
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    /* Past 1024 records the device signs a checkpoint by itself. */
    for (int i = 0; i < 1030; i++)
        assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
    sigil_fw_conn *aud = conn_as(t, R_AUDITOR, 9), *main_conn = t->conn;
    /* The administrator cannot read the trail; the auditor can, and cannot administer. */
    sigil_wr *w = body();
    sigil_wr_u64(w, 0);
    sigil_wr_u32(w, 4096);
    assert_int_equal(tfw_call(t, SIGIL_OP_AUDIT_READ, w, NULL), SIGIL_ST_NOT_LOGGED_IN);
    t->conn = aud;
    sigil_rd r;
    assert_int_equal(tfw_call(t, SIGIL_OP_AUDIT_CHECKPOINT, NULL, &r), SIGIL_ST_OK);
    uint64_t cseq = sigil_rd_u64(&r);
    w = body();
    sigil_wr_str(w, "x");
    wr_pin(w, SO_PIN);
    wr_pin(w, "");
    assert_int_equal(tfw_call(t, SIGIL_OP_SEAL_CREATE, w, NULL), SIGIL_ST_NOT_LOGGED_IN);
    /* Read it all in chunks, as an exporting tool would. */
    uint8_t *copy = NULL;
    size_t have = 0;
    uint64_t total = 1;
    while (have < total) {
        w = body();
        sigil_wr_u64(w, have);
        sigil_wr_u32(w, 10000);
        assert_int_equal(tfw_call(t, SIGIL_OP_AUDIT_READ, w, &r), SIGIL_ST_OK);
        total = sigil_rd_u64(&r);
        const uint8_t *p = sigil_rd_bytes(&r, 10000, &n);
        assert_true(sigil_rd_done(&r));
        assert_true(n > 0);
        copy = realloc(copy, have + n);
        memcpy(copy + have, p, n);
        have += n;
    }
    t->conn = main_conn;
    size_t len;
    const uint8_t *log = fake_platform_blob(t->plat, "audit.log", &len);
    assert_true(have <= len);
    assert_memory_equal(copy, log, have);
    /* Two checkpoints at least: the automatic one and the one asked for; all verify. */
    assert_true(verify_checkpoints(copy, have, audit_pt) >= 2);
    bool clean;
    size_t count = read_trail(t, trail, 2048, &clean);
    assert_true(clean);
    assert_true(cseq < count);
    assert_int_equal(trail[cseq].event, SIGIL_AUDIT_EV_CHECKPOINT);
    assert_int_equal(trail[1024].event, SIGIL_AUDIT_EV_CHECKPOINT); /* after record 1023 */
    /* An edited copy no longer verifies: flip one byte of a checkpoint's signature. */
    for (size_t off = 0, i = 0; off < have; i++) {
        sigil_audit_rec rec;
        size_t used = sigil_audit_decode(copy + off, have - off, &rec);
        if (rec.event == SIGIL_AUDIT_EV_CHECKPOINT) {
            copy[off + used - 10] ^= 1; /* inside the signature (the data field ends the body) */
            uint8_t msg[96], dg[32];
            size_t l = strlen(SIGIL_AUDIT_CHECKPOINT_LABEL);
            sigil_audit_rec rec2;
            (void)sigil_audit_decode(copy + off, have - off, &rec2);
            memcpy(msg, SIGIL_AUDIT_CHECKPOINT_LABEL, l);
            for (int k = 0; k < 8; k++)
                msg[l + (size_t)k] = (uint8_t)(rec2.seq >> (56 - 8 * k));
            memcpy(msg + l + 8, i == 0 ? (const uint8_t[32]){0} : copy + off - 32, 32);
            SHA256(msg, l + 8 + 32, dg);
            assert_false(ec_verify_point(audit_pt, 65, dg, rec2.data, 64));
            break;
        }
        off += used + 32;
    }
    free(copy);
    sigil_fw_conn_free(aud);
}

static void test_attestation_verifies(void **state)
{
    tfw *t = *state;
    char serial[20];
    uint8_t audit_pt[65], attest_pt[65];
    sigil_obj_record pub, priv;
    sigil_rd r;
    size_t n, sn;
    device_keys(t, serial, audit_pt, attest_pt);
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    sigil_wr_u32(w, priv.handle);
    assert_int_equal(tfw_call(t, SIGIL_OP_ATTEST, w, &r), SIGIL_ST_OK);
    const uint8_t *stmt = sigil_rd_bytes(&r, 8192, &n);
    const uint8_t *sig = sigil_rd_bytes(&r, 64, &sn);
    assert_true(sigil_rd_done(&r));
    assert_int_equal(sn, 64);
    uint8_t d[32];
    SHA256(stmt, n, d);
    assert_true(ec_verify_point(attest_pt, 65, d, sig, 64));
    char *text = strndup((const char *)stmt, n);
    char point_hex[2 * 65 + 1];
    for (size_t i = 0; i < 65; i++)
        snprintf(point_hex + 2 * i, 3, "%02x", pub.pub_b[i]);
    char line[200];
    snprintf(line, sizeof(line), "ec-point: %s\n", point_hex);
    assert_non_null(strstr(text, line));
    assert_non_null(strstr(text, "generated-on-device: yes\n"));
    assert_non_null(strstr(text, "extractable: no\n"));
    snprintf(line, sizeof(line), "device-serial: %s\n", serial);
    assert_non_null(strstr(text, line));
    free(text);
    /* The public key's handle names the same key (it is visible without the user's login). */
    w = body();
    sigil_wr_u32(w, 0);
    sigil_wr_u32(w, pub.handle);
    assert_int_equal(tfw_call(t, SIGIL_OP_ATTEST, w, &r), SIGIL_ST_OK);
    stmt = sigil_rd_bytes(&r, 8192, &n);
    text = strndup((const char *)stmt, n);
    snprintf(line, sizeof(line), "ec-point: %s\n", point_hex);
    assert_non_null(strstr(text, line));
    free(text);
    /* A handle that is no key has nothing to attest. */
    w = body();
    sigil_wr_u32(w, 0);
    sigil_wr_u32(w, 999999);
    assert_int_equal(tfw_call(t, SIGIL_OP_ATTEST, w, NULL), SIGIL_ST_OBJECT_INVALID);
}

static void test_zeroize(void **state)
{
    tfw *t = *state;
    char serial[20], serial2[20];
    uint8_t audit_pt[65], attest_pt[65];
    sigil_obj_record pub, priv;
    uint8_t sig[512], d[32] = {1};
    size_t n;
    device_keys(t, serial, audit_pt, attest_pt);
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    sigil_wr *w = body();
    sigil_wr_str(w, "0000000000000000");
    assert_int_equal(tfw_call(t, SIGIL_OP_ZEROIZE, w, NULL), SIGIL_ST_BAD_ARGUMENT);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
    w = body();
    sigil_wr_str(w, serial);
    assert_int_equal(tfw_call(t, SIGIL_OP_ZEROIZE, w, NULL), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_ZEROIZED);
    assert_int_equal(tfw_call(t, SIGIL_OP_INFO, NULL, NULL), SIGIL_ST_OK);
    assert_int_equal(fake_platform_root_destroyed(t->plat), 1);
    for (size_t i = 0; i < fake_platform_blob_count(t->plat); i++) {
        const char *name = fake_platform_blob_name(t->plat, i);
        assert_true(strncmp(name, "obj-", 4) != 0 && strncmp(name, "token-", 6) != 0 &&
                    strcmp(name, "device-keys") != 0);
    }
    /* The trail says so: before and after, then the refused signature. */
    bool clean;
    size_t count = read_trail(t, trail, 2048, &clean);
    assert_true(clean);
    assert_int_equal(trail[count - 3].event, SIGIL_OP_ZEROIZE);
    assert_int_equal(trail[count - 2].event, SIGIL_OP_ZEROIZE);
    assert_int_equal(trail[count - 2].status, SIGIL_ST_OK);
    assert_int_equal(trail[count - 1].event, SIGIL_OP_SIGN);
    assert_int_equal(trail[count - 1].status, SIGIL_ST_ZEROIZED);
    /* After a restart: a factory-fresh device with a new identity. */
    restart(t);
    sigil_rd r;
    assert_int_equal(tfw_call(t, SIGIL_OP_INFO, NULL, &r), SIGIL_ST_OK);
    char s[80];
    sigil_rd_str(&r, s, 64);
    sigil_rd_str(&r, s, 64);
    assert_int_equal(sigil_rd_u8(&r), 0); /* not initialised */
    device_keys(t, serial2, audit_pt, attest_pt);
    assert_string_not_equal(serial, serial2);
}

static void test_tamper_signal(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv;
    uint8_t sig[512], d[32] = {1};
    size_t n;
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    assert_int_equal(sigil_fw_tamper(t->fw), SIGIL_ST_OK);
    assert_true(sigil_fw_zeroized(t->fw));
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_ZEROIZED);
    bool clean;
    size_t count = read_trail(t, trail, 2048, &clean);
    assert_true(clean);
    assert_int_equal(trail[count - 2].event, SIGIL_AUDIT_EV_TAMPER);
    assert_int_equal(trail[count - 1].status, SIGIL_ST_ZEROIZED);
}

/* A second device, initialised, administrator logged in. */
static tfw *second_device(uint64_t seed)
{
    tfw *b = calloc(1, sizeof(*b));
    b->resp = malloc(SIGIL_FW_RESP_CAP);
    b->plat = fake_platform_new(seed);
    tfw_open(b);
    hello(b);
    sigil_wr *w = body();
    wr_pin(w, ADMIN_PIN);
    assert_int_equal(tfw_call(b, SIGIL_OP_APPLIANCE_INIT, w, NULL), SIGIL_ST_OK);
    w = body();
    wr_pin(w, ADMIN_PIN);
    assert_int_equal(tfw_call(b, SIGIL_OP_ADMIN_LOGIN, w, NULL), SIGIL_ST_OK);
    return b;
}

static uint32_t user_tries(tfw *t, uint32_t slot)
{
    sigil_wr *w = body();
    sigil_rd r;
    char s[40];
    sigil_wr_u32(w, slot);
    assert_int_equal(tfw_call(t, SIGIL_OP_TOKEN_INFO, w, &r), SIGIL_ST_OK);
    (void)sigil_rd_u32(&r);
    sigil_rd_str(&r, s, 32);
    sigil_rd_str(&r, s, 16);
    (void)sigil_rd_u32(&r);
    (void)sigil_rd_u32(&r);
    return sigil_rd_u32(&r);
}

static void test_backup_restore_on_another_device(void **state)
{
    tfw *a = *state;
    sigil_obj_record pub, priv;
    uint8_t sig[512], d[32] = {4};
    size_t n;
    sigil_rd r;
    keygen(a, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    /* No domain yet. */
    assert_int_equal(tfw_call(a, SIGIL_OP_BACKUP_EXPORT, w, NULL), SIGIL_ST_NO_BACKUP_DOMAIN);
    assert_int_equal(tfw_call(a, SIGIL_OP_BACKUP_DOMAIN_CREATE, NULL, &r), SIGIL_ST_OK);
    uint8_t secret[32];
    memcpy(secret, sigil_rd_bytes(&r, 32, &n), 32);
    /* Two failed logins before the backup: the copy keeps them. */
    w = body();
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(a, SIGIL_OP_LOGOUT, w, NULL), SIGIL_ST_OK);
    assert_int_equal(login(a, 0, SIGIL_USER_USER, "wrong-1"), SIGIL_ST_PIN_INCORRECT);
    assert_int_equal(login(a, 0, SIGIL_USER_USER, "wrong-2"), SIGIL_ST_PIN_INCORRECT);
    w = body();
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(a, SIGIL_OP_BACKUP_EXPORT, w, &r), SIGIL_ST_OK);
    const uint8_t *blob = sigil_rd_bytes(&r, SIGIL_FRAME_MAX_BODY, &n);
    assert_true(sigil_rd_done(&r));
    uint8_t *backup = malloc(n);
    memcpy(backup, blob, n);
    size_t backup_len = n;
    /* The file is ciphertext: not even the seal's label shows in it. */
    assert_null(memmem(backup, backup_len, "seal-a", 6));
    /* Restoring on the same appliance is refused: the seal is here. */
    static uint8_t req[SIGIL_FRAME_HDR_LEN + 65536];
    sigil_wr bw;
    sigil_wr_init(&bw, req + SIGIL_FRAME_HDR_LEN, sizeof(req) - SIGIL_FRAME_HDR_LEN);
    sigil_wr_bytes(&bw, backup, backup_len);
    sigil_frame_hdr h = {.body_len = (uint32_t)bw.len, .version = 1, .kind = SIGIL_KIND_REQUEST,
                         .opcode = SIGIL_OP_BACKUP_RESTORE, .request_id = 77};
    sigil_frame_hdr_encode(&h, req);
    assert_int_equal(tfw_raw(a, req, SIGIL_FRAME_HDR_LEN + bw.len), SIGIL_ST_SEAL_EXISTS);

    /* Device B, not in the domain, then in another domain, then in ours. */
    tfw *b = second_device(99);
    assert_int_equal(tfw_raw(b, req, SIGIL_FRAME_HDR_LEN + bw.len), SIGIL_ST_NO_BACKUP_DOMAIN);
    assert_int_equal(tfw_call(b, SIGIL_OP_BACKUP_DOMAIN_CREATE, NULL, NULL), SIGIL_ST_OK);
    assert_int_equal(tfw_raw(b, req, SIGIL_FRAME_HDR_LEN + bw.len), SIGIL_ST_BACKUP_WRONG_DOMAIN);
    w = body();
    sigil_wr_bytes(w, secret, 32);
    assert_int_equal(tfw_call(b, SIGIL_OP_BACKUP_DOMAIN_JOIN, w, NULL), SIGIL_ST_OK);
    /* A corrupt backup is refused and leaves nothing. */
    req[SIGIL_FRAME_HDR_LEN + bw.len - 5] ^= 1;
    assert_int_equal(tfw_raw(b, req, SIGIL_FRAME_HDR_LEN + bw.len), SIGIL_ST_INTEGRITY_FAILURE);
    req[SIGIL_FRAME_HDR_LEN + bw.len - 5] ^= 1;
    assert_int_equal(tfw_raw(b, req, SIGIL_FRAME_HDR_LEN + bw.len), SIGIL_ST_OK);
    sigil_rd_init(&r, b->resp + SIGIL_FRAME_HDR_LEN, b->resp_len - SIGIL_FRAME_HDR_LEN);
    uint32_t slot = sigil_rd_u32(&r);
    assert_int_equal(slot, 0);
    assert_int_equal(user_tries(b, slot), 3);
    /* The restored seal signs with the same key. */
    assert_int_equal(login(b, slot, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
    w = body();
    sigil_wr_u32(w, slot);
    assert_int_equal(tfw_call(b, SIGIL_OP_OBJECT_LIST, w, &r), SIGIL_ST_OK);
    uint32_t count = sigil_rd_u32(&r);
    assert_int_equal(count, 2);
    uint32_t new_priv = 0;
    for (uint32_t i = 0; i < count; i++) {
        sigil_obj_record o;
        sigil_obj_record_read(&r, &o);
        if (o.obj_class == SIGIL_CLASS_PRIVATE_KEY)
            new_priv = o.handle;
    }
    assert_int_equal(sign(b, new_priv, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
    assert_true(ec_verify(&pub, d, sig, n));
    /* And survives B's restart. */
    restart(b);
    assert_int_equal(login(b, slot, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
    assert_int_equal(sign(b, new_priv, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
    assert_true(ec_verify(&pub, d, sig, n));
    free(backup);
    tfw_close(b);
    fake_platform_free(b->plat);
    free(b->resp);
    free(b);
}

static void test_seal_destroy_and_revoked_reinit(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv;
    sigil_rd r;
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    assert_int_equal(tfw_call(t, SIGIL_OP_BACKUP_DOMAIN_CREATE, NULL, NULL), SIGIL_ST_OK);
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_BACKUP_EXPORT, w, &r), SIGIL_ST_OK);
    size_t n;
    const uint8_t *blob = sigil_rd_bytes(&r, SIGIL_FRAME_MAX_BODY, &n);
    uint8_t *backup = malloc(n);
    memcpy(backup, blob, n);
    size_t backup_len = n;
    /* Revoked: its SO cannot bring it back with C_InitToken. */
    w = body();
    sigil_wr_u32(w, 0);
    sigil_wr_u8(w, SIGIL_SEAL_REVOKED);
    assert_int_equal(tfw_call(t, SIGIL_OP_SEAL_STATE, w, NULL), SIGIL_ST_OK);
    w = body();
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_LOGOUT, w, NULL), SIGIL_ST_OK);
    w = body();
    sigil_wr_u32(w, 0);
    wr_pin(w, SO_PIN);
    sigil_wr_str(w, "revived");
    assert_int_equal(tfw_call(t, SIGIL_OP_INIT_TOKEN, w, NULL), SIGIL_ST_SEAL_REVOKED);
    /* Destroyed: the slot is free again, and the seal's backup is refused here for good. */
    w = body();
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_SEAL_DESTROY, w, NULL), SIGIL_ST_OK);
    w = body();
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_SEAL_DESTROY, w, NULL), SIGIL_ST_TOKEN_NOT_INITIALIZED);
    restart(t);
    w = body();
    wr_pin(w, ADMIN_PIN);
    assert_int_equal(tfw_call(t, SIGIL_OP_ADMIN_LOGIN, w, NULL), SIGIL_ST_OK);
    static uint8_t req[SIGIL_FRAME_HDR_LEN + 65536];
    sigil_wr bw;
    sigil_wr_init(&bw, req + SIGIL_FRAME_HDR_LEN, sizeof(req) - SIGIL_FRAME_HDR_LEN);
    sigil_wr_bytes(&bw, backup, backup_len);
    sigil_frame_hdr h = {.body_len = (uint32_t)bw.len, .version = 1, .kind = SIGIL_KIND_REQUEST,
                         .opcode = SIGIL_OP_BACKUP_RESTORE, .request_id = 9};
    sigil_frame_hdr_encode(&h, req);
    assert_int_equal(tfw_raw(t, req, SIGIL_FRAME_HDR_LEN + bw.len), SIGIL_ST_SEAL_REVOKED);
    /* The free slot takes a new seal. */
    w = body();
    sigil_wr_str(w, "new-seal");
    wr_pin(w, SO_PIN);
    wr_pin(w, USER_PIN);
    assert_int_equal(tfw_call(t, SIGIL_OP_SEAL_CREATE, w, &r), SIGIL_ST_OK);
    assert_int_equal(sigil_rd_u32(&r), 0);
    free(backup);
}

/* The auditor (on a connection of application id) has the device write a checkpoint. */
static void checkpoint_as_auditor(tfw *t, uint8_t id)
{
    set_auditor_pin(t);
    sigil_fw_conn *aud = conn_as(t, R_AUDITOR, id), *main_conn = t->conn;
    t->conn = aud;
    assert_int_equal(tfw_call(t, SIGIL_OP_AUDIT_CHECKPOINT, NULL, NULL), SIGIL_ST_OK);
    t->conn = main_conn;
    sigil_fw_conn_free(aud);
}

static void test_audit_cut_at_record_boundary_refused(void **state)
{
    tfw *t = *state;
    checkpoint_as_auditor(t, 7);
    /* Cut the trail after its first record: whole records, no torn tail. */
    size_t len;
    const uint8_t *log = fake_platform_blob(t->plat, "audit.log", &len);
    sigil_audit_rec r;
    size_t first = sigil_audit_decode(log, len, &r) + SIGIL_AUDIT_HASH_LEN;
    uint8_t *copy = malloc(first);
    memcpy(copy, log, first);
    fake_platform_set_blob(t->plat, "audit.log", copy, first);
    free(copy);
    tfw_close(t);
    sigil_fw_config cfg;
    sigil_fw_config_default(&cfg);
    char err[300] = "";
    assert_int_equal(sigil_fw_open(t->plat, &cfg, &t->fw, err, sizeof(err)), SIGIL_ST_INTEGRITY_FAILURE);
    assert_non_null(strstr(err, "audit trail cut"));
    fake_platform_free(t->plat);
    t->plat = fake_platform_new(8);
    tfw_open(t);
}

/* The trail's length at its last checkpoint is vouched for by the appliance record, not by
 * a file of the trail's own: emptying the trail (and there is no audit-* file to delete with
 * it) stops the start-up. */
static void test_audit_cut_refuses_start(void **state)
{
    tfw *t = *state;
    checkpoint_as_auditor(t, 9);
    size_t len;
    for (size_t i = 0; i < fake_platform_blob_count(t->plat); i++)
        assert_true(strncmp(fake_platform_blob_name(t->plat, i), "audit-", 6) != 0);
    assert_non_null(fake_platform_blob(t->plat, "audit.log", &len));
    fake_platform_set_blob(t->plat, "audit.log", (const uint8_t *)"", 0);
    tfw_close(t);
    sigil_fw_config cfg;
    sigil_fw_config_default(&cfg);
    char err[300] = "";
    assert_int_equal(sigil_fw_open(t->plat, &cfg, &t->fw, err, sizeof(err)), SIGIL_ST_INTEGRITY_FAILURE);
    assert_non_null(strstr(err, "audit trail cut: it holds 0 records"));
    fake_platform_free(t->plat);
    t->plat = fake_platform_new(8);
    tfw_open(t);
}

static void test_zeroize_after_checkpoint_restarts_fresh(void **state)
{
    tfw *t = *state;
    char serial[20];
    uint8_t a[65], b[65];
    checkpoint_as_auditor(t, 6);
    device_keys(t, serial, a, b);
    sigil_wr *w = body();
    sigil_wr_str(w, serial);
    assert_int_equal(tfw_call(t, SIGIL_OP_ZEROIZE, w, NULL), SIGIL_ST_OK);
    restart(t); /* a new device: starts although the old trail's head is gone */
    assert_int_equal(tfw_call(t, SIGIL_OP_INFO, NULL, NULL), SIGIL_ST_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_role_against_every_gated_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auditor_reads_and_verifies_trail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attestation_verifies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zeroize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_signal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_restore_on_another_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_destroy_and_revoked_reinit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_cut_at_record_boundary_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_cut_refuses_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zeroize_after_checkpoint_restarts_fresh, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
