/* test_firmware.c — the firmware core, frame in and frame out, over the fake
 * platform: handshake and roles, PINs and lockout, key generation and signing
 * (verified with OpenSSL), persistence across restarts, refused blobs, framing
 * errors and storage faults. */
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

static void test_handshake_required(void **state)
{
    tfw *t = *state;
    sigil_fw_conn *fresh = sigil_fw_conn_new(t->fw);
    sigil_fw_conn *saved = t->conn;
    t->conn = fresh;
    assert_int_equal(tfw_call(t, SIGIL_OP_INFO, NULL, NULL), SIGIL_ST_NO_CONTEXT);
    assert_int_equal(tfw_call(t, SIGIL_OP_SLOT_LIST, NULL, NULL), SIGIL_ST_NO_CONTEXT);
    /* The same app token joins the same context: the login made on the first
     * connection holds here too. */
    hello(t);
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    sigil_rd r;
    assert_int_equal(tfw_call(t, SIGIL_OP_TOKEN_INFO, w, &r), SIGIL_ST_OK);
    (void)sigil_rd_u32(&r);
    char s[40];
    sigil_rd_str(&r, s, 32);
    assert_string_equal(s, "seal-a");
    sigil_rd_str(&r, s, 16);
    (void)sigil_rd_u32(&r);
    assert_int_equal(sigil_rd_u32(&r), SIGIL_LOGIN_USER);
    t->conn = saved;
    sigil_fw_conn_free(fresh);
}

static void test_roles_enforced(void **state)
{
    tfw *t = *state;
    uint8_t sig[512], d[32] = {0};
    size_t n;
    sigil_obj_record pub, priv;
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    /* Logged out: no signing, no key generation, private keys invisible. */
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_LOGOUT, w, NULL), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_NOT_LOGGED_IN);
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_NOT_LOGGED_IN);
    w = body();
    sigil_wr_u32(w, 0);
    sigil_rd r;
    assert_int_equal(tfw_call(t, SIGIL_OP_OBJECT_LIST, w, &r), SIGIL_ST_OK);
    assert_int_equal(sigil_rd_u32(&r), 1); /* the public key only */
    /* The SO is not the user: INIT_PIN needs the SO, SIGN the user. */
    w = body();
    sigil_wr_u32(w, 0);
    wr_pin(w, "new-user-pin");
    assert_int_equal(tfw_call(t, SIGIL_OP_INIT_PIN, w, NULL), SIGIL_ST_NOT_LOGGED_IN);
    assert_int_equal(login(t, 0, SIGIL_USER_SO, SO_PIN), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_NOT_LOGGED_IN);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_ANOTHER_USER_LOGGED_IN);
    /* Admin logout: no more seal creation. */
    assert_int_equal(tfw_call(t, SIGIL_OP_ADMIN_LOGOUT, NULL, NULL), SIGIL_ST_OK);
    w = body();
    sigil_wr_str(w, "x");
    wr_pin(w, SO_PIN);
    wr_pin(w, "");
    assert_int_equal(tfw_call(t, SIGIL_OP_SEAL_CREATE, w, NULL), SIGIL_ST_NOT_LOGGED_IN);
    /* A slot beyond the count. */
    w = body();
    sigil_wr_u32(w, 9999);
    assert_int_equal(tfw_call(t, SIGIL_OP_TOKEN_INFO, w, NULL), SIGIL_ST_SLOT_INVALID);
}

static void test_sign_verify_and_restart(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv;
    uint8_t sig[512], d[32];
    size_t n = 0;
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    assert_int_equal(pub.obj_class, SIGIL_CLASS_PUBLIC_KEY);
    assert_int_equal(priv.obj_class, SIGIL_CLASS_PRIVATE_KEY);
    assert_true(priv.flags & SIGIL_OBJ_SENSITIVE);
    assert_memory_equal(pub.id, priv.id, 2);
    for (int i = 0; i < 32; i++)
        d[i] = (uint8_t)i;
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
    assert_int_equal(n, 64);
    assert_true(ec_verify(&pub, d, sig, n));
    d[0] ^= 1;
    assert_false(ec_verify(&pub, d, sig, n)); /* the verifier can fail */
    /* Wrong mechanism for the key, a public key handle, an unknown handle. */
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_RSA_PKCS, d, 32, sig, &n), SIGIL_ST_KEY_TYPE_INCONSISTENT);
    assert_int_equal(sign(t, pub.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OBJECT_INVALID);
    assert_int_equal(sign(t, 777777, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OBJECT_INVALID);
    assert_int_equal(sign(t, priv.handle, 99, d, 32, sig, &n), SIGIL_ST_MECHANISM_INVALID);

    restart(t);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
    assert_true(ec_verify(&pub, d, sig, n));
    /* Handles are never reused: a new pair gets new ones. */
    sigil_obj_record pub2, priv2;
    keygen(t, SIGIL_KEYTYPE_EC, 384, &pub2, &priv2, SIGIL_ST_OK);
    assert_true(pub2.handle > priv.handle && priv2.handle > priv.handle);
    keygen(t, SIGIL_KEYTYPE_EC, 521, &pub2, &priv2, SIGIL_ST_KEY_SIZE_RANGE);
    keygen(t, SIGIL_KEYTYPE_RSA, 1024, &pub2, &priv2, SIGIL_ST_KEY_SIZE_RANGE);
}

static void test_rsa_sign(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv;
    uint8_t sig[512], d[32] = {7};
    size_t n = 0;
    keygen(t, SIGIL_KEYTYPE_RSA, 2048, &pub, &priv, SIGIL_ST_OK);
    assert_int_equal(pub.bits, 2048);
    assert_int_equal(pub.pub_a_len, 256);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_RSA_PKCS, d, 32, sig, &n), SIGIL_ST_OK);
    assert_int_equal(n, 256);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_RSA_PSS, d, 32, sig, &n), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_RSA_PSS, d, 20, sig, &n), SIGIL_ST_DATA_LEN_RANGE);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_KEY_TYPE_INCONSISTENT);
}

