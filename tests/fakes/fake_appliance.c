/* fake_appliance.c — the fake appliance of fake_appliance.h: frames in through send_all, canned
 * answers out through recv_all, built with sigil_wr like the real firmware does. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_appliance.h"

#define FAKE_SLOTS 2u
#define FAKE_MAX_OBJS 64u
#define FAKE_OUT_CAP (2u * (SIGIL_FRAME_HDR_LEN + SIGIL_FRAME_MAX_BODY))

typedef struct {
    uint32_t flags;
    char label[33];
    uint32_t login; /* one application context is enough for the tests */
    sigil_obj_record objs[FAKE_MAX_OBJS];
    size_t n_objs;
} fake_slot;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static fake_slot g_slots[FAKE_SLOTS];
static unsigned g_counts[0x100];
static bool g_fail_open;
static uint16_t g_fail_op;
static uint32_t g_fail_status;
static uint32_t g_next_handle;
static fake_sign_req g_last_sign;
static uint8_t g_kg_type;
static uint32_t g_kg_param;
static size_t g_kg_id_len;
static char g_kg_label[129];
static sigil_obj_record g_last_create;
static sigil_obj_record g_last_set;
static uint8_t g_last_set_what;

typedef struct {
    uint8_t *in;
    size_t in_len;
    uint8_t *out;
    size_t out_len;
    size_t out_pos;
} fake_conn;

static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};

static void make_pair(fake_slot *s, uint32_t h_pub, uint8_t key_type, uint32_t bits, const uint8_t *id,
                      size_t id_len, const char *label)
{
    for (int i = 0; i < 2; i++) {
        sigil_obj_record *o = &s->objs[s->n_objs++];
        memset(o, 0, sizeof(*o));
        o->handle = h_pub + (uint32_t)i;
        o->obj_class = i == 0 ? SIGIL_CLASS_PUBLIC_KEY : SIGIL_CLASS_PRIVATE_KEY;
        o->key_type = key_type;
        o->bits = bits;
        o->flags = SIGIL_OBJ_LOCAL | (i == 0 ? SIGIL_OBJ_VERIFY
                                             : SIGIL_OBJ_SIGN | SIGIL_OBJ_PRIVATE | SIGIL_OBJ_SENSITIVE);
        memcpy(o->id, id, id_len);
        o->id_len = id_len;
        snprintf(o->label, sizeof(o->label), "%s", label);
        if (key_type == SIGIL_KEYTYPE_EC) {
            const uint8_t *oid = bits == 256 ? oid_p256 : oid_p384;
            size_t oid_len = bits == 256 ? sizeof(oid_p256) : sizeof(oid_p384);
            memcpy(o->pub_a, oid, oid_len);
            o->pub_a_len = oid_len;
            o->pub_b_len = 1 + 2 * ((bits + 7) / 8);
            memset(o->pub_b, 0x42, o->pub_b_len);
            o->pub_b[0] = 0x04;
        } else {
            o->pub_a_len = bits / 8;
            memset(o->pub_a, 0xC3, o->pub_a_len);
            o->pub_b[0] = 0x01;
            o->pub_b[1] = 0x00;
            o->pub_b[2] = 0x01;
            o->pub_b_len = 3;
        }
    }
}

void fake_appliance_reset(void)
{
    static const uint8_t id_ec[] = {0xEC, 0x01};
    static const uint8_t id_rsa[] = {0x5A, 0x01};
    pthread_mutex_lock(&g_mu);
    memset(g_slots, 0, sizeof(g_slots));
    memset(g_counts, 0, sizeof(g_counts));
    g_slots[0].flags = SIGIL_TOKEN_INITIALIZED | SIGIL_TOKEN_USER_PIN_INITIALIZED;
    snprintf(g_slots[0].label, sizeof(g_slots[0].label), "fake token");
    make_pair(&g_slots[0], FAKE_EC_PUB, SIGIL_KEYTYPE_EC, 256, id_ec, sizeof(id_ec), "ec key");
    make_pair(&g_slots[0], FAKE_RSA_PUB, SIGIL_KEYTYPE_RSA, 2048, id_rsa, sizeof(id_rsa), "rsa key");
    g_fail_open = false;
    g_fail_op = 0;
    g_fail_status = 0;
    g_next_handle = 100;
    memset(&g_last_sign, 0, sizeof(g_last_sign));
    memset(&g_last_create, 0, sizeof(g_last_create));
    memset(&g_last_set, 0, sizeof(g_last_set));
    g_last_set_what = 0;
    pthread_mutex_unlock(&g_mu);
}

