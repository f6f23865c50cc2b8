/* fuzz_module.c — the module's parsing of appliance responses: the PKCS#11 module (static
 * library) runs a fixed application over a hostile appliance. Every request goes to the
 * in-process fake appliance (tests/fakes/fake_appliance.c), whose correct answer the input then
 * damages before the module reads it; so the fuzzer starts from answers that parse and works
 * its way into every decoder of the module: the handshake, slot and token lists, mechanism
 * lists, object records and their attributes, login, key generation and signatures.
 *
 * Input: per response, one control byte and its operand bytes, in order (a response with no
 * input left is passed on untouched):
 *   op = ctl & 7:
 *     0  untouched
 *     1  body byte (a) set to (b)                       a: u8 offset mod body length
 *     2  body cut to (a) bytes, the header saying so    (body_len consistent)
 *     3  body_len in the header set to u32 (a b c d), the body kept (inconsistent length)
 *     4  status set to u32 (a b c d)
 *     5  request id set to u32 (a b c d)
 *     6  body replaced by (a) bytes taken from the input (header consistent)
 *     7  the connection breaks (this and every later read fails)
 *   ctl & 0x80: apply the next control byte to the same response too.
 *
 * Checks (FUZZ_CHECK, on in every build): every call returns; a length the module reports
 * never exceeds the buffer it filled; C_GetAttributeValue never claims CKR_OK with a length
 * beyond the template's buffer; C_Sign never writes past its buffer (guard bytes). With ASan
 * and UBSan (SIGIL_FUZZ=ON) any memory or undefined-behaviour error is a crash.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fake_appliance.h"
#include "fuzz_target.h"
#include "sigil_proto.h"
#include "test_hooks.h"

/* ---- the hostile transport: the fake appliance, its answers damaged ---- */

static struct {
    const uint8_t *data;
    size_t size, pos;
} in;

typedef struct {
    void *inner;              /* the fake appliance's connection */
    uint8_t *resp;            /* the damaged response, served to recv_all */
    size_t resp_len, resp_pos;
    bool broken;
} hostile_conn;

static bool take(uint8_t *b)
{
    if (in.pos >= in.size)
        return false;
    *b = in.data[in.pos++];
    return true;
}

static uint32_t take_u32(void)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t b = 0;
        (void)take(&b);
        v = v << 8 | b;
    }
    return v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Header fields (specs/protocol.md): body_len at 0, request_id at 8, status at 12. */
enum { HDR_BODY_LEN = 0, HDR_REQUEST_ID = 8, HDR_STATUS = 12 };

static void damage(hostile_conn *c)
{
    uint8_t ctl;
    bool again = true;
    while (again && take(&ctl)) {
        again = (ctl & 0x80) != 0;
        size_t body = c->resp_len - SIGIL_FRAME_HDR_LEN;
        uint8_t a = 0, b = 0;
        switch (ctl & 7) {
        case 0:
            break;
        case 1:
            (void)take(&a);
            (void)take(&b);
            if (body > 0)
                c->resp[SIGIL_FRAME_HDR_LEN + a % body] = b;
            break;
        case 2:
            (void)take(&a);
            if (a < body) {
                c->resp_len = SIGIL_FRAME_HDR_LEN + a;
                put_u32(c->resp + HDR_BODY_LEN, a);
            }
            break;
        case 3:
            put_u32(c->resp + HDR_BODY_LEN, take_u32());
            break;
        case 4:
            put_u32(c->resp + HDR_STATUS, take_u32());
            break;
        case 5:
            put_u32(c->resp + HDR_REQUEST_ID, take_u32());
            break;
        case 6: {
            (void)take(&a);
            size_t n = a;
            if (n > in.size - in.pos)
                n = in.size - in.pos;
            uint8_t *r = realloc(c->resp, SIGIL_FRAME_HDR_LEN + n);
            if (r == NULL)
                break;
            c->resp = r;
            memcpy(c->resp + SIGIL_FRAME_HDR_LEN, in.data + in.pos, n);
            in.pos += n;
            c->resp_len = SIGIL_FRAME_HDR_LEN + n;
            put_u32(c->resp + HDR_BODY_LEN, (uint32_t)n);
            break;
        }
        default:
            c->broken = true;
            break;
        }
    }
}

