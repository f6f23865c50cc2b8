/* fuzz_firmware.c — the firmware request handler (sigil_fw_handle), in process,
 * over the fake platform (in-memory storage, deterministic entropy).
 *
 * Start-up (once, LLVMFuzzerInitialize): a fresh device with kdf_iterations 10,
 * then HELLO, APPLIANCE_INIT, ADMIN_LOGIN, SEAL_CREATE (slot 0, user PIN set),
 * LOGIN (user), GENERATE_KEYPAIR EC P-256 and GENERATE_KEYPAIR RSA-2048. The
 * storage is snapshotted. A "keeper" connection holds the application context,
 * so every input starts with the administrator and the slot-0 user logged in and
 * both key pairs present (handles FUZZ_FW_EC_PUB/PRIV, FUZZ_FW_RSA_PUB/PRIV).
 *
 * Input format: a sequence of frames, each preceded by a 2-byte big-endian prefix
 *     bit 15      send on connection B (else A)
 *     bit 14      fix up: overwrite the frame's body_len with (length - 16)
 *     bits 13..0  frame length (clipped to what is left of the input)
 * At most FUZZ_FW_MAX_FRAMES frames per input. Connection A has joined the
 * keeper's context (HELLO with the same token, done by the harness); connection
 * B is fresh (no HELLO). A connection the core asks to close is replaced by a
 * fresh one, as the transport would after reconnecting.
 *
 * Skipped frames: GENERATE_KEYPAIR with key_type RSA and a valid RSA size
 * (2048/3072/4096) is never passed to the core: RSA key generation takes ~0.1-2 s
 * and would bring exec/s to nothing. RSA signing is still fuzzed with the RSA key
 * from start-up; key_type RSA with any other size is passed (KEY_SIZE_RANGE).
 *
 * Checked for every response (FUZZ_CHECK aborts):
 *   - it is a well-formed response frame: header decodes, version 1, kind
 *     response, body_len = response length - 16, status a known status;
 *   - opcode and request id are those of the request (for a request of at least
 *     16 bytes; framing errors included — the header is decoded before refusing);
 *   - a status other than OK has an empty body; the core asks to close the
 *     connection only with BAD_FRAME, BAD_VERSION or FRAME_TOO_LARGE;
 *   - an OK response answers a request whose body decodes along the command's
 *     request layout, and its body decodes exactly along the response layout
 *     (fuzz_layout.c) and re-encodes to the same bytes;
 *   - per command: RANDOM returns the length asked, AUDIT_READ no more than asked;
 *     GENERATE_KEYPAIR a public and a sensitive private record of one pair;
 *     CREATE_OBJECT never a private key or a device-key flag; DEVICE_KEYS two
 *     uncompressed points; ATTEST a statement of exactly the lines the protocol
 *     lists, in order (so no field can inject a line), and a 64-byte signature.
 *
 * Bounded state: after an input that changed anything persistent or the keeper's
 * login state (a storage write or removal, a logout), the device is closed, the
 * storage snapshot restored and the device reopened and logged in again, so every
 * input starts from the same state; read-only inputs need no reset (see
 * restore_start_state). The power-up self-tests run for real once, at start-up;
 * the reopens of a reset reuse that result (link-time wrap below), since a reset
 * is a harness device, not a power-up, and the tests would take 80% of its time.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_platform.h"
#include "fuzz_layout.h"
#include "fuzz_target.h"
#include "sigil_fw.h"
#include "sigil_proto.h"

#define FUZZ_FW_SEED 0x5349474cu /* "SIGL" */
#define FUZZ_FW_MAX_FRAMES 64u
#define FUZZ_FW_MAX_LOG_BYTES (1024u * 1024u) /* audit trail growth before a reset */
#define FUZZ_FW_KDF_ITERATIONS 10u /* PIN KDF cost is not under test: keep logins cheap */
#define FUZZ_FW_ADMIN_PIN "admin-pin-1"
#define FUZZ_FW_SO_PIN "so-pin-1"
#define FUZZ_FW_USER_PIN "user-pin-1"
/* Handles the start-up key pairs get on a fresh device (checked at start-up). */
#define FUZZ_FW_EC_PUB 1u
#define FUZZ_FW_EC_PRIV 2u
#define FUZZ_FW_RSA_PUB 3u
#define FUZZ_FW_RSA_PRIV 4u

