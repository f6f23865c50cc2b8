/* fuzz_firmware.c — the firmware request handler (sigil_fw_handle), in process,
 * over the fake platform (in-memory storage, deterministic entropy).
 *
 * Start-up (once, LLVMFuzzerInitialize): a fresh device with kdf_iterations 1000,
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
 *   - an OK body decodes exactly along the command's response layout
 *     (fuzz_layout.c) and re-encodes to the same bytes; RANDOM returns the length
 *     asked; GENERATE_KEYPAIR returns a public and a private record of one pair.
 *
 * Bounded state: after an input that changed anything persistent or the keeper's
 * login state (a storage write or removal, a logout), the device is closed, the
 * storage snapshot restored and the device reopened and logged in again, so every
 * input starts from the same state; read-only inputs need no reset.
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
#define FUZZ_FW_KDF_ITERATIONS 1000u
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
    snap_blob *snap;
    size_t snap_n;
    /* What the storage looked like after the last (re)start. */
    unsigned long writes;
    size_t blobs;
    unsigned long resets;
} g;

/* ---- helpers ------------------------------------------------------------------ */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool status_known(uint32_t st)
{
    return strcmp(sigil_status_message((sigil_status)st), "unknown status") != 0;
}

/* Semantic checks of OK bodies beyond their layout. */
static void check_ok_body(uint16_t opcode, const uint8_t *req_body, size_t req_body_len,
                          const uint8_t *body, size_t len)
{
    sigil_rd r;
    sigil_rd_init(&r, body, len);
    if (opcode == SIGIL_OP_RANDOM) {
        FUZZ_CHECK(req_body_len == 4);
        FUZZ_CHECK(sigil_rd_u32(&r) == be32(req_body));
    } else if (opcode == SIGIL_OP_GENERATE_KEYPAIR) {
        sigil_obj_record *pub = malloc(sizeof(*pub)), *priv = malloc(sizeof(*priv));
        FUZZ_CHECK(pub != NULL && priv != NULL);
        sigil_obj_record_read(&r, pub);
        sigil_obj_record_read(&r, priv);
        FUZZ_CHECK(sigil_rd_done(&r));
        FUZZ_CHECK(pub->obj_class == SIGIL_CLASS_PUBLIC_KEY);
        FUZZ_CHECK(priv->obj_class == SIGIL_CLASS_PRIVATE_KEY);
        FUZZ_CHECK(priv->handle != pub->handle);
        FUZZ_CHECK(priv->key_type == pub->key_type && priv->bits == pub->bits);
        /* The private key is always sensitive and private, never public material only. */
        FUZZ_CHECK((priv->flags & (SIGIL_OBJ_SENSITIVE | SIGIL_OBJ_PRIVATE | SIGIL_OBJ_LOCAL)) ==
                   (SIGIL_OBJ_SENSITIVE | SIGIL_OBJ_PRIVATE | SIGIL_OBJ_LOCAL));
        FUZZ_CHECK((pub->flags & SIGIL_OBJ_PRIVATE) == 0);
        FUZZ_CHECK(pub->pub_a_len == priv->pub_a_len && pub->pub_b_len == priv->pub_b_len);
        FUZZ_CHECK(memcmp(pub->pub_a, priv->pub_a, pub->pub_a_len) == 0);
        FUZZ_CHECK(memcmp(pub->pub_b, priv->pub_b, pub->pub_b_len) == 0);
        free(pub);
        free(priv);
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
    if (close_conn)
        FUZZ_CHECK(h.status == SIGIL_ST_BAD_FRAME || h.status == SIGIL_ST_BAD_VERSION ||
                   h.status == SIGIL_ST_FRAME_TOO_LARGE);
    if (h.status != SIGIL_ST_OK) {
        FUZZ_CHECK(h.body_len == 0);
        return (sigil_status)h.status;
    }
    /* OK: the request was a well-formed request of a known command. */
    FUZZ_CHECK(!close_conn);
    FUZZ_CHECK(req[5] == SIGIL_KIND_REQUEST);
    const fuzz_command *cmd = fuzz_command_find(h.opcode);
    FUZZ_CHECK(cmd != NULL);
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

/* Opens the device on the current storage and logs the keeper in again. */
static void device_start(bool fresh)
{
    sigil_fw_config cfg;
    char err[256];
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
    hello(g.keeper);
    if (fresh) {
        w = body();
        wr_pin(w, FUZZ_FW_ADMIN_PIN);
        must(call(g.keeper, SIGIL_OP_APPLIANCE_INIT, w, NULL), "APPLIANCE_INIT");
    }
    w = body();
    wr_pin(w, FUZZ_FW_ADMIN_PIN);
    must(call(g.keeper, SIGIL_OP_ADMIN_LOGIN, w, NULL), "ADMIN_LOGIN");
    if (fresh) {
        sigil_rd r;
        w = body();
        sigil_wr_str(w, "fuzz-seal");
        wr_pin(w, FUZZ_FW_SO_PIN);
        wr_pin(w, FUZZ_FW_USER_PIN);
        must(call(g.keeper, SIGIL_OP_SEAL_CREATE, w, &r), "SEAL_CREATE");
        FUZZ_CHECK(sigil_rd_u32(&r) == 0);
    }
    w = body();
    sigil_wr_u32(w, 0);
    sigil_wr_u32(w, SIGIL_USER_USER);
    wr_pin(w, FUZZ_FW_USER_PIN);
    must(call(g.keeper, SIGIL_OP_LOGIN, w, NULL), "LOGIN");
}

static void snapshot_take(void)
{
    g.snap_n = fake_platform_blob_count(g.plat);
    g.snap = calloc(g.snap_n ? g.snap_n : 1, sizeof(*g.snap));
    FUZZ_CHECK(g.snap != NULL);
    for (size_t i = 0; i < g.snap_n; i++) {
        const char *name = fake_platform_blob_name(g.plat, i);
        size_t len = 0;
        const uint8_t *data = fake_platform_blob(g.plat, name, &len);
        FUZZ_CHECK(name != NULL && data != NULL);
        g.snap[i].name = strdup(name);
        g.snap[i].data = malloc(len ? len : 1);
        FUZZ_CHECK(g.snap[i].name != NULL && g.snap[i].data != NULL);
        memcpy(g.snap[i].data, data, len);
        g.snap[i].len = len;
    }
}

static void snapshot_restore(void)
{
    /* Remove every blob, then put the snapshot back. */
    while (fake_platform_blob_count(g.plat) > 0) {
        const char *name = fake_platform_blob_name(g.plat, 0);
        FUZZ_CHECK(g.plat->ops->store_remove(g.plat, name) == SIGIL_STORE_OK);
    }
    for (size_t i = 0; i < g.snap_n; i++)
        fake_platform_set_blob(g.plat, g.snap[i].name, g.snap[i].data, g.snap[i].len);
}

static void mark_clean(void)
{
    g.writes = fake_platform_write_count(g.plat);
    g.blobs = fake_platform_blob_count(g.plat);
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
    if (sigil_rd_u8(&r) != 1 || !sigil_rd_done(&r))
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

static void reset_if_dirty(void)
{
    bool dirty = fake_platform_write_count(g.plat) != g.writes ||
                 fake_platform_blob_count(g.plat) != g.blobs || !keeper_state_intact();
    if (!dirty)
        return;
    sigil_fw_conn_free(g.keeper);
    sigil_fw_close(g.fw);
    snapshot_restore();
    device_start(false);
    mark_clean();
    g.resets++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (g.ready)
        return 0;
    g.resp = malloc(SIGIL_FW_RESP_CAP);
    g.plat = fake_platform_new(FUZZ_FW_SEED);
    FUZZ_CHECK(g.resp != NULL && g.plat != NULL);
    fake_platform_set_time(g.plat, 1700000000u);
    device_start(true);
    keygen(SIGIL_KEYTYPE_EC, 256, "ec", FUZZ_FW_EC_PUB);
    keygen(SIGIL_KEYTYPE_RSA, 2048, "rs", FUZZ_FW_RSA_PUB);
    snapshot_take();
    /* Start every input from a device that was opened on the snapshot, exactly as
     * after a reset. */
    sigil_fw_conn_free(g.keeper);
    sigil_fw_close(g.fw);
    snapshot_restore();
    device_start(false);
    mark_clean();
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
        if (!skip_frame(frame, len)) {
            (void)handle_frame(conn[which], frame, len, &close_conn);
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
    reset_if_dirty();
    return 0;
}