static void test_edited_blob_refused(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv;
    uint8_t sig[512], d[32] = {1};
    size_t n;
    char name[64];
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    snprintf(name, sizeof(name), "obj-0000-%08x", priv.handle);
    size_t len = 0;
    assert_non_null(fake_platform_blob(t->plat, name, &len));
    assert_true(fake_platform_flip_bit(t->plat, name, (len - 5) * 8 + 3));
    restart(t);
    assert_int_equal(sigil_fw_refused_blobs(t->fw), 1);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OBJECT_INVALID);
    /* The refused blob stays on disk for inspection. */
    assert_non_null(fake_platform_blob(t->plat, name, &len));
}

static sigil_audit_rec trail[256]; /* the trail as read back by read_trail */

/* Creates a seal as the administrator (logged in here if not yet); returns its slot. */
static uint32_t create_seal(tfw *t, const char *label, sigil_status want)
{
    sigil_wr *w = body();
    wr_pin(w, ADMIN_PIN);
    sigil_status st = tfw_call(t, SIGIL_OP_ADMIN_LOGIN, w, NULL);
    assert_true(st == SIGIL_ST_OK || st == SIGIL_ST_ALREADY_LOGGED_IN);
    w = body();
    sigil_wr_str(w, label);
    wr_pin(w, SO_PIN);
    wr_pin(w, USER_PIN);
    sigil_rd r;
    assert_int_equal(tfw_call(t, SIGIL_OP_SEAL_CREATE, w, &r), want);
    return want == SIGIL_ST_OK ? sigil_rd_u32(&r) : UINT32_MAX;
}

/* A damaged seal record costs that seal only: the appliance starts and serves the
 * others, the slot is not handed out again, and its keys stay on disk. */
static void test_damaged_seal_record_costs_that_seal(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv;
    uint8_t sig[512], d[32] = {1};
    size_t n, len;
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    assert_int_equal(create_seal(t, "seal-b", SIGIL_ST_OK), 1);
    assert_non_null(fake_platform_blob(t->plat, "token-0001", &len));
    assert_true(fake_platform_flip_bit(t->plat, "token-0001", (len - 3) * 8 + 1));
    restart(t);
    assert_int_equal(sigil_fw_refused_blobs(t->fw), 1);
    /* Slot 0 signs as before. */
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
    /* Slot 1 serves nobody, and a new seal goes to slot 2. */
    assert_int_equal(login(t, 1, SIGIL_USER_USER, USER_PIN), SIGIL_ST_TOKEN_NOT_INITIALIZED);
    assert_int_equal(create_seal(t, "seal-c", SIGIL_ST_OK), 2);
    /* The damaged record stays for inspection or a restore. */
    assert_non_null(fake_platform_blob(t->plat, "token-0001", &len));
    /* The start recorded the refusal. */
    bool clean;
    size_t nrec = read_trail(t, trail, 256, &clean);
    bool refused = false;
    for (size_t i = 0; i < nrec; i++)
        refused |= trail[i].event == SIGIL_AUDIT_EV_REFUSED_BLOB;
    assert_true(refused);
}

static void test_swapped_blob_refused(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub1, priv1, pub2, priv2;
    uint8_t sig[512], d[32] = {1};
    size_t n, len;
    char a[64], b[64];
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub1, &priv1, SIGIL_ST_OK);
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub2, &priv2, SIGIL_ST_OK);
    snprintf(a, sizeof(a), "obj-0000-%08x", priv1.handle);
    snprintf(b, sizeof(b), "obj-0000-%08x", priv2.handle);
    /* Put key 1's valid blob under key 2's name: valid ciphertext, wrong identity. */
    const uint8_t *blob = fake_platform_blob(t->plat, a, &len);
    uint8_t *copy = malloc(len);
    memcpy(copy, blob, len);
    fake_platform_set_blob(t->plat, b, copy, len);
    free(copy);
    restart(t);
    assert_int_equal(sigil_fw_refused_blobs(t->fw), 1);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv2.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OBJECT_INVALID);
    assert_int_equal(sign(t, priv1.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
    assert_true(ec_verify(&pub1, d, sig, n));
}

static void test_pin_lockout_survives_restart(void **state)
{
    tfw *t = *state;
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_LOGOUT, w, NULL), SIGIL_ST_OK);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, "wrong-1"), SIGIL_ST_PIN_INCORRECT);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, "wrong-2"), SIGIL_ST_PIN_INCORRECT);
    restart(t);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, "wrong-3"), SIGIL_ST_PIN_INCORRECT);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, "wrong-4"), SIGIL_ST_PIN_INCORRECT);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, "wrong-5"), SIGIL_ST_PIN_LOCKED);
    restart(t);
    /* Locked: even the right PIN is refused, and the flag says so. */
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_PIN_LOCKED);
    w = body();
    sigil_wr_u32(w, 0);
    sigil_rd r;
    assert_int_equal(tfw_call(t, SIGIL_OP_TOKEN_INFO, w, &r), SIGIL_ST_OK);
    assert_true(sigil_rd_u32(&r) & SIGIL_TOKEN_USER_PIN_LOCKED);
    /* The SO unlocks it by setting a new user PIN. */
    assert_int_equal(login(t, 0, SIGIL_USER_SO, SO_PIN), SIGIL_ST_OK);
    w = body();
    sigil_wr_u32(w, 0);
    wr_pin(w, "fresh-user-pin");
    assert_int_equal(tfw_call(t, SIGIL_OP_INIT_PIN, w, NULL), SIGIL_ST_OK);
    w = body();
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_LOGOUT, w, NULL), SIGIL_ST_OK);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, "fresh-user-pin"), SIGIL_ST_OK);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, "fresh-user-pin"), SIGIL_ST_ALREADY_LOGGED_IN);
}

