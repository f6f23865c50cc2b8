/* fw_harness.c — drives the firmware core frame by frame over the fake platform,
 * for the firmware unit tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include "fw_harness.h"



static uint8_t app_token[SIGIL_APP_TOKEN_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

void tfw_open(tfw *t)
{
    sigil_fw_config cfg;
    sigil_fw_config_default(&cfg);
    cfg.kdf_iterations = 1000; /* tests only: production default is in fw.c */
    char err[200];
    assert_int_equal(sigil_fw_open(t->plat, &cfg, &t->fw, err, sizeof(err)), SIGIL_ST_OK);
    t->conn = sigil_fw_conn_new(t->fw);
    assert_non_null(t->conn);
}

void tfw_close(tfw *t)
{
    sigil_fw_conn_free(t->conn);
    sigil_fw_close(t->fw);
    t->conn = NULL;
    t->fw = NULL;
}

/* Sends a raw frame; returns the status; the body is in t->resp after the header. */
sigil_status tfw_raw(tfw *t, const uint8_t *frame, size_t len)
{
    sigil_frame_hdr h;
    t->resp_len = sigil_fw_handle(t->fw, t->conn, frame, len, t->resp, SIGIL_FW_RESP_CAP, &t->closed);
    assert_true(t->resp_len >= SIGIL_FRAME_HDR_LEN);
    assert_int_equal(sigil_frame_hdr_decode(t->resp, SIGIL_FRAME_MAX_BODY, &h), SIGIL_ST_OK);
    assert_int_equal(h.kind, SIGIL_KIND_RESPONSE);
    assert_int_equal(h.body_len, t->resp_len - SIGIL_FRAME_HDR_LEN);
    return (sigil_status)h.status;
}

sigil_status tfw_call(tfw *t, uint16_t op, const sigil_wr *body, sigil_rd *out)
{
    uint8_t frame[SIGIL_FRAME_HDR_LEN + 4096];
    size_t blen = body ? body->len : 0;
    sigil_frame_hdr h = {.body_len = (uint32_t)blen, .version = SIGIL_PROTO_VERSION,
                         .kind = SIGIL_KIND_REQUEST, .opcode = op, .request_id = ++t->next_id};
    assert_true(blen <= 4096);
    sigil_frame_hdr_encode(&h, frame);
    if (blen)
        memcpy(frame + SIGIL_FRAME_HDR_LEN, body->buf, blen);
    sigil_status st = tfw_raw(t, frame, SIGIL_FRAME_HDR_LEN + blen);
    uint32_t rid = (uint32_t)t->resp[8] << 24 | (uint32_t)t->resp[9] << 16 | (uint32_t)t->resp[10] << 8 | t->resp[11];
    assert_int_equal(rid, t->next_id);
    if (out)
        sigil_rd_init(out, t->resp + SIGIL_FRAME_HDR_LEN, t->resp_len - SIGIL_FRAME_HDR_LEN);
    return st;
}

static uint8_t wbuf[4096];
sigil_wr *body(void)
{
    static sigil_wr w;
    sigil_wr_init(&w, wbuf, sizeof(wbuf));
    return &w;
}

void wr_pin(sigil_wr *w, const char *pin) { sigil_wr_bytes(w, (const uint8_t *)pin, strlen(pin)); }

void hello(tfw *t)
{
    sigil_wr *w = body();
    sigil_wr_u16(w, SIGIL_PROTO_VERSION);
    sigil_wr_bytes(w, app_token, sizeof(app_token));
    assert_int_equal(tfw_call(t, SIGIL_OP_HELLO, w, NULL), SIGIL_ST_OK);
}

sigil_status login(tfw *t, uint32_t slot, uint32_t type, const char *pin)
{
    sigil_wr *w = body();
    sigil_wr_u32(w, slot);
    sigil_wr_u32(w, type);
    wr_pin(w, pin);
    return tfw_call(t, SIGIL_OP_LOGIN, w, NULL);
}

/* Fresh appliance, initialised, one seal in slot 0 with the user logged in. */
int setup(void **state)
{
    tfw *t = calloc(1, sizeof(*t));
    t->resp = malloc(SIGIL_FW_RESP_CAP);
    t->plat = fake_platform_new(42);
    tfw_open(t);
    hello(t);
    sigil_wr *w = body();
    wr_pin(w, ADMIN_PIN);
    assert_int_equal(tfw_call(t, SIGIL_OP_APPLIANCE_INIT, w, NULL), SIGIL_ST_OK);
    w = body();
    wr_pin(w, ADMIN_PIN);
    assert_int_equal(tfw_call(t, SIGIL_OP_ADMIN_LOGIN, w, NULL), SIGIL_ST_OK);
    w = body();
    sigil_wr_str(w, "seal-a");
    wr_pin(w, SO_PIN);
    wr_pin(w, USER_PIN);
    sigil_rd r;
    assert_int_equal(tfw_call(t, SIGIL_OP_SEAL_CREATE, w, &r), SIGIL_ST_OK);
    assert_int_equal(sigil_rd_u32(&r), 0);
    assert_true(sigil_rd_done(&r));
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
    *state = t;
    return 0;
}