static void *h_open(void *ctx, const char *address, char *errmsg, size_t errlen)
{
    hostile_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->inner = fake_appliance_ops.open(ctx, address, errmsg, errlen);
    if (c->inner == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

/* A whole request goes to the fake appliance; its whole answer is read back and damaged. */
static int h_send_all(void *conn, const uint8_t *buf, size_t n)
{
    hostile_conn *c = conn;
    uint8_t hdr[SIGIL_FRAME_HDR_LEN];
    if (c->broken || fake_appliance_ops.send_all(c->inner, buf, n) != 0 ||
        fake_appliance_ops.recv_all(c->inner, hdr, sizeof(hdr)) != 0)
        return -1;
    size_t body = get_u32(hdr + HDR_BODY_LEN);
    free(c->resp);
    c->resp = malloc(SIGIL_FRAME_HDR_LEN + body);
    if (c->resp == NULL)
        return -1;
    memcpy(c->resp, hdr, sizeof(hdr));
    if (fake_appliance_ops.recv_all(c->inner, c->resp + SIGIL_FRAME_HDR_LEN, body) != 0)
        return -1;
    c->resp_len = SIGIL_FRAME_HDR_LEN + body;
    c->resp_pos = 0;
    damage(c);
    return 0;
}

static int h_recv_all(void *conn, uint8_t *buf, size_t n)
{
    hostile_conn *c = conn;
    if (c->broken || n > c->resp_len - c->resp_pos)
        return -1; /* what the damaged answer does not hold: the connection ends there */
    memcpy(buf, c->resp + c->resp_pos, n);
    c->resp_pos += n;
    return 0;
}

static void h_close(void *conn)
{
    hostile_conn *c = conn;
    if (c == NULL)
        return;
    fake_appliance_ops.close(c->inner);
    free(c->resp);
    free(c);
}

static const sigil_transport_ops hostile_ops = {
    .open = h_open,
    .send_all = h_send_all,
    .recv_all = h_recv_all,
    .close = h_close,
};

/* ---- the application ---- */

static bool tracing;

/* $FUZZ_MODULE_TRACE: every call's name and result, to see what an input does. */
static CK_RV traced(const char *call, CK_RV rv)
{
    if (tracing)
        fprintf(stderr, "fuzz_module: %-20s 0x%08lx\n", call, (unsigned long)rv);
    return rv;
}
#define T(call) traced(#call, call)

static void read_attributes(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o)
{
    uint8_t value[512], label[64], id[64];
    CK_OBJECT_CLASS cls = 0;
    CK_KEY_TYPE kt = 0;
    CK_BBOOL sensitive = 0;
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof(cls)},           {CKA_KEY_TYPE, &kt, sizeof(kt)},
        {CKA_LABEL, label, sizeof(label)},        {CKA_ID, id, sizeof(id)},
        {CKA_SENSITIVE, &sensitive, sizeof(sensitive)}, {CKA_EC_POINT, value, sizeof(value)},
        {CKA_MODULUS, value, sizeof(value)},      {CKA_EC_PARAMS, value, sizeof(value)},
    };
    const CK_ULONG caps[] = {sizeof(cls), sizeof(kt), sizeof(label), sizeof(id), sizeof(sensitive),
                             sizeof(value), sizeof(value), sizeof(value)};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        CK_RV rv = T(C_GetAttributeValue(s, o, &t[i], 1));
        if (rv == CKR_OK)
            FUZZ_CHECK(t[i].ulValueLen <= caps[i]);
    }
    /* Length queries. */
    CK_ATTRIBUTE q = {CKA_VALUE, NULL, 0};
    (void)T(C_GetAttributeValue(s, o, &q, 1));
}