#define PREFIX_CONN_B 0x8000u
#define PREFIX_FIXUP 0x4000u
#define PREFIX_LEN_MASK 0x3fffu

static const uint8_t fuzz_fw_app_token[SIGIL_APP_TOKEN_LEN] = {0x53, 0x69, 0x67, 0x69, 0x6c, 0x2d, 0x66, 0x75,
                                                               0x7a, 0x7a, 0x2d, 0x74, 0x6f, 0x6b, 0x65, 0x6e};

typedef struct {
    char *name;
    uint8_t *data;
    size_t len;
} snap_blob;

static struct {
    bool ready;
    sigil_platform *plat;
    sigil_fw *fw;
    sigil_fw_conn *keeper; /* holds the logged-in application context */
    uint8_t *resp;         /* SIGIL_FW_RESP_CAP bytes */
    uint32_t next_id;
    snap_blob *snap; /* all blobs right after start-up: what a reset restores */
    size_t snap_n;
    snap_blob *base; /* blobs but the logs, as every input finds them */
    size_t base_n;
    uint8_t root[SIGIL_ROOT_SECRET_LEN]; /* the device's root secret, for resets after ZEROIZE */
    unsigned root_destroyed;             /* fake_platform_root_destroyed at the baseline */
    unsigned long resets, relogins;
    bool trace; /* FUZZ_FW_TRACE set: print every frame's opcode and status */
} g;

/* ---- self-test wrap ----------------------------------------------------------------
 * fuzz.cmake links this target with -Wl,--wrap=sigil_crypto_self_test: the core's
 * call lands here. The known-answer tests are deterministic and have no side
 * effects, so their first result stands for every later reopen. */
sigil_status __real_sigil_crypto_self_test(void);
sigil_status __wrap_sigil_crypto_self_test(void);

sigil_status __wrap_sigil_crypto_self_test(void)
{
    static bool done;
    static sigil_status result;
    if (!done) {
        result = __real_sigil_crypto_self_test();
        done = true;
    }
    return result;
}

/* ---- helpers ------------------------------------------------------------------ */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool status_known(uint32_t st)
{
    return strcmp(sigil_status_message((sigil_status)st), "unknown status") != 0;
}

/* An ATTEST statement is "one `name: value` line each" of these, in this order
 * (specs/protocol.md); the key's public values are ec-params/ec-point or
 * rsa-modulus/rsa-public-exponent. A value that spans lines (a label with a newline)
 * would let a caller add lines to a statement the device signs. */
static const char *const attest_names[] = {
    "device-serial", "firmware", "time", "slot", "seal-label", "key-handle", "key-type", "key-bits",
    NULL /* public values: two lines */, "generated-on-device", "sensitive", "extractable", "seal-state",
    "policy-mode", "policy-max-signatures-per-login", "policy-max-seconds-per-login", "policy-mechanisms",
    "policy-not-before", "policy-not-after"};

static bool line_is(const char *line, size_t len, const char *name, const char *value)
{
    size_t n = strlen(name);
    if (len < n + 2 || memcmp(line, name, n) != 0 || line[n] != ':' || line[n + 1] != ' ')
        return false;
    return value == NULL || (len == n + 2 + strlen(value) && memcmp(line + n + 2, value, len - n - 2) == 0);
}