static void test_counter_written_before_check(void **state)
{
    tfw *t = *state;
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_LOGOUT, w, NULL), SIGIL_ST_OK);
    /* If the decremented counter cannot be stored, the PIN is not even compared. (Write 1
     * is the login's INTENT record, write 2 the counter.) */
    fake_platform_fail_write_after(t->plat, 2);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_STORAGE_FAILURE);
    w = body();
    sigil_wr_u32(w, 0);
    sigil_rd r;
    assert_int_equal(tfw_call(t, SIGIL_OP_TOKEN_INFO, w, &r), SIGIL_ST_OK);
    char s[40];
    (void)sigil_rd_u32(&r);       /* flags */
    sigil_rd_str(&r, s, 32);      /* label */
    sigil_rd_str(&r, s, 16);      /* serial */
    (void)sigil_rd_u32(&r);       /* objects */
    assert_int_equal(sigil_rd_u32(&r), SIGIL_LOGIN_NONE);
    assert_int_equal(sigil_rd_u32(&r), SIGIL_FW_DEFAULT_PIN_TRIES); /* nothing spent */
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
}

static void test_keygen_storage_fault_leaves_nothing(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv;
    size_t before = fake_platform_blob_count(t->plat);
    /* Writes: the INTENT record, appliance record (handle reservation), private blob,
     * public blob. */
    fake_platform_fail_write_after(t->plat, 4);
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_STORAGE_FAILURE);
    assert_int_equal(fake_platform_blob_count(t->plat), before);
    fake_platform_tear_write_after(t->plat, 3);
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_STORAGE_FAILURE);
    restart(t);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    sigil_rd r;
    assert_int_equal(tfw_call(t, SIGIL_OP_OBJECT_LIST, w, &r), SIGIL_ST_OK);
    assert_int_equal(sigil_rd_u32(&r), 0);
}

static void test_malformed_frames(void **state)
{
    tfw *t = *state;
    uint8_t frame[64];
    /* Truncated body field, leftover bytes, lying lengths: BAD_FRAME, connection kept. */
    sigil_wr *w = body();
    sigil_wr_u16(w, 0); /* TOKEN_INFO wants a u32 */
    assert_int_equal(tfw_call(t, SIGIL_OP_TOKEN_INFO, w, NULL), SIGIL_ST_BAD_FRAME);
    assert_false(t->closed);
    w = body();
    sigil_wr_u32(w, 0);
    sigil_wr_u8(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_TOKEN_INFO, w, NULL), SIGIL_ST_BAD_FRAME);
    w = body();
    sigil_wr_u32(w, 0);
    sigil_wr_u32(w, 1);
    sigil_wr_u32(w, 0xFFFFFFFFu); /* PIN length that lies */
    assert_int_equal(tfw_call(t, SIGIL_OP_LOGIN, w, NULL), SIGIL_ST_BAD_FRAME);
    assert_int_equal(tfw_call(t, 0x7777, NULL, NULL), SIGIL_ST_UNKNOWN_OPCODE);
    assert_false(t->closed);
    /* Framing errors close the connection. */
    sigil_frame_hdr h = {.body_len = 0, .version = 9, .kind = SIGIL_KIND_REQUEST, .opcode = SIGIL_OP_INFO, .request_id = 5};
    sigil_frame_hdr_encode(&h, frame);
    assert_int_equal(tfw_raw(t, frame, SIGIL_FRAME_HDR_LEN), SIGIL_ST_BAD_VERSION);
    assert_true(t->closed);
    h.version = SIGIL_PROTO_VERSION;
    h.body_len = 10; /* says 10, carries 0 */
    sigil_frame_hdr_encode(&h, frame);
    assert_int_equal(tfw_raw(t, frame, SIGIL_FRAME_HDR_LEN), SIGIL_ST_BAD_FRAME);
    h.body_len = SIGIL_FRAME_MAX_BODY + 1;
    sigil_frame_hdr_encode(&h, frame);
    assert_int_equal(tfw_raw(t, frame, SIGIL_FRAME_HDR_LEN), SIGIL_ST_FRAME_TOO_LARGE);
    h.body_len = 0;
    h.kind = SIGIL_KIND_RESPONSE;
    sigil_frame_hdr_encode(&h, frame);
    assert_int_equal(tfw_raw(t, frame, SIGIL_FRAME_HDR_LEN), SIGIL_ST_BAD_FRAME);
    assert_int_equal(tfw_raw(t, frame, 3), SIGIL_ST_BAD_FRAME);
    /* Short PINs are refused before anything is stored. */
    assert_int_equal(login(t, 0, SIGIL_USER_SO, "12"), SIGIL_ST_ANOTHER_USER_LOGGED_IN);
    w = body();
    sigil_wr_u32(w, 1);
    wr_pin(w, "12");
    sigil_wr_str(w, "lbl");
    assert_int_equal(tfw_call(t, SIGIL_OP_INIT_TOKEN, w, NULL), SIGIL_ST_PIN_LEN_RANGE);
}