int teardown(void **state)
{
    tfw *t = *state;
    tfw_close(t);
    fake_platform_free(t->plat);
    free(t->resp);
    free(t);
    return 0;
}

/* Closes and reopens the device on the same storage, with a new connection. */
void restart(tfw *t)
{
    tfw_close(t);
    tfw_open(t);
    hello(t);
}

void keygen(tfw *t, uint8_t type, uint32_t param, sigil_obj_record *pub, sigil_obj_record *priv,
                   sigil_status want)
{
    sigil_wr *w = body();
    sigil_rd r;
    sigil_wr_u32(w, 0);
    sigil_wr_u8(w, type);
    sigil_wr_u32(w, param);
    sigil_wr_bytes(w, (const uint8_t *)"\x01\x02", 2);
    sigil_wr_str(w, "key");
    assert_int_equal(tfw_call(t, SIGIL_OP_GENERATE_KEYPAIR, w, &r), want);
    if (want != SIGIL_ST_OK)
        return;
    sigil_obj_record_read(&r, pub);
    sigil_obj_record_read(&r, priv);
    assert_true(sigil_rd_done(&r));
}

sigil_status sign(tfw *t, uint32_t handle, uint8_t mech, const uint8_t *in, size_t n,
                         uint8_t *sig, size_t *sig_len)
{
    sigil_wr *w = body();
    sigil_rd r;
    sigil_wr_u32(w, 0);
    sigil_wr_u32(w, handle);
    sigil_wr_u8(w, mech);
    sigil_wr_u8(w, mech == SIGIL_MECH_RSA_PSS ? SIGIL_HASH_SHA256 : 0);
    sigil_wr_u32(w, mech == SIGIL_MECH_RSA_PSS ? 32 : 0);
    sigil_wr_bytes(w, in, n);
    sigil_status st = tfw_call(t, SIGIL_OP_SIGN, w, &r);
    if (st == SIGIL_ST_OK) {
        const uint8_t *p = sigil_rd_bytes(&r, 512, sig_len);
        assert_true(sigil_rd_done(&r));
        memcpy(sig, p, *sig_len);
    }
    return st;
}

/* Verifies an ECDSA P-256 r||s signature over digest with the record's public point. */
int ec_verify_point(const uint8_t *point, size_t point_len, const uint8_t *dgst, const uint8_t *sig, size_t sig_len)
{
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point, point_len);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(b);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *pk = NULL;
    int ok = 0;
    if (EVP_PKEY_fromdata_init(ctx) == 1 && EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) == 1) {
        ECDSA_SIG *es = ECDSA_SIG_new();
        ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)sig_len / 2, NULL), BN_bin2bn(sig + sig_len / 2, (int)sig_len / 2, NULL));
        unsigned char *der = NULL;
        int der_len = i2d_ECDSA_SIG(es, &der);
        EVP_PKEY_CTX *vctx = EVP_PKEY_CTX_new(pk, NULL);
        ok = EVP_PKEY_verify_init(vctx) == 1 && EVP_PKEY_verify(vctx, der, (size_t)der_len, dgst, 32) == 1;
        EVP_PKEY_CTX_free(vctx);
        OPENSSL_free(der);
        ECDSA_SIG_free(es);
    }
    EVP_PKEY_free(pk);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    return ok;
}

int ec_verify(const sigil_obj_record *pub, const uint8_t *dgst, const uint8_t *sig, size_t sig_len)
{
    return ec_verify_point(pub->pub_b, pub->pub_b_len, dgst, sig, sig_len);
}

/* Reads audit.log from the fake storage, recomputing the hash chain with OpenSSL.
 * Returns the number of records that chain; *clean is false if bytes are left over
 * or a hash does not match. The last record read is in *last. */
size_t read_trail(tfw *t, sigil_audit_rec *recs, size_t max, bool *clean)
{
    size_t len = 0, off = 0, n = 0;
    const uint8_t *log = fake_platform_blob(t->plat, "audit.log", &len);
    uint8_t head[32] = {0};
    *clean = true;
    while (log != NULL && off < len) {
        sigil_audit_rec r;
        size_t used = sigil_audit_decode(log + off, len - off, &r);
        if (used == 0 || off + used + 32 > len) {
            *clean = false;
            break;
        }
        uint8_t buf[32 + SIGIL_AUDIT_RECORD_MAX], h[32];
        memcpy(buf, head, 32);
        memcpy(buf + 32, log + off, used);
        SHA256(buf, 32 + used, h);
        if (memcmp(h, log + off + used, 32) != 0 || r.seq != n) {
            *clean = false;
            break;
        }
        memcpy(head, h, 32);
        if (n < max)
            recs[n] = r;
        n++;
        off += used + 32;
    }
    return n;
}