static void check_statement(const uint8_t *stmt, size_t len)
{
    const char *p = (const char *)stmt, *end = p + len;
    const char *lines[32];
    size_t lens[32], n = 0;

    FUZZ_CHECK(len > 0 && p[len - 1] == '\n');
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        FUZZ_CHECK(nl != NULL && n < 32);
        lines[n] = p;
        lens[n++] = (size_t)(nl - p);
        p = nl + 1;
    }
    /* Header, 8 fields, 2 public-value lines, 10 fields. */
    FUZZ_CHECK(n == 1 + 8 + 2 + 10);
    FUZZ_CHECK(lens[0] == strlen("sigil-key-attestation-v1") &&
               memcmp(lines[0], "sigil-key-attestation-v1", lens[0]) == 0);
    bool ec = line_is(lines[7], lens[7], "key-type", "ec");
    FUZZ_CHECK(ec || line_is(lines[7], lens[7], "key-type", "rsa"));
    size_t li = 1;
    for (size_t k = 0; k < sizeof(attest_names) / sizeof(attest_names[0]); k++) {
        if (attest_names[k] == NULL) {
            FUZZ_CHECK(line_is(lines[li], lens[li], ec ? "ec-params" : "rsa-modulus", NULL));
            li++;
            FUZZ_CHECK(line_is(lines[li], lens[li], ec ? "ec-point" : "rsa-public-exponent", NULL));
            li++;
            continue;
        }
        FUZZ_CHECK(line_is(lines[li], lens[li], attest_names[k], NULL));
        li++;
    }
    FUZZ_CHECK(line_is(lines[11], lens[11], "generated-on-device", "yes"));
    FUZZ_CHECK(line_is(lines[12], lens[12], "sensitive", "yes"));
    FUZZ_CHECK(line_is(lines[13], lens[13], "extractable", "no"));
}

/* Semantic checks of OK bodies beyond their layout. */
static void check_ok_body(uint16_t opcode, const uint8_t *req_body, size_t req_body_len,
                          const uint8_t *body, size_t len)
{
    sigil_rd r;
    size_t n = 0, m = 0;
    sigil_rd_init(&r, body, len);
    switch (opcode) {
    case SIGIL_OP_RANDOM:
        FUZZ_CHECK(req_body_len == 4);
        FUZZ_CHECK(sigil_rd_u32(&r) == be32(req_body));
        break;
    case SIGIL_OP_AUDIT_READ:
        /* Never more than asked for. */
        FUZZ_CHECK(req_body_len == 12);
        (void)sigil_rd_u64(&r);
        (void)sigil_rd_bytes(&r, SIGIL_FRAME_MAX_BODY, &n);
        FUZZ_CHECK(n <= be32(req_body + 8));
        break;
    case SIGIL_OP_ATTEST: {
        const uint8_t *stmt = sigil_rd_bytes(&r, 8192, &n);
        (void)sigil_rd_bytes(&r, 64, &m);
        FUZZ_CHECK(m == 64);
        FUZZ_CHECK(n > 0 && stmt != NULL && memchr(stmt, '\0', n) == NULL);
        check_statement(stmt, n);
        break;
    }
    case SIGIL_OP_DEVICE_KEYS: {
        char serial[17];
        sigil_rd_str(&r, serial, 16);
        const uint8_t *a = sigil_rd_bytes(&r, 65, &n);
        const uint8_t *b = sigil_rd_bytes(&r, 65, &m);
        FUZZ_CHECK(n == 65 && m == 65 && a[0] == 4 && b[0] == 4);
        break;
    }
    case SIGIL_OP_GENERATE_KEYPAIR: {
        sigil_obj_record *pub = malloc(sizeof(*pub)), *priv = malloc(sizeof(*priv));
        FUZZ_CHECK(pub != NULL && priv != NULL);
        sigil_obj_record_read(&r, pub);
        sigil_obj_record_read(&r, priv);
        FUZZ_CHECK(sigil_rd_done(&r));
        FUZZ_CHECK(pub->obj_class == SIGIL_CLASS_PUBLIC_KEY);
        FUZZ_CHECK(priv->obj_class == SIGIL_CLASS_PRIVATE_KEY);
        FUZZ_CHECK(priv->handle != pub->handle && pub->handle != 0 && priv->handle != 0);
        FUZZ_CHECK(priv->key_type == pub->key_type && priv->bits == pub->bits);
        /* The private key is always sensitive, private and made on the device. */
        FUZZ_CHECK((priv->flags & (SIGIL_OBJ_SENSITIVE | SIGIL_OBJ_PRIVATE | SIGIL_OBJ_LOCAL)) ==
                   (SIGIL_OBJ_SENSITIVE | SIGIL_OBJ_PRIVATE | SIGIL_OBJ_LOCAL));
        FUZZ_CHECK((pub->flags & SIGIL_OBJ_PRIVATE) == 0);
        FUZZ_CHECK(pub->pub_a_len == priv->pub_a_len && pub->pub_b_len == priv->pub_b_len);
        FUZZ_CHECK(memcmp(pub->pub_a, priv->pub_a, pub->pub_a_len) == 0);
        FUZZ_CHECK(memcmp(pub->pub_b, priv->pub_b, pub->pub_b_len) == 0);
        free(pub);
        free(priv);
        break;
    }
    case SIGIL_OP_CREATE_OBJECT: {
        /* Nothing created from outside is a private key or claims to be a device key. */
        sigil_obj_record *o = malloc(sizeof(*o));
        FUZZ_CHECK(o != NULL);
        sigil_obj_record_read(&r, o);
        FUZZ_CHECK(sigil_rd_done(&r));
        FUZZ_CHECK(o->handle != 0);
        FUZZ_CHECK(o->obj_class != SIGIL_CLASS_PRIVATE_KEY);
        FUZZ_CHECK((o->flags & (SIGIL_OBJ_SIGN | SIGIL_OBJ_SENSITIVE | SIGIL_OBJ_LOCAL)) == 0);
        free(o);
        break;
    }
    default:
        break;
    }
}