unsigned fake_appliance_count(uint16_t opcode)
{
    pthread_mutex_lock(&g_mu);
    unsigned n = g_counts[opcode & 0xff];
    pthread_mutex_unlock(&g_mu);
    return n;
}

void fake_appliance_fail_open(bool fail)
{
    pthread_mutex_lock(&g_mu);
    g_fail_open = fail;
    pthread_mutex_unlock(&g_mu);
}

void fake_appliance_fail_next(uint16_t opcode, uint32_t status)
{
    pthread_mutex_lock(&g_mu);
    g_fail_op = opcode;
    g_fail_status = status;
    pthread_mutex_unlock(&g_mu);
}

fake_sign_req fake_appliance_last_sign(void)
{
    pthread_mutex_lock(&g_mu);
    fake_sign_req r = g_last_sign;
    pthread_mutex_unlock(&g_mu);
    return r;
}

void fake_appliance_last_keygen(uint8_t *key_type, uint32_t *param, size_t *id_len, char *label, size_t cap)
{
    pthread_mutex_lock(&g_mu);
    *key_type = g_kg_type;
    *param = g_kg_param;
    *id_len = g_kg_id_len;
    snprintf(label, cap, "%s", g_kg_label);
    pthread_mutex_unlock(&g_mu);
}

void fake_appliance_last_create(sigil_obj_record *out)
{
    pthread_mutex_lock(&g_mu);
    *out = g_last_create;
    pthread_mutex_unlock(&g_mu);
}

uint8_t fake_appliance_last_set(sigil_obj_record *out)
{
    pthread_mutex_lock(&g_mu);
    *out = g_last_set;
    uint8_t what = g_last_set_what;
    pthread_mutex_unlock(&g_mu);
    return what;
}

static sigil_obj_record *find_obj(fake_slot *s, uint32_t h);

bool fake_appliance_remove(uint32_t slot, uint32_t handle)
{
    bool found = false;
    pthread_mutex_lock(&g_mu);
    if (slot < FAKE_SLOTS) {
        fake_slot *s = &g_slots[slot];
        sigil_obj_record *o = find_obj(s, handle);
        if (o != NULL) {
            size_t i = (size_t)(o - s->objs);
            memmove(&s->objs[i], &s->objs[i + 1], (s->n_objs - i - 1) * sizeof(*o));
            s->n_objs--;
            found = true;
        }
    }
    pthread_mutex_unlock(&g_mu);
    return found;
}

void fake_appliance_logout_all(void)
{
    pthread_mutex_lock(&g_mu);
    for (uint32_t i = 0; i < FAKE_SLOTS; i++)
        g_slots[i].login = SIGIL_LOGIN_NONE;
    pthread_mutex_unlock(&g_mu);
}

static bool pin_is(const uint8_t *p, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(p, want, n) == 0;
}

static sigil_obj_record *find_obj(fake_slot *s, uint32_t h)
{
    for (size_t i = 0; i < s->n_objs; i++)
        if (s->objs[i].handle == h)
            return &s->objs[i];
    return NULL;
}