static void test_init_token_and_seal_slots(void **state)
{
    tfw *t = *state;
    sigil_wr *w = body();
    /* C_InitToken on a free slot makes a seal there. */
    sigil_wr_u32(w, 3);
    wr_pin(w, "so-of-three");
    sigil_wr_str(w, "three");
    assert_int_equal(tfw_call(t, SIGIL_OP_INIT_TOKEN, w, NULL), SIGIL_ST_OK);
    /* Re-initialising needs the SO PIN; a wrong one is counted. */
    w = body();
    sigil_wr_u32(w, 3);
    wr_pin(w, "not-the-so");
    sigil_wr_str(w, "three");
    assert_int_equal(tfw_call(t, SIGIL_OP_INIT_TOKEN, w, NULL), SIGIL_ST_PIN_INCORRECT);
    /* A slot somebody is logged in to cannot be re-initialised. */
    w = body();
    sigil_wr_u32(w, 0);
    wr_pin(w, SO_PIN);
    sigil_wr_str(w, "again");
    assert_int_equal(tfw_call(t, SIGIL_OP_INIT_TOKEN, w, NULL), SIGIL_ST_SLOT_IN_USE);
    /* The administrator can close C_InitToken on free slots: only SEAL_CREATE then. */
    w = body();
    sigil_wr_u8(w, 1);
    sigil_wr_u8(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_APPLIANCE_CONFIG, w, NULL), SIGIL_ST_OK);
    w = body();
    sigil_wr_u32(w, 6);
    wr_pin(w, "so-of-six");
    sigil_wr_str(w, "six");
    assert_int_equal(tfw_call(t, SIGIL_OP_INIT_TOKEN, w, NULL), SIGIL_ST_NOT_AUTHORIZED);
    restart(t); /* the setting persists */
    w = body();
    sigil_wr_u32(w, 6);
    wr_pin(w, "so-of-six");
    sigil_wr_str(w, "six");
    assert_int_equal(tfw_call(t, SIGIL_OP_INIT_TOKEN, w, NULL), SIGIL_ST_NOT_AUTHORIZED);
    w = body();
    wr_pin(w, ADMIN_PIN);
    assert_int_equal(tfw_call(t, SIGIL_OP_ADMIN_LOGIN, w, NULL), SIGIL_ST_OK);
    w = body();
    sigil_wr_u8(w, 1);
    sigil_wr_u8(w, 1);
    assert_int_equal(tfw_call(t, SIGIL_OP_APPLIANCE_CONFIG, w, NULL), SIGIL_ST_OK);
    /* A label is one printable line (it goes into signed attestation statements). */
    w = body();
    sigil_wr_u32(w, 5);
    wr_pin(w, "so-of-five");
    sigil_wr_str(w, "five\nextractable: yes");
    assert_int_equal(tfw_call(t, SIGIL_OP_INIT_TOKEN, w, NULL), SIGIL_ST_BAD_ARGUMENT);
    w = body();
    sigil_wr_str(w, "tab\there");
    wr_pin(w, SO_PIN);
    wr_pin(w, USER_PIN);
    assert_int_equal(tfw_call(t, SIGIL_OP_SEAL_CREATE, w, NULL), SIGIL_ST_BAD_ARGUMENT);
    /* The next SEAL_CREATE takes the lowest free slot, 1. */
    w = body();
    sigil_wr_str(w, "seal-b");
    wr_pin(w, SO_PIN);
    wr_pin(w, USER_PIN);
    sigil_rd r;
    assert_int_equal(tfw_call(t, SIGIL_OP_SEAL_CREATE, w, &r), SIGIL_ST_OK);
    assert_int_equal(sigil_rd_u32(&r), 1);
    restart(t);
    assert_int_equal(tfw_call(t, SIGIL_OP_SLOT_LIST, NULL, &r), SIGIL_ST_OK);
    uint32_t n = sigil_rd_u32(&r);
    assert_int_equal(n, SIGIL_FW_DEFAULT_SLOTS);
    const char *want[] = {"seal-a", "seal-b", "", "three"};
    for (uint32_t i = 0; i < 4; i++) {
        char label[40];
        assert_int_equal(sigil_rd_u32(&r), i);
        uint32_t flags = sigil_rd_u32(&r);
        sigil_rd_str(&r, label, 32);
        assert_string_equal(label, want[i]);
        assert_int_equal((flags & SIGIL_TOKEN_INITIALIZED) != 0, want[i][0] != '\0');
    }
}



static void test_audit_every_signature(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv;
    uint8_t sig[512], d[32] = {9, 9, 9};
    size_t n;
    bool clean;
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    for (int i = 0; i < 5; i++) {
        d[31] = (uint8_t)i;
        assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
    }
    size_t count = read_trail(t, trail, 256, &clean);
    assert_true(clean);
    /* DEVICE_START, then APPLIANCE_INIT, ADMIN_LOGIN, SEAL_CREATE, LOGIN and GENERATE_KEYPAIR,
     * each after its INTENT record (write-ahead: data = the opcode), then 5 x SIGN (no
     * intent: a signature leaves the device only after its record). */
    assert_int_equal(count, 16);
    assert_int_equal(trail[0].event, SIGIL_AUDIT_EV_DEVICE_START);
    const uint16_t ops[] = {SIGIL_OP_APPLIANCE_INIT, SIGIL_OP_ADMIN_LOGIN, SIGIL_OP_SEAL_CREATE, SIGIL_OP_LOGIN,
                            SIGIL_OP_GENERATE_KEYPAIR};
    for (int i = 0; i < 5; i++) {
        const sigil_audit_rec *in = &trail[1 + 2 * i], *out = &trail[2 + 2 * i];
        assert_int_equal(in->event, SIGIL_AUDIT_EV_INTENT);
        assert_int_equal(in->data_len, 2);
        assert_int_equal(in->data[0] << 8 | in->data[1], ops[i]);
        assert_int_equal(in->ctx, out->ctx);
        assert_int_equal(out->event, ops[i]);
        assert_int_equal(out->status, SIGIL_ST_OK);
    }
    assert_int_equal(trail[5].slot, SIGIL_AUDIT_NO_SLOT); /* SEAL_CREATE: the slot is chosen after */
    assert_int_equal(trail[7].slot, 0);                   /* LOGIN names its seal */
    assert_int_equal(trail[8].role, SIGIL_AUDIT_ROLE_SEAL_USER);
    assert_int_equal(trail[9].slot, 0);
    assert_int_equal(trail[9].role, SIGIL_AUDIT_ROLE_SEAL_USER);
    assert_int_equal(trail[10].handle, priv.handle);
    for (int i = 0; i < 5; i++) {
        sigil_audit_rec *r = &trail[11 + i];
        uint8_t want[32];
        d[31] = (uint8_t)i;
        SHA256(d, 32, want);
        assert_int_equal(r->event, SIGIL_OP_SIGN);
        assert_int_equal(r->status, SIGIL_ST_OK);
        assert_int_equal(r->slot, 0);
        assert_int_equal(r->handle, priv.handle);
        assert_int_equal(r->mech, SIGIL_MECH_ECDSA);
        assert_int_equal(r->data_len, 32);
        assert_memory_equal(r->data, want, 32);
        assert_int_not_equal(r->ctx, 0);
    }
    /* A refusal is audited too. */
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_LOGOUT, w, NULL), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_NOT_LOGGED_IN);
    count = read_trail(t, trail, 256, &clean);
    assert_true(clean);
    assert_int_equal(trail[count - 1].event, SIGIL_OP_SIGN);
    assert_int_equal(trail[count - 1].status, SIGIL_ST_NOT_LOGGED_IN);
    assert_int_equal(trail[count - 1].slot, 0);
}