/* Checks that resp[0..resp_len) is a well-formed answer to req[0..req_len). */
static sigil_status check_response(const uint8_t *req, size_t req_len, const uint8_t *resp,
                                   size_t resp_len, bool close_conn)
{
    sigil_frame_hdr h;

    FUZZ_CHECK(resp_len >= SIGIL_FRAME_HDR_LEN);
    FUZZ_CHECK(resp_len <= SIGIL_FW_RESP_CAP);
    FUZZ_CHECK(sigil_frame_hdr_decode(resp, SIGIL_FRAME_MAX_BODY, &h) == SIGIL_ST_OK);
    FUZZ_CHECK(h.version == SIGIL_PROTO_VERSION);
    FUZZ_CHECK(h.kind == SIGIL_KIND_RESPONSE);
    FUZZ_CHECK(h.body_len == resp_len - SIGIL_FRAME_HDR_LEN);
    FUZZ_CHECK(status_known(h.status));
    if (req_len >= SIGIL_FRAME_HDR_LEN) {
        FUZZ_CHECK(h.opcode == (uint16_t)(req[6] << 8 | req[7]));
        FUZZ_CHECK(h.request_id == be32(req + 8));
    } else {
        FUZZ_CHECK(h.status == SIGIL_ST_BAD_FRAME && close_conn);
    }
    /* The connection closes on a framing error, and after a HELLO that failed (a connection
     * that cannot join an application serves nothing). */
    if (close_conn)
        FUZZ_CHECK(h.status == SIGIL_ST_BAD_FRAME || h.status == SIGIL_ST_BAD_VERSION ||
                   h.status == SIGIL_ST_FRAME_TOO_LARGE || (h.opcode == SIGIL_OP_HELLO && h.status != SIGIL_ST_OK));
    if (h.status != SIGIL_ST_OK) {
        FUZZ_CHECK(h.body_len == 0);
        return (sigil_status)h.status;
    }
    /* OK: the request was a well-formed request of a known command. */
    FUZZ_CHECK(!close_conn);
    FUZZ_CHECK(req[5] == SIGIL_KIND_REQUEST);
    const fuzz_command *cmd = fuzz_command_find(h.opcode);
    if (cmd == NULL)
        return SIGIL_ST_OK; /* no layout yet (fuzz_layout.c warned): framing checks only */
    const uint8_t *body = resp + SIGIL_FRAME_HDR_LEN;
    FUZZ_CHECK(fuzz_layout_check(cmd->request, req + SIGIL_FRAME_HDR_LEN, req_len - SIGIL_FRAME_HDR_LEN));
    FUZZ_CHECK(fuzz_layout_check(cmd->response, body, h.body_len));
    check_ok_body(h.opcode, req + SIGIL_FRAME_HDR_LEN, req_len - SIGIL_FRAME_HDR_LEN, body, h.body_len);
    return SIGIL_ST_OK;
}