/* Handles one request body; writes the response body into w; returns the status. Lock held. */
static uint32_t handle(uint16_t op, sigil_rd *r, sigil_wr *w)
{
    size_t n = 0;
    if (op == SIGIL_OP_HELLO) {
        (void)sigil_rd_u16(r);
        (void)sigil_rd_bytes(r, 16, &n);
        if (!sigil_rd_done(r) || n != 16)
            return SIGIL_ST_BAD_FRAME;
        sigil_wr_u16(w, 1);
        sigil_wr_u32(w, FAKE_SLOTS);
        sigil_wr_str(w, "1.2.3-fake");
        return SIGIL_ST_OK;
    }
    if (op == SIGIL_OP_RANDOM) {
        uint32_t len = sigil_rd_u32(r);
        if (!sigil_rd_done(r) || len == 0 || len > SIGIL_RANDOM_MAX)
            return SIGIL_ST_BAD_ARGUMENT;
        sigil_wr_u32(w, len);
        uint8_t *p = sigil_wr_reserve(w, len);
        if (p != NULL)
            memset(p, 0x5A, len);
        return SIGIL_ST_OK;
    }
    if (op == SIGIL_OP_SLOT_LIST) {
        sigil_wr_u32(w, FAKE_SLOTS);
        for (uint32_t i = 0; i < FAKE_SLOTS; i++) {
            sigil_wr_u32(w, i);
            sigil_wr_u32(w, g_slots[i].flags);
            sigil_wr_str(w, g_slots[i].label);
        }
        return SIGIL_ST_OK;
    }
    uint32_t slot = sigil_rd_u32(r);
    if (!sigil_rd_ok(r))
        return SIGIL_ST_BAD_FRAME;
    if (slot >= FAKE_SLOTS)
        return SIGIL_ST_SLOT_INVALID;
    fake_slot *s = &g_slots[slot];
    switch (op) {
    case SIGIL_OP_TOKEN_INFO:
        if (!sigil_rd_done(r))
            return SIGIL_ST_BAD_FRAME;
        sigil_wr_u32(w, s->flags);
        sigil_wr_str(w, s->label);
        sigil_wr_str(w, "FAKE0001");
        sigil_wr_u32(w, (uint32_t)s->n_objs);
        sigil_wr_u32(w, s->login);
        sigil_wr_u32(w, 3);
        sigil_wr_u32(w, 3);
        return SIGIL_ST_OK;
    case SIGIL_OP_LOGIN: {
        uint32_t type = sigil_rd_u32(r);
        const uint8_t *pin = sigil_rd_bytes(r, 64, &n);
        if (!sigil_rd_done(r))
            return SIGIL_ST_BAD_FRAME;
        if (!(s->flags & SIGIL_TOKEN_INITIALIZED))
            return SIGIL_ST_TOKEN_NOT_INITIALIZED;
        if (n < 4)
            return SIGIL_ST_PIN_LEN_RANGE;
        if (type == SIGIL_USER_CONTEXT)
            return s->login != SIGIL_LOGIN_USER ? SIGIL_ST_NOT_LOGGED_IN
                   : pin_is(pin, n, FAKE_USER_PIN) ? SIGIL_ST_OK
                                                   : SIGIL_ST_PIN_INCORRECT;
        if (type > SIGIL_USER_USER)
            return SIGIL_ST_USER_TYPE_INVALID;
        uint32_t want = type == SIGIL_USER_USER ? SIGIL_LOGIN_USER : SIGIL_LOGIN_SO;
        if (s->login == want)
            return SIGIL_ST_ALREADY_LOGGED_IN;
        if (s->login != SIGIL_LOGIN_NONE)
            return SIGIL_ST_ANOTHER_USER_LOGGED_IN;
        if (!pin_is(pin, n, type == SIGIL_USER_USER ? FAKE_USER_PIN : FAKE_SO_PIN))
            return SIGIL_ST_PIN_INCORRECT;
        s->login = want;
        return SIGIL_ST_OK;
    }
    case SIGIL_OP_LOGOUT:
        if (s->login == SIGIL_LOGIN_NONE)
            return SIGIL_ST_NOT_LOGGED_IN;
        s->login = SIGIL_LOGIN_NONE;
        return SIGIL_ST_OK;
    case SIGIL_OP_INIT_TOKEN:
        (void)sigil_rd_bytes(r, 64, &n);
        (void)sigil_rd_bytes(r, 32, &n);
        if (!sigil_rd_done(r))
            return SIGIL_ST_BAD_FRAME;
        s->flags |= SIGIL_TOKEN_INITIALIZED;
        return SIGIL_ST_OK;
    case SIGIL_OP_INIT_PIN:
        (void)sigil_rd_bytes(r, 64, &n);
        if (!sigil_rd_done(r))
            return SIGIL_ST_BAD_FRAME;
        if (s->login != SIGIL_LOGIN_SO)
            return SIGIL_ST_NOT_AUTHORIZED;
        return SIGIL_ST_OK;
    case SIGIL_OP_SET_PIN:
        (void)sigil_rd_bytes(r, 64, &n);
        (void)sigil_rd_bytes(r, 64, &n);
        return sigil_rd_done(r) ? SIGIL_ST_OK : SIGIL_ST_BAD_FRAME;
    case SIGIL_OP_OBJECT_LIST: {
        if (!sigil_rd_done(r))
            return SIGIL_ST_BAD_FRAME;
        uint32_t k = 0;
        for (size_t i = 0; i < s->n_objs; i++)
            if (!(s->objs[i].flags & SIGIL_OBJ_PRIVATE) || s->login == SIGIL_LOGIN_USER)
                k++;
        sigil_wr_u32(w, k);
        for (size_t i = 0; i < s->n_objs; i++)
            if (!(s->objs[i].flags & SIGIL_OBJ_PRIVATE) || s->login == SIGIL_LOGIN_USER)
                sigil_obj_record_write(w, &s->objs[i]);
        return SIGIL_ST_OK;
    }
    case SIGIL_OP_GENERATE_KEYPAIR: {
        uint8_t kt = sigil_rd_u8(r);
        uint32_t param = sigil_rd_u32(r);
        const uint8_t *id = sigil_rd_bytes(r, 64, &n);
        char label[129];
        sigil_rd_str(r, label, 128);
        if (!sigil_rd_done(r))
            return SIGIL_ST_BAD_FRAME;
        if (s->login != SIGIL_LOGIN_USER)
            return SIGIL_ST_NOT_LOGGED_IN;
        g_kg_type = kt;
        g_kg_param = param;
        g_kg_id_len = n;
        snprintf(g_kg_label, sizeof(g_kg_label), "%s", label);
        if (s->n_objs + 2 > FAKE_MAX_OBJS)
            return SIGIL_ST_OBJECT_LIMIT;
        uint32_t h = g_next_handle;
        g_next_handle += 2;
        make_pair(s, h, kt, param, id, n, label);
        sigil_obj_record_write(w, &s->objs[s->n_objs - 2]);
        sigil_obj_record_write(w, &s->objs[s->n_objs - 1]);
        return SIGIL_ST_OK;
    }
    case SIGIL_OP_DESTROY_OBJECT: {
        uint32_t h = sigil_rd_u32(r);
        if (!sigil_rd_done(r))
            return SIGIL_ST_BAD_FRAME;
        if (s->login != SIGIL_LOGIN_USER)
            return SIGIL_ST_NOT_LOGGED_IN;
        sigil_obj_record *o = find_obj(s, h);
        if (o == NULL)
            return SIGIL_ST_OBJECT_INVALID;
        size_t i = (size_t)(o - s->objs);
        memmove(&s->objs[i], &s->objs[i + 1], (s->n_objs - i - 1) * sizeof(*o));
        s->n_objs--;
        return SIGIL_ST_OK;
    }
    case SIGIL_OP_CREATE_OBJECT: {
        sigil_obj_record *o = &s->objs[s->n_objs];
        if (s->n_objs >= FAKE_MAX_OBJS)
            return SIGIL_ST_OBJECT_LIMIT;
        sigil_obj_record_read(r, o);
        if (!sigil_rd_done(r))
            return SIGIL_ST_BAD_FRAME;
        g_last_create = *o;
        if (s->login != SIGIL_LOGIN_USER)
            return SIGIL_ST_NOT_LOGGED_IN;
        /* As the firmware: no private keys, no device-only flags, no further attributes on keys. */
        if (o->flags & (SIGIL_OBJ_SIGN | SIGIL_OBJ_SENSITIVE | SIGIL_OBJ_LOCAL | SIGIL_OBJ_ALWAYS_AUTH))
            return SIGIL_ST_TEMPLATE_INCONSISTENT;
        if (o->obj_class == SIGIL_CLASS_PUBLIC_KEY) {
            if (o->attrs_len != 0)
                return SIGIL_ST_TEMPLATE_INCONSISTENT;
            if ((o->key_type != SIGIL_KEYTYPE_EC && o->key_type != SIGIL_KEYTYPE_RSA) || o->pub_a_len == 0 ||
                o->pub_b_len == 0)
                return SIGIL_ST_BAD_ARGUMENT;
            o->flags |= SIGIL_OBJ_VERIFY;
        } else if (o->obj_class == SIGIL_CLASS_CERTIFICATE || o->obj_class == SIGIL_CLASS_DATA) {
            if (o->key_type != 0 || o->pub_a_len != 0 || o->pub_b_len != 0)
                return SIGIL_ST_BAD_ARGUMENT;
        } else {
            return SIGIL_ST_TEMPLATE_INCONSISTENT;
        }
        o->handle = g_next_handle++;
        s->n_objs++;
        sigil_obj_record_write(w, o);
        return SIGIL_ST_OK;
    }
    case SIGIL_OP_SET_OBJECT: {
        char label[SIGIL_OBJ_LABEL_MAX_LEN + 1];
        size_t id_len = 0, attrs_len = 0;
        uint32_t h = sigil_rd_u32(r);
        uint8_t what = sigil_rd_u8(r);
        sigil_rd_str(r, label, SIGIL_OBJ_LABEL_MAX_LEN);
        const uint8_t *id = sigil_rd_bytes(r, SIGIL_ID_MAX_LEN, &id_len);
        const uint8_t *attrs = sigil_rd_bytes(r, SIGIL_OBJ_ATTRS_MAX, &attrs_len);
        if (!sigil_rd_done(r))
            return SIGIL_ST_BAD_FRAME;
        if (what == 0 || (what & ~(SIGIL_SET_LABEL | SIGIL_SET_ID | SIGIL_SET_ATTRS)) != 0)
            return SIGIL_ST_BAD_ARGUMENT;
        if (s->login != SIGIL_LOGIN_USER)
            return SIGIL_ST_NOT_LOGGED_IN;
        sigil_obj_record *o = find_obj(s, h);
        if (o == NULL)
            return SIGIL_ST_OBJECT_INVALID;
        bool key = o->obj_class == SIGIL_CLASS_PUBLIC_KEY || o->obj_class == SIGIL_CLASS_PRIVATE_KEY;
        if ((what & SIGIL_SET_ATTRS) && key)
            return SIGIL_ST_TEMPLATE_INCONSISTENT;
        if (what & SIGIL_SET_LABEL)
            snprintf(o->label, sizeof(o->label), "%s", label);
        if (what & SIGIL_SET_ID) {
            memcpy(o->id, id, id_len);
            o->id_len = id_len;
        }
        if (what & SIGIL_SET_ATTRS) {
            memcpy(o->attrs, attrs, attrs_len);
            o->attrs_len = attrs_len;
        }
        g_last_set = *o;
        g_last_set_what = what;
        sigil_obj_record_write(w, o);
        return SIGIL_ST_OK;
    }
    case SIGIL_OP_SIGN: {
        fake_sign_req q;
        memset(&q, 0, sizeof(q));
        q.slot = slot;
        q.handle = sigil_rd_u32(r);
        q.mech = sigil_rd_u8(r);
        q.pss_hash = sigil_rd_u8(r);
        q.salt_len = sigil_rd_u32(r);
        const uint8_t *in = sigil_rd_bytes(r, 1024, &n);
        if (!sigil_rd_done(r))
            return SIGIL_ST_BAD_FRAME;
        memcpy(q.input, in, n);
        q.input_len = n;
        g_last_sign = q;
        if (s->login != SIGIL_LOGIN_USER)
            return SIGIL_ST_NOT_LOGGED_IN;
        sigil_obj_record *o = find_obj(s, q.handle);
        if (o == NULL || o->obj_class != SIGIL_CLASS_PRIVATE_KEY)
            return SIGIL_ST_OBJECT_INVALID;
        size_t len = o->key_type == SIGIL_KEYTYPE_EC ? 2 * ((o->bits + 7) / 8) : o->bits / 8;
        sigil_wr_u32(w, (uint32_t)len);
        uint8_t *p = sigil_wr_reserve(w, len);
        if (p != NULL)
            memset(p, 0xAB, len);
        return SIGIL_ST_OK;
    }
    default:
        return SIGIL_ST_UNKNOWN_OPCODE;
    }
}