static void test_audit_fail_closed(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv;
    uint8_t sig[512], d[32] = {1};
    size_t n;
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    /* The first signature reserves a block of the usage counter in storage. */
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
    /* The next write is the SIGN record: it fails, so does the signature. */
    fake_platform_fail_write_after(t->plat, 1);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_AUDIT_FAILURE);
    /* And every audited command after it, though storage works again. */
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_AUDIT_FAILURE);
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_AUDIT_FAILURE);
    /* A restart with a writable trail serves again. */
    restart(t);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
}

/* A SIGN frame for key handle over d (ECDSA), request id rid. */
static size_t sign_frame(uint8_t *frame, size_t cap, uint32_t handle, const uint8_t *d, size_t n, uint32_t rid)
{
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    sigil_wr_u32(w, handle);
    sigil_wr_u8(w, SIGIL_MECH_ECDSA);
    sigil_wr_u8(w, 0);
    sigil_wr_u32(w, 0);
    sigil_wr_bytes(w, d, n);
    sigil_frame_hdr h = {.body_len = (uint32_t)w->len, .version = SIGIL_PROTO_VERSION,
                         .kind = SIGIL_KIND_REQUEST, .opcode = SIGIL_OP_SIGN, .request_id = rid};
    assert_true(SIGIL_FRAME_HDR_LEN + w->len <= cap);
    sigil_frame_hdr_encode(&h, frame);
    memcpy(frame + SIGIL_FRAME_HDR_LEN, w->buf, w->len);
    return SIGIL_FRAME_HDR_LEN + w->len;
}

/* The two-step path a server uses to answer many requests at once: a response waits
 * for its audit position, and is refused (no signature released) when the trail could
 * not make it durable. */
static void test_deferred_responses_wait_for_the_trail(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv;
    uint8_t sig[512], d[32] = {7}, frame[256];
    size_t n;
    bool close_conn;
    uint64_t upto1 = 0, upto2 = 0;
    sigil_frame_hdr h;
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
    bool clean;
    size_t before = read_trail(t, trail, 256, &clean);

    /* Two signatures queued: each answer names a later position; nothing written yet. */
    uint8_t *r1 = t->resp, *r2 = t->resp + 4096;
    n = sign_frame(frame, sizeof(frame), priv.handle, d, 32, 901);
    size_t l1 = sigil_fw_handle_queued(t->fw, t->conn, frame, n, r1, 4096, &close_conn, &upto1);
    n = sign_frame(frame, sizeof(frame), priv.handle, d, 32, 902);
    size_t l2 = sigil_fw_handle_queued(t->fw, t->conn, frame, n, r2, SIGIL_FW_RESP_CAP - 4096, &close_conn, &upto2);
    assert_true(upto1 > 0 && upto2 > upto1);
    assert_int_equal(read_trail(t, trail, 256, &clean), before); /* queued, not written */
    assert_int_equal(sigil_frame_hdr_decode(r2, SIGIL_FRAME_MAX_BODY, &h), SIGIL_ST_OK);
    assert_int_equal(h.status, SIGIL_ST_OK);
    /* One sync for both. */
    assert_int_equal(sigil_fw_audit_sync(t->fw, upto2), SIGIL_ST_OK);
    assert_int_equal(read_trail(t, trail, 256, &clean), before + 2);
    assert_int_equal(trail[before].event, SIGIL_OP_SIGN);
    assert_int_equal(trail[before + 1].event, SIGIL_OP_SIGN);
    assert_int_equal(sigil_fw_audit_sync(t->fw, upto1), SIGIL_ST_OK);
    assert_int_equal(sigil_fw_audit_sync(t->fw, 0), SIGIL_ST_OK); /* nothing to wait for */
    assert_true(l1 > SIGIL_FRAME_HDR_LEN && l2 > SIGIL_FRAME_HDR_LEN);

    /* The next append fails: the queued signature must not leave the device. */
    n = sign_frame(frame, sizeof(frame), priv.handle, d, 32, 903);
    l1 = sigil_fw_handle_queued(t->fw, t->conn, frame, n, r1, SIGIL_FW_RESP_CAP, &close_conn, &upto1);
    assert_true(l1 > SIGIL_FRAME_HDR_LEN && upto1 > 0);
    fake_platform_fail_write_after(t->plat, 1);
    assert_int_equal(sigil_fw_audit_sync(t->fw, upto1), SIGIL_ST_AUDIT_FAILURE);
    size_t l = sigil_fw_response_refused(r1, l1, SIGIL_ST_AUDIT_FAILURE);
    assert_int_equal(l, SIGIL_FRAME_HDR_LEN);
    assert_int_equal(sigil_frame_hdr_decode(r1, SIGIL_FRAME_MAX_BODY, &h), SIGIL_ST_OK);
    assert_int_equal(h.status, SIGIL_ST_AUDIT_FAILURE);
    assert_int_equal(h.body_len, 0);
    assert_int_equal(h.request_id, 903);
    for (size_t i = SIGIL_FRAME_HDR_LEN; i < l1; i++)
        assert_int_equal(r1[i], 0); /* the signature is wiped */
    /* An answer that is already a refusal is kept as it is. */
    assert_int_equal(sigil_fw_response_refused(r1, l, SIGIL_ST_GENERAL_ERROR), l);
    assert_int_equal(sigil_frame_hdr_decode(r1, SIGIL_FRAME_MAX_BODY, &h), SIGIL_ST_OK);
    assert_int_equal(h.status, SIGIL_ST_AUDIT_FAILURE);
}

static void test_audit_torn_tail_reported(void **state)
{
    tfw *t = *state;
    bool clean;
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    /* The LOGOUT record is torn half-way by a crash. */
    fake_platform_tear_write_after(t->plat, 1);
    assert_int_equal(tfw_call(t, SIGIL_OP_LOGOUT, w, NULL), SIGIL_ST_AUDIT_FAILURE);
    size_t before = read_trail(t, trail, 256, &clean);
    assert_false(clean);
    restart(t);
    size_t after = read_trail(t, trail, 256, &clean);
    assert_true(clean);
    /* The torn bytes were set aside and the trail says so, then the start. */
    assert_int_equal(after, before + 2);
    assert_int_equal(trail[before].event, SIGIL_AUDIT_EV_TORN_TAIL);
    assert_int_equal(trail[before + 1].event, SIGIL_AUDIT_EV_DEVICE_START);
    bool found = false;
    for (size_t i = 0; i < fake_platform_blob_count(t->plat); i++)
        found |= strncmp(fake_platform_blob_name(t->plat, i), "audit-torn-", 11) == 0;
    assert_true(found);
}