/* Passes one frame (copied to a heap block of exactly its size) to the core. */
static sigil_status handle_frame(sigil_fw_conn *conn, const uint8_t *frame, size_t len, bool *close_conn)
{
    uint8_t *req = malloc(len ? len : 1);
    FUZZ_CHECK(req != NULL);
    if (len > 0)
        memcpy(req, frame, len);
    size_t n = sigil_fw_handle(g.fw, conn, req, len, g.resp, SIGIL_FW_RESP_CAP, close_conn);
    sigil_status st = check_response(req, len, g.resp, n, *close_conn);
    free(req);
    return st;
}

/* A well-formed request from the harness itself; the body is in w. */
static sigil_status call(sigil_fw_conn *conn, uint16_t op, const sigil_wr *w, sigil_rd *out)
{
    static uint8_t frame[SIGIL_FRAME_HDR_LEN + 4096];
    size_t blen = w != NULL ? w->len : 0;
    sigil_frame_hdr h = {.body_len = (uint32_t)blen, .version = SIGIL_PROTO_VERSION,
                         .kind = SIGIL_KIND_REQUEST, .opcode = op, .request_id = ++g.next_id};
    bool close_conn = false;

    FUZZ_CHECK(blen <= 4096);
    sigil_frame_hdr_encode(&h, frame);
    if (blen > 0)
        memcpy(frame + SIGIL_FRAME_HDR_LEN, w->buf, blen);
    sigil_status st = handle_frame(conn, frame, SIGIL_FRAME_HDR_LEN + blen, &close_conn);
    FUZZ_CHECK(!close_conn);
    if (out != NULL)
        sigil_rd_init(out, g.resp + SIGIL_FRAME_HDR_LEN, be32(g.resp));
    return st;
}

static uint8_t body_buf[4096];

static sigil_wr *body(void)
{
    static sigil_wr w;
    sigil_wr_init(&w, body_buf, sizeof(body_buf));
    return &w;
}

static void wr_pin(sigil_wr *w, const char *pin)
{
    sigil_wr_bytes(w, (const uint8_t *)pin, strlen(pin));
}

static void must(sigil_status st, const char *what)
{
    if (st != SIGIL_ST_OK) {
        fprintf(stderr, "fuzz_firmware start-up: %s: %s\n", what, sigil_status_name(st));
        abort();
    }
}

static void hello(sigil_fw_conn *conn)
{
    sigil_wr *w = body();
    sigil_wr_u16(w, SIGIL_PROTO_VERSION);
    sigil_wr_bytes(w, fuzz_fw_app_token, sizeof(fuzz_fw_app_token));
    must(call(conn, SIGIL_OP_HELLO, w, NULL), "HELLO");
}

static void keygen(uint8_t type, uint32_t param, const char *label, uint32_t want_pub)
{
    sigil_wr *w = body();
    sigil_rd r;
    sigil_obj_record rec;
    sigil_wr_u32(w, 0);
    sigil_wr_u8(w, type);
    sigil_wr_u32(w, param);
    sigil_wr_bytes(w, (const uint8_t *)label, 2);
    sigil_wr_str(w, label);
    must(call(g.keeper, SIGIL_OP_GENERATE_KEYPAIR, w, &r), "GENERATE_KEYPAIR");
    sigil_obj_record_read(&r, &rec);
    if (rec.handle != want_pub) {
        fprintf(stderr, "fuzz_firmware start-up: key pair got handle %u, expected %u "
                        "(update FUZZ_FW_* and make_seeds.py)\n", (unsigned)rec.handle, (unsigned)want_pub);
        abort();
    }
}

static void user_login(void)
{
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    sigil_wr_u32(w, SIGIL_USER_USER);
    wr_pin(w, FUZZ_FW_USER_PIN);
    must(call(g.keeper, SIGIL_OP_LOGIN, w, NULL), "LOGIN");
}