static void *fake_open(void *ctx, const char *address, char *errmsg, size_t errlen)
{
    (void)ctx;
    pthread_mutex_lock(&g_mu);
    bool fail = g_fail_open;
    pthread_mutex_unlock(&g_mu);
    if (fail) {
        snprintf(errmsg, errlen, "fake: cannot connect to %s", address);
        return NULL;
    }
    fake_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->in = malloc(SIGIL_FRAME_HDR_LEN + SIGIL_FRAME_MAX_BODY);
    c->out = malloc(FAKE_OUT_CAP);
    if (c->in == NULL || c->out == NULL) {
        free(c->in);
        free(c->out);
        free(c);
        return NULL;
    }
    return c;
}

/* Answers every complete frame in c->in. */
static int process(fake_conn *c)
{
    while (c->in_len >= SIGIL_FRAME_HDR_LEN) {
        sigil_frame_hdr h;
        if (sigil_frame_hdr_decode(c->in, SIGIL_FRAME_MAX_BODY, &h) != SIGIL_ST_OK)
            return -1;
        size_t total = SIGIL_FRAME_HDR_LEN + h.body_len;
        if (c->in_len < total)
            return 0;
        sigil_rd r;
        sigil_wr w;
        sigil_rd_init(&r, c->in + SIGIL_FRAME_HDR_LEN, h.body_len);
        /* Responses queue up in order (a pipelining client may send several requests first). */
        if (c->out_pos == c->out_len) {
            c->out_pos = 0;
            c->out_len = 0;
        } else if (c->out_pos > 0) {
            memmove(c->out, c->out + c->out_pos, c->out_len - c->out_pos);
            c->out_len -= c->out_pos;
            c->out_pos = 0;
        }
        if (FAKE_OUT_CAP - c->out_len < SIGIL_FRAME_HDR_LEN)
            return -1;
        uint8_t *frame = c->out + c->out_len;
        sigil_wr_init(&w, frame + SIGIL_FRAME_HDR_LEN, FAKE_OUT_CAP - c->out_len - SIGIL_FRAME_HDR_LEN);
        pthread_mutex_lock(&g_mu);
        g_counts[h.opcode & 0xff]++;
        uint32_t st;
        if (g_fail_op != 0 && g_fail_op == h.opcode) {
            st = g_fail_status;
            g_fail_op = 0;
        } else {
            st = handle(h.opcode, &r, &w);
        }
        pthread_mutex_unlock(&g_mu);
        if (st == SIGIL_ST_OK && !sigil_wr_ok(&w))
            st = SIGIL_ST_GENERAL_ERROR;
        if (st != SIGIL_ST_OK)
            w.len = 0;
        sigil_frame_hdr rh = {
            .body_len = (uint32_t)w.len,
            .version = 1,
            .kind = SIGIL_KIND_RESPONSE,
            .opcode = h.opcode,
            .request_id = h.request_id,
            .status = st,
        };
        sigil_frame_hdr_encode(&rh, frame);
        c->out_len += SIGIL_FRAME_HDR_LEN + w.len;
        memmove(c->in, c->in + total, c->in_len - total);
        c->in_len -= total;
    }
    return 0;
}

static int fake_send_all(void *conn, const uint8_t *buf, size_t n)
{
    fake_conn *c = conn;
    if (n > SIGIL_FRAME_HDR_LEN + SIGIL_FRAME_MAX_BODY - c->in_len)
        return -1;
    memcpy(c->in + c->in_len, buf, n);
    c->in_len += n;
    return process(c);
}

static int fake_recv_all(void *conn, uint8_t *buf, size_t n)
{
    fake_conn *c = conn;
    if (n > c->out_len - c->out_pos)
        return -1;
    memcpy(buf, c->out + c->out_pos, n);
    c->out_pos += n;
    return 0;
}

static void fake_close(void *conn)
{
    fake_conn *c = conn;
    if (c == NULL)
        return;
    free(c->in);
    free(c->out);
    free(c);
}

const sigil_transport_ops fake_appliance_ops = {
    .open = fake_open,
    .send_all = fake_send_all,
    .recv_all = fake_recv_all,
    .close = fake_close,
};