static void test_audit_edit_refuses_start(void **state)
{
    tfw *t = *state;
    size_t len = 0;
    assert_non_null(fake_platform_blob(t->plat, "audit.log", &len));
    /* Flip one bit inside the second record's body. */
    assert_true(fake_platform_flip_bit(t->plat, "audit.log", (SIGIL_AUDIT_RECORD_MAX / 2 + 150) * 8));
    tfw_close(t);
    sigil_fw_config cfg;
    sigil_fw_config_default(&cfg);
    char err[300] = "";
    assert_int_equal(sigil_fw_open(t->plat, &cfg, &t->fw, err, sizeof(err)), SIGIL_ST_INTEGRITY_FAILURE);
    assert_non_null(strstr(err, "audit trail fails verification"));
    /* teardown needs a device: give it a fresh one on new storage */
    fake_platform_free(t->plat);
    t->plat = fake_platform_new(7);
    tfw_open(t);
}

static void test_objects_create_and_set(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv, cert, got;
    sigil_rd r;
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    /* A certificate: opaque attributes kept as given. */
    memset(&cert, 0, sizeof(cert));
    cert.obj_class = SIGIL_CLASS_CERTIFICATE;
    cert.id_len = 2;
    memcpy(cert.id, "\x01\x02", 2);
    snprintf(cert.label, sizeof(cert.label), "cert");
    cert.attrs_len = 3000;
    for (size_t i = 0; i < cert.attrs_len; i++)
        cert.attrs[i] = (uint8_t)(i * 31u);
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    sigil_obj_record_write(w, &cert);
    assert_int_equal(tfw_call(t, SIGIL_OP_CREATE_OBJECT, w, &r), SIGIL_ST_OK);
    sigil_obj_record_read(&r, &got);
    assert_true(sigil_rd_done(&r));
    assert_true(got.handle > priv.handle);
    assert_int_equal(got.attrs_len, 3000);
    uint32_t cert_handle = got.handle;
    /* No plaintext private key import, no fake "generated on the device" keys. */
    sigil_obj_record bad = pub;
    bad.obj_class = SIGIL_CLASS_PRIVATE_KEY;
    w = body();
    sigil_wr_u32(w, 0);
    sigil_obj_record_write(w, &bad);
    assert_int_equal(tfw_call(t, SIGIL_OP_CREATE_OBJECT, w, NULL), SIGIL_ST_TEMPLATE_INCONSISTENT);
    bad = pub;
    w = body();
    sigil_wr_u32(w, 0);
    sigil_obj_record_write(w, &bad); /* carries the LOCAL flag */
    assert_int_equal(tfw_call(t, SIGIL_OP_CREATE_OBJECT, w, NULL), SIGIL_ST_TEMPLATE_INCONSISTENT);
    /* Relabel the private key and give it a new id; the key still signs after a restart. */
    w = body();
    sigil_wr_u32(w, 0);
    sigil_wr_u32(w, priv.handle);
    sigil_wr_u8(w, SIGIL_SET_LABEL | SIGIL_SET_ID);
    sigil_wr_str(w, "renamed");
    sigil_wr_bytes(w, (const uint8_t *)"\xAA", 1);
    sigil_wr_bytes(w, NULL, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_SET_OBJECT, w, &r), SIGIL_ST_OK);
    sigil_obj_record_read(&r, &got);
    assert_string_equal(got.label, "renamed");
    /* Attributes of keys are not opaque: refused. */
    w = body();
    sigil_wr_u32(w, 0);
    sigil_wr_u32(w, priv.handle);
    sigil_wr_u8(w, SIGIL_SET_ATTRS);
    sigil_wr_str(w, "");
    sigil_wr_bytes(w, NULL, 0);
    sigil_wr_bytes(w, (const uint8_t *)"x", 1);
    assert_int_equal(tfw_call(t, SIGIL_OP_SET_OBJECT, w, NULL), SIGIL_ST_TEMPLATE_INCONSISTENT);
    restart(t);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
    w = body();
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_OBJECT_LIST, w, &r), SIGIL_ST_OK);
    uint32_t n = sigil_rd_u32(&r);
    assert_int_equal(n, 3);
    bool saw_cert = false, saw_priv = false;
    for (uint32_t i = 0; i < n; i++) {
        sigil_obj_record_read(&r, &got);
        if (got.handle == cert_handle) {
            saw_cert = true;
            assert_int_equal(got.attrs_len, 3000);
            assert_memory_equal(got.attrs, cert.attrs, 3000);
        }
        if (got.handle == priv.handle) {
            saw_priv = true;
            assert_string_equal(got.label, "renamed");
            assert_int_equal(got.id_len, 1);
        }
    }
    assert_true(saw_cert && saw_priv);
    uint8_t d[32] = {3}, sig[512];
    size_t sl;
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &sl), SIGIL_ST_OK);
    assert_true(ec_verify(&pub, d, sig, sl));
}

static void test_object_budget(void **state)
{
    tfw *t = *state;
    sigil_obj_record big;
    memset(&big, 0, sizeof(big));
    big.obj_class = SIGIL_CLASS_DATA;
    big.attrs_len = SIGIL_OBJ_ATTRS_MAX;
    sigil_status st = SIGIL_ST_OK;
    int made = 0;
    static uint8_t frame[SIGIL_OBJ_ATTRS_MAX + 1024];
    while (st == SIGIL_ST_OK && made < 200) {
        sigil_wr w;
        sigil_wr_init(&w, frame, sizeof(frame));
        sigil_wr_u32(&w, 0);
        sigil_obj_record_write(&w, &big);
        uint8_t req[SIGIL_FRAME_HDR_LEN + sizeof(frame)];
        sigil_frame_hdr h = {.body_len = (uint32_t)w.len, .version = 1, .kind = SIGIL_KIND_REQUEST,
                             .opcode = SIGIL_OP_CREATE_OBJECT, .request_id = 1};
        sigil_frame_hdr_encode(&h, req);
        memcpy(req + SIGIL_FRAME_HDR_LEN, frame, w.len);
        st = tfw_raw(t, req, SIGIL_FRAME_HDR_LEN + w.len);
        made += st == SIGIL_ST_OK;
    }
    /* 768 KiB of records: about 93 objects of 8 KiB, then a clear refusal. */
    assert_int_equal(st, SIGIL_ST_OBJECT_LIMIT);
    assert_true(made > 80 && made < 100);
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_OBJECT_LIST, w, NULL), SIGIL_ST_OK);
}