/* HELLO, ADMIN_LOGIN and LOGIN (user, slot 0) on a new keeper connection. */
static void keeper_login(void)
{
    sigil_wr *w;
    hello(g.keeper);
    w = body();
    wr_pin(w, FUZZ_FW_ADMIN_PIN);
    must(call(g.keeper, SIGIL_OP_ADMIN_LOGIN, w, NULL), "ADMIN_LOGIN");
    user_login();
}

/* Opens the device on the current storage and logs the keeper in (fresh: on an
 * empty storage, initialising the appliance and creating the seal on the way). */
static void device_start(bool fresh)
{
    sigil_fw_config cfg;
    char err[256];
    sigil_rd r;
    sigil_wr *w;

    sigil_fw_config_default(&cfg);
    cfg.kdf_iterations = FUZZ_FW_KDF_ITERATIONS;
    err[0] = '\0';
    if (sigil_fw_open(g.plat, &cfg, &g.fw, err, sizeof(err)) != SIGIL_ST_OK) {
        fprintf(stderr, "fuzz_firmware: sigil_fw_open: %s\n", err);
        abort();
    }
    g.keeper = sigil_fw_conn_new(g.fw);
    FUZZ_CHECK(g.keeper != NULL);
    if (!fresh) {
        keeper_login();
        return;
    }
    hello(g.keeper);
    w = body();
    wr_pin(w, FUZZ_FW_ADMIN_PIN);
    must(call(g.keeper, SIGIL_OP_APPLIANCE_INIT, w, NULL), "APPLIANCE_INIT");
    w = body();
    wr_pin(w, FUZZ_FW_ADMIN_PIN);
    must(call(g.keeper, SIGIL_OP_ADMIN_LOGIN, w, NULL), "ADMIN_LOGIN");
    w = body();
    sigil_wr_str(w, "fuzz-seal");
    wr_pin(w, FUZZ_FW_SO_PIN);
    wr_pin(w, FUZZ_FW_USER_PIN);
    must(call(g.keeper, SIGIL_OP_SEAL_CREATE, w, &r), "SEAL_CREATE");
    FUZZ_CHECK(sigil_rd_u32(&r) == 0);
    user_login();
}

/* Names ending in ".log" are append-only logs (the audit trail): they grow with
 * every audited request and carry no state a later request depends on. */
static bool is_log(const char *name)
{
    size_t n = strlen(name);
    return n >= 4 && strcmp(name + n - 4, ".log") == 0;
}

static void blobs_free(snap_blob **v, size_t *n)
{
    for (size_t i = 0; i < *n; i++) {
        free((*v)[i].name);
        free((*v)[i].data);
    }
    free(*v);
    *v = NULL;
    *n = 0;
}

/* Copies the stored blobs (all, or all but the logs) into *v. */
static void blobs_take(snap_blob **v, size_t *n, bool logs)
{
    size_t count = fake_platform_blob_count(g.plat);
    blobs_free(v, n);
    *v = calloc(count ? count : 1, sizeof(**v));
    FUZZ_CHECK(*v != NULL);
    for (size_t i = 0; i < count; i++) {
        const char *name = fake_platform_blob_name(g.plat, i);
        size_t len = 0;
        const uint8_t *data = fake_platform_blob(g.plat, name, &len);
        FUZZ_CHECK(name != NULL && data != NULL);
        if (!logs && is_log(name))
            continue;
        snap_blob *b = &(*v)[(*n)++];
        b->name = strdup(name);
        b->data = malloc(len ? len : 1);
        FUZZ_CHECK(b->name != NULL && b->data != NULL);
        memcpy(b->data, data, len);
        b->len = len;
    }
}

static void snapshot_restore(void)
{
    fake_platform_set_root_secret(g.plat, g.root); /* ZEROIZE replaced it */
    /* Remove every blob, then put the snapshot back. */
    while (fake_platform_blob_count(g.plat) > 0) {
        const char *name = fake_platform_blob_name(g.plat, 0);
        FUZZ_CHECK(g.plat->ops->store_remove(g.plat, name) == SIGIL_STORE_OK);
    }
    for (size_t i = 0; i < g.snap_n; i++)
        fake_platform_set_blob(g.plat, g.snap[i].name, g.snap[i].data, g.snap[i].len);
}