static void sign_with(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE type)
{
    CK_MECHANISM mech = {type, NULL, 0};
    uint8_t digest[32] = {1, 2, 3};
    uint8_t sig[512 + 8];
    memset(sig + 512, 0xa5, 8);
    if (T(C_SignInit(s, &mech, key)) != CKR_OK)
        return;
    CK_ULONG len = 0;
    if (T(C_Sign(s, digest, sizeof(digest), NULL, &len)) != CKR_OK)
        return;
    len = 512;
    CK_RV rv = T(C_Sign(s, digest, sizeof(digest), sig, &len));
    if (rv == CKR_OK)
        FUZZ_CHECK(len <= 512);
    for (int i = 0; i < 8; i++)
        FUZZ_CHECK(sig[512 + i] == 0xa5);
}

static void run_application(void)
{
    CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
    if (T(C_Initialize(&args)) != CKR_OK)
        return;
    CK_INFO info;
    (void)T(C_GetInfo(&info));
    CK_SLOT_ID slots[8];
    CK_ULONG n = 8;
    if (T(C_GetSlotList(CK_FALSE, slots, &n)) == CKR_OK) {
        FUZZ_CHECK(n <= 8);
        for (CK_ULONG i = 0; i < n; i++) {
            CK_SLOT_INFO si;
            CK_TOKEN_INFO ti;
            CK_MECHANISM_TYPE mechs[64];
            CK_ULONG nm = 64;
            (void)T(C_GetSlotInfo(slots[i], &si));
            (void)T(C_GetTokenInfo(slots[i], &ti));
            if (T(C_GetMechanismList(slots[i], mechs, &nm)) == CKR_OK)
                FUZZ_CHECK(nm <= 64);
        }
    }
    CK_SESSION_HANDLE s;
    if (T(C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s)) == CKR_OK) {
        (void)T(C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)FAKE_USER_PIN, sizeof(FAKE_USER_PIN) - 1));
        CK_OBJECT_HANDLE found[16];
        CK_ULONG nf = 0;
        if (T(C_FindObjectsInit(s, NULL, 0)) == CKR_OK) {
            if (T(C_FindObjects(s, found, 16, &nf)) == CKR_OK)
                FUZZ_CHECK(nf <= 16);
            (void)T(C_FindObjectsFinal(s));
        }
        for (CK_ULONG i = 0; i < nf && i < 16; i++)
            read_attributes(s, found[i]);
        sign_with(s, FAKE_EC_PRIV, CKM_ECDSA);
        sign_with(s, FAKE_RSA_PRIV, CKM_SHA256_RSA_PKCS);
        /* Key generation: the new pair's records come back from the appliance. */
        static const uint8_t p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
        CK_BBOOL yes = CK_TRUE;
        CK_ATTRIBUTE pub_t[] = {{CKA_EC_PARAMS, (void *)p256, sizeof(p256)}, {CKA_TOKEN, &yes, sizeof(yes)}};
        CK_ATTRIBUTE priv_t[] = {{CKA_SIGN, &yes, sizeof(yes)}, {CKA_TOKEN, &yes, sizeof(yes)}};
        CK_MECHANISM gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
        CK_OBJECT_HANDLE pub = 0, priv = 0;
        if (T(C_GenerateKeyPair(s, &gen, pub_t, 2, priv_t, 2, &pub, &priv)) == CKR_OK) {
            read_attributes(s, pub);
            sign_with(s, priv, CKM_ECDSA);
        }
        uint8_t rnd[32];
        (void)T(C_GenerateRandom(s, rnd, sizeof(rnd)));
        (void)T(C_Logout(s));
        (void)T(C_CloseSession(s));
    }
    (void)T(C_Finalize(NULL));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("SIGIL_APPLIANCE", "unix:/nonexistent/fuzz.sock", 1);
    setenv("SIGIL_CONNECTIONS", "1", 1);
    tracing = getenv("FUZZ_MODULE_TRACE") != NULL;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in.data = data;
    in.size = size;
    in.pos = 0;
    fake_appliance_reset();
    sigil_module_test_set_transport(&hostile_ops, NULL);
    run_application();
    return 0;
}