static sigil_status policy_set(tfw *t, uint8_t mode, uint32_t max_sigs, uint32_t max_secs, uint32_t mechs,
                               uint64_t nb, uint64_t na)
{
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    sigil_wr_u8(w, mode);
    sigil_wr_u32(w, max_sigs);
    sigil_wr_u32(w, max_secs);
    sigil_wr_u32(w, mechs);
    sigil_wr_u64(w, nb);
    sigil_wr_u64(w, na);
    return tfw_call(t, SIGIL_OP_POLICY_SET, w, NULL);
}

static sigil_status policy_set_mode(tfw *t, uint8_t mode, uint32_t max_sigs)
{
    return policy_set(t, mode, max_sigs, 0, 0, 0, 0);
}

static sigil_status seal_state(tfw *t, uint8_t state)
{
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    sigil_wr_u8(w, state);
    return tfw_call(t, SIGIL_OP_SEAL_STATE, w, NULL);
}

static uint64_t sig_count(tfw *t)
{
    sigil_wr *w = body();
    sigil_rd r;
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_POLICY_GET, w, &r), SIGIL_ST_OK);
    for (int i = 0; i < 2; i++)
        (void)sigil_rd_u8(&r);
    for (int i = 0; i < 3; i++)
        (void)sigil_rd_u32(&r);
    (void)sigil_rd_u64(&r);
    (void)sigil_rd_u64(&r);
    uint64_t n = sigil_rd_u64(&r);
    assert_true(sigil_rd_done(&r));
    return n;
}

static void test_policy_session_budget(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv;
    uint8_t sig[512], d[32] = {5};
    size_t n;
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    assert_int_equal(policy_set(t, SIGIL_POLICY_SESSION, 3, 0, 0, 0, 0), SIGIL_ST_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
    /* Budget spent: refused, and the login is over. */
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_NOT_LOGGED_IN);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
    /* Time budget. */
    assert_int_equal(policy_set(t, SIGIL_POLICY_SESSION, 0, 10, 0, 0, 0), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
    fake_platform_advance_ms(t->plat, 10001);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_NOT_LOGGED_IN);
    /* The counter survives restarts and never goes back. */
    uint64_t before = sig_count(t);
    assert_int_equal(before, 5);
    restart(t);
    assert_true(sig_count(t) >= before);
}

static void test_policy_per_signature(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv, got;
    uint8_t sig[512], d[32] = {6};
    size_t n;
    sigil_rd r;
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    assert_int_equal(policy_set(t, SIGIL_POLICY_PER_SIGNATURE, 0, 0, 0, 0, 0), SIGIL_ST_OK);
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_OBJECT_LIST, w, &r), SIGIL_ST_OK);
    uint32_t count = sigil_rd_u32(&r);
    for (uint32_t i = 0; i < count; i++) {
        sigil_obj_record_read(&r, &got);
        if (got.obj_class == SIGIL_CLASS_PRIVATE_KEY)
            assert_true(got.flags & SIGIL_OBJ_ALWAYS_AUTH);
    }
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_NOT_LOGGED_IN);
    assert_int_equal(login(t, 0, SIGIL_USER_CONTEXT, "wrong-pin"), SIGIL_ST_PIN_INCORRECT);
    assert_int_equal(login(t, 0, SIGIL_USER_CONTEXT, USER_PIN), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
    assert_true(ec_verify(&pub, d, sig, n));
    /* One context login, one signature. */
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_NOT_LOGGED_IN);
}

static void test_policy_mechanism_and_window(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv;
    uint8_t sig[512], d[32] = {7};
    size_t n;
    keygen(t, SIGIL_KEYTYPE_RSA, 2048, &pub, &priv, SIGIL_ST_OK);
    assert_int_equal(policy_set(t, SIGIL_POLICY_SESSION, 0, 0, SIGIL_MECH_BIT(SIGIL_MECH_RSA_PSS), 0, 0), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_RSA_PKCS, d, 32, sig, &n), SIGIL_ST_MECHANISM_NOT_ALLOWED);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_RSA_PSS, d, 32, sig, &n), SIGIL_ST_OK);
    /* The fake clock stands at 1700000000. */
    assert_int_equal(policy_set(t, SIGIL_POLICY_SESSION, 0, 0, 0, 1700000100, 1800000000), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_RSA_PKCS, d, 32, sig, &n), SIGIL_ST_OUTSIDE_VALIDITY);
    fake_platform_advance_ms(t->plat, 200000);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_RSA_PKCS, d, 32, sig, &n), SIGIL_ST_OK);
    assert_int_equal(policy_set(t, SIGIL_POLICY_SESSION, 0, 0, 0, 1800000000, 1700000000), SIGIL_ST_BAD_ARGUMENT);
    /* Only the administrator sets policy. */
    assert_int_equal(tfw_call(t, SIGIL_OP_ADMIN_LOGOUT, NULL, NULL), SIGIL_ST_OK);
    assert_int_equal(policy_set(t, SIGIL_POLICY_SESSION, 0, 0, 0, 0, 0), SIGIL_ST_NOT_LOGGED_IN);
    assert_int_equal(seal_state(t, SIGIL_SEAL_SUSPENDED), SIGIL_ST_NOT_LOGGED_IN);
}