/* What restore_start_state compares the storage with after each input. */
static void baseline_take(void)
{
    blobs_take(&g.base, &g.base_n, false);
    g.root_destroyed = fake_platform_root_destroyed(g.plat);
}

/* True when every blob but the logs is byte for byte as in the baseline (a sealed
 * blob that was rewritten differs: every write draws a fresh nonce), and the logs
 * are still small. */
static bool storage_clean(void)
{
    size_t count = fake_platform_blob_count(g.plat), j = 0, log_bytes = 0;
    for (size_t i = 0; i < count; i++) {
        const char *name = fake_platform_blob_name(g.plat, i);
        size_t len = 0;
        const uint8_t *data = fake_platform_blob(g.plat, name, &len);
        if (is_log(name)) {
            log_bytes += len;
            continue;
        }
        if (j >= g.base_n || strcmp(name, g.base[j].name) != 0 || len != g.base[j].len ||
            memcmp(data, g.base[j].data, len) != 0)
            return false;
        j++;
    }
    return j == g.base_n && log_bytes <= FUZZ_FW_MAX_LOG_BYTES &&
           fake_platform_root_destroyed(g.plat) == g.root_destroyed;
}

/* True when the keeper's context is still logged in as after start-up. */
static bool keeper_state_intact(void)
{
    sigil_rd r;
    char s[65];

    if (call(g.keeper, SIGIL_OP_INFO, NULL, &r) != SIGIL_ST_OK)
        return false;
    sigil_rd_str(&r, s, 64);
    sigil_rd_str(&r, s, 64);
    (void)sigil_rd_u8(&r);
    (void)sigil_rd_u8(&r);
    (void)sigil_rd_u32(&r);
    (void)sigil_rd_u32(&r);
    if (sigil_rd_u8(&r) != 1 || !sigil_rd_ok(&r)) /* appliance_role: administrator */
        return false;
    sigil_wr *w = body();
    sigil_wr_u32(w, 0);
    if (call(g.keeper, SIGIL_OP_TOKEN_INFO, w, &r) != SIGIL_ST_OK)
        return false;
    (void)sigil_rd_u32(&r);
    sigil_rd_str(&r, s, 32);
    sigil_rd_str(&r, s, 16);
    (void)sigil_rd_u32(&r);
    return sigil_rd_u32(&r) == SIGIL_LOGIN_USER && sigil_rd_ok(&r);
}

/* Brings the device back to the state every input starts from:
 *  - storage changed (anything but log growth): close, restore the snapshot,
 *    reopen (self-tests included, ~20 ms) and log in again;
 *  - only the keeper's logins changed (LOGOUT, ADMIN_LOGOUT; they live in memory):
 *    a new keeper connection logs in again (~2 ms); the login rewrites the
 *    credential records with the same content, which becomes the new baseline;
 *  - nothing changed (read-only input): nothing to do. */
static void restore_start_state(void)
{
    if (storage_clean() && keeper_state_intact())
        return;
    if (storage_clean()) {
        sigil_fw_conn_free(g.keeper); /* the context ends with its last connection */
        g.keeper = sigil_fw_conn_new(g.fw);
        FUZZ_CHECK(g.keeper != NULL);
        keeper_login();
        g.relogins++;
    } else {
        sigil_fw_conn_free(g.keeper);
        sigil_fw_close(g.fw);
        snapshot_restore();
        device_start(false);
        g.resets++;
    }
    baseline_take();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (g.ready)
        return 0;
    g.trace = getenv("FUZZ_FW_TRACE") != NULL;
    g.resp = malloc(SIGIL_FW_RESP_CAP);
    g.plat = fake_platform_new(FUZZ_FW_SEED);
    FUZZ_CHECK(g.resp != NULL && g.plat != NULL);
    fake_platform_set_time(g.plat, 1700000000u);
    FUZZ_CHECK(g.plat->ops->root_secret(g.plat, g.root) == 0);
    device_start(true);
    keygen(SIGIL_KEYTYPE_EC, 256, "ec", FUZZ_FW_EC_PUB);
    keygen(SIGIL_KEYTYPE_RSA, 2048, "rs", FUZZ_FW_RSA_PUB);
    blobs_take(&g.snap, &g.snap_n, true);
    /* Start every input from a device that was opened on the snapshot, exactly as
     * after a reset. */
    sigil_fw_conn_free(g.keeper);
    sigil_fw_close(g.fw);
    snapshot_restore();
    device_start(false);
    baseline_take();
    g.ready = true;
    return 0;
}

/* RSA key generation is too slow to fuzz (see the top of the file). */
static bool skip_frame(const uint8_t *f, size_t len)
{
    if (len < SIGIL_FRAME_HDR_LEN + 9)
        return false;
    if ((uint16_t)(f[6] << 8 | f[7]) != SIGIL_OP_GENERATE_KEYPAIR)
        return false;
    const uint8_t *b = f + SIGIL_FRAME_HDR_LEN;
    uint32_t param = be32(b + 5);
    return b[4] == SIGIL_KEYTYPE_RSA && (param == 2048 || param == 3072 || param == 4096);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sigil_fw_conn *conn[2];
    size_t off = 0;
    unsigned frames = 0;

    if (!g.ready)
        (void)LLVMFuzzerInitialize(NULL, NULL);
    conn[0] = sigil_fw_conn_new(g.fw);
    conn[1] = sigil_fw_conn_new(g.fw);
    FUZZ_CHECK(conn[0] != NULL && conn[1] != NULL);
    hello(conn[0]);

    while (size - off >= 2 && frames < FUZZ_FW_MAX_FRAMES) {
        unsigned prefix = (unsigned)data[off] << 8 | data[off + 1];
        size_t len = prefix & PREFIX_LEN_MASK;
        int which = (prefix & PREFIX_CONN_B) ? 1 : 0;
        bool close_conn = false;
        uint8_t *frame;

        off += 2;
        if (len > size - off)
            len = size - off;
        frame = malloc(len ? len : 1);
        FUZZ_CHECK(frame != NULL);
        if (len > 0)
            memcpy(frame, data + off, len);
        off += len;
        frames++;
        if ((prefix & PREFIX_FIXUP) && len >= SIGIL_FRAME_HDR_LEN) {
            uint32_t bl = (uint32_t)(len - SIGIL_FRAME_HDR_LEN);
            frame[0] = (uint8_t)(bl >> 24);
            frame[1] = (uint8_t)(bl >> 16);
            frame[2] = (uint8_t)(bl >> 8);
            frame[3] = (uint8_t)bl;
        }
        if (skip_frame(frame, len)) {
            if (g.trace)
                fprintf(stderr, "  [%c] skipped (RSA key generation)\n", which ? 'B' : 'A');
        } else {
            sigil_status st = handle_frame(conn[which], frame, len, &close_conn);
            if (g.trace)
                fprintf(stderr, "  [%c] %-16s -> %s%s\n", which ? 'B' : 'A',
                        len >= SIGIL_FRAME_HDR_LEN ? sigil_opcode_name((uint16_t)(frame[6] << 8 | frame[7])) : "(short)",
                        sigil_status_name(st), close_conn ? " (closed)" : "");
            if (g.trace && st == SIGIL_ST_OK && len >= SIGIL_FRAME_HDR_LEN &&
                (uint16_t)(frame[6] << 8 | frame[7]) == SIGIL_OP_DEVICE_KEYS)
                fprintf(stderr, "      device serial %.16s\n", (const char *)g.resp + SIGIL_FRAME_HDR_LEN + 4);
            if (close_conn) {
                sigil_fw_conn_free(conn[which]);
                conn[which] = sigil_fw_conn_new(g.fw);
                FUZZ_CHECK(conn[which] != NULL);
            }
        }
        free(frame);
    }

    sigil_fw_conn_free(conn[0]);
    sigil_fw_conn_free(conn[1]);
    restore_start_state();
    if (g.trace)
        fprintf(stderr, "  resets %lu, re-logins %lu\n", g.resets, g.relogins);
    return 0;
}