static void test_seal_suspend_and_revoke(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv;
    uint8_t sig[512], d[32] = {8};
    size_t n;
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    assert_int_equal(seal_state(t, SIGIL_SEAL_SUSPENDED), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_SEAL_SUSPENDED);
    restart(t);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_SEAL_SUSPENDED);
    sigil_wr *w = body();
    wr_pin(w, ADMIN_PIN);
    assert_int_equal(tfw_call(t, SIGIL_OP_ADMIN_LOGIN, w, NULL), SIGIL_ST_OK);
    assert_int_equal(seal_state(t, SIGIL_SEAL_ACTIVE), SIGIL_ST_OK);
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OK);
    /* Revocation destroys the key, for good. */
    char name[64];
    snprintf(name, sizeof(name), "obj-0000-%08x", priv.handle);
    size_t len;
    assert_non_null(fake_platform_blob(t->plat, name, &len));
    assert_int_equal(seal_state(t, SIGIL_SEAL_REVOKED), SIGIL_ST_OK);
    assert_null(fake_platform_blob(t->plat, name, &len));
    assert_int_equal(sign(t, priv.handle, SIGIL_MECH_ECDSA, d, 32, sig, &n), SIGIL_ST_OBJECT_INVALID);
    assert_int_equal(seal_state(t, SIGIL_SEAL_ACTIVE), SIGIL_ST_SEAL_REVOKED);
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_SEAL_REVOKED);
    restart(t);
    w = body();
    wr_pin(w, ADMIN_PIN);
    assert_int_equal(tfw_call(t, SIGIL_OP_ADMIN_LOGIN, w, NULL), SIGIL_ST_OK);
    assert_int_equal(seal_state(t, SIGIL_SEAL_ACTIVE), SIGIL_ST_SEAL_REVOKED);
}

static sigil_status sign_batch(tfw *t, uint32_t handle, uint32_t count, uint8_t sigs[][64])
{
    static uint8_t req[SIGIL_FRAME_HDR_LEN + 64 * 1024];
    sigil_wr w;
    sigil_wr_init(&w, req + SIGIL_FRAME_HDR_LEN, sizeof(req) - SIGIL_FRAME_HDR_LEN);
    sigil_wr_u32(&w, 0);
    sigil_wr_u32(&w, handle);
    sigil_wr_u8(&w, SIGIL_MECH_ECDSA);
    sigil_wr_u8(&w, 0);
    sigil_wr_u32(&w, 0);
    sigil_wr_u32(&w, count);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t d[32];
        memset(d, (int)i, sizeof(d));
        sigil_wr_bytes(&w, d, sizeof(d));
    }
    sigil_frame_hdr h = {.body_len = (uint32_t)w.len, .version = 1, .kind = SIGIL_KIND_REQUEST,
                         .opcode = SIGIL_OP_SIGN_BATCH, .request_id = 5};
    sigil_frame_hdr_encode(&h, req);
    sigil_status st = tfw_raw(t, req, SIGIL_FRAME_HDR_LEN + w.len);
    if (st != SIGIL_ST_OK)
        return st;
    sigil_rd r;
    sigil_rd_init(&r, t->resp + SIGIL_FRAME_HDR_LEN, t->resp_len - SIGIL_FRAME_HDR_LEN);
    assert_int_equal(sigil_rd_u32(&r), count);
    for (uint32_t i = 0; i < count; i++) {
        size_t n;
        const uint8_t *p = sigil_rd_bytes(&r, 512, &n);
        assert_int_equal(n, 64);
        memcpy(sigs[i], p, 64);
    }
    assert_true(sigil_rd_done(&r));
    return st;
}

static void test_sign_batch(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv;
    static uint8_t sigs[16][64];
    bool clean;
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    size_t before = read_trail(t, trail, 256, &clean);
    assert_int_equal(sign_batch(t, priv.handle, 10, sigs), SIGIL_ST_OK);
    for (uint32_t i = 0; i < 10; i++) {
        uint8_t d[32];
        memset(d, (int)i, sizeof(d));
        assert_true(ec_verify(&pub, d, sigs[i], 64));
    }
    /* One audit record per signature, each with its digest. */
    size_t after = read_trail(t, trail, 256, &clean);
    assert_true(clean);
    assert_int_equal(after, before + 10);
    for (uint32_t i = 0; i < 10; i++) {
        uint8_t d[32], h[32];
        memset(d, (int)i, sizeof(d));
        SHA256(d, 32, h);
        assert_int_equal(trail[before + i].event, SIGIL_OP_SIGN_BATCH);
        assert_memory_equal(trail[before + i].data, h, 32);
    }
    /* A budget of 5: a batch of 10 is refused whole and spends nothing. */
    assert_int_equal(policy_set_mode(t, SIGIL_POLICY_SESSION, 5), SIGIL_ST_OK);
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_LOGOUT, w, NULL), SIGIL_ST_OK);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
    assert_int_equal(sign_batch(t, priv.handle, 10, sigs), SIGIL_ST_BUDGET_EXCEEDED);
    assert_int_equal(sign_batch(t, priv.handle, 5, sigs), SIGIL_ST_OK);
    assert_int_equal(sign_batch(t, priv.handle, 1, sigs), SIGIL_ST_NOT_LOGGED_IN);
    /* Per-signature: one context login per signature in the batch. */
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
    assert_int_equal(policy_set_mode(t, SIGIL_POLICY_PER_SIGNATURE, 0), SIGIL_ST_OK);
    assert_int_equal(login(t, 0, SIGIL_USER_CONTEXT, USER_PIN), SIGIL_ST_OK);
    assert_int_equal(login(t, 0, SIGIL_USER_CONTEXT, USER_PIN), SIGIL_ST_OK);
    assert_int_equal(sign_batch(t, priv.handle, 3, sigs), SIGIL_ST_NOT_LOGGED_IN);
    assert_int_equal(sign_batch(t, priv.handle, 2, sigs), SIGIL_ST_OK);
    assert_int_equal(sign_batch(t, priv.handle, 0, sigs), SIGIL_ST_DATA_LEN_RANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_handshake_required, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roles_enforced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_verify_and_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rsa_sign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_blob_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swapped_blob_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_seal_record_costs_that_seal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pin_lockout_survives_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counter_written_before_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keygen_storage_fault_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_token_and_seal_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_objects_create_and_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_object_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_session_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_per_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_mechanism_and_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_suspend_and_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_every_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_fail_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deferred_responses_wait_for_the_trail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_torn_tail_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_edit_refuses_start, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
