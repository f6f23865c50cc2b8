/* fuzz_layout.c — command layouts (specs/protocol.md) and the generic checked
 * decoder the fuzz targets share. */
#include "fuzz_layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"

void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
    fflush(stderr);
    abort();
}

/* ---- layouts --------------------------------------------------------------- */

#define F_U8 {.type = FUZZ_FIELD_U8}
#define F_U16 {.type = FUZZ_FIELD_U16}
#define F_U32 {.type = FUZZ_FIELD_U32}
#define F_U64 {.type = FUZZ_FIELD_U64}
#define F_BYTES(m) {.type = FUZZ_FIELD_BYTES, .max = (m)}
#define F_STR(m) {.type = FUZZ_FIELD_STR, .max = (m)}
#define F_RECORD {.type = FUZZ_FIELD_RECORD}
#define F_LIST(e) {.type = FUZZ_FIELD_LIST, .elem = (e)}
#define F_END {.type = FUZZ_FIELD_END}

static const fuzz_field l_empty[] = {F_END};
static const fuzz_field l_pin[] = {F_BYTES(SIGIL_PIN_MAX_LEN), F_END};
static const fuzz_field l_slot[] = {F_U32, F_END};

static const fuzz_field l_hello_req[] = {F_U16, F_BYTES(SIGIL_APP_TOKEN_LEN), F_END};
static const fuzz_field l_hello_resp[] = {F_U16, F_U32, F_STR(64), F_END};
static const fuzz_field l_info_resp[] = {F_STR(64), F_STR(64), F_U8, F_U8, F_U32, F_U32, F_U8,
                                         F_STR(256), F_STR(16), F_U64, F_U32, F_BYTES(8), F_END};
static const fuzz_field l_slot_entry[] = {F_U32, F_U32, F_STR(SIGIL_LABEL_MAX_LEN), F_END};
static const fuzz_field l_slot_list_resp[] = {F_LIST(l_slot_entry), F_END};
static const fuzz_field l_token_info_resp[] = {F_U32, F_STR(SIGIL_LABEL_MAX_LEN), F_STR(16), F_U32,
                                               F_U32, F_U32, F_U32, F_END};
static const fuzz_field l_init_token_req[] = {F_U32, F_BYTES(SIGIL_PIN_MAX_LEN),
                                              F_STR(SIGIL_LABEL_MAX_LEN), F_END};
static const fuzz_field l_seal_create_req[] = {F_STR(SIGIL_LABEL_MAX_LEN), F_BYTES(SIGIL_PIN_MAX_LEN),
                                               F_BYTES(SIGIL_PIN_MAX_LEN), F_END};
static const fuzz_field l_login_req[] = {F_U32, F_U32, F_BYTES(SIGIL_PIN_MAX_LEN), F_END};
static const fuzz_field l_init_pin_req[] = {F_U32, F_BYTES(SIGIL_PIN_MAX_LEN), F_END};
static const fuzz_field l_set_pin_req[] = {F_U32, F_BYTES(SIGIL_PIN_MAX_LEN), F_BYTES(SIGIL_PIN_MAX_LEN),
                                           F_END};
static const fuzz_field l_record[] = {F_RECORD, F_END};
const fuzz_field fuzz_layout_record_list[] = {F_LIST(l_record), F_END};
static const fuzz_field l_keygen_req[] = {F_U32, F_U8, F_U32, F_BYTES(SIGIL_ID_MAX_LEN),
                                          F_STR(SIGIL_OBJ_LABEL_MAX_LEN), F_END};
static const fuzz_field l_keygen_resp[] = {F_RECORD, F_RECORD, F_END};
static const fuzz_field l_destroy_req[] = {F_U32, F_U32, F_END};
static const fuzz_field l_create_object_req[] = {F_U32, F_RECORD, F_END};
static const fuzz_field l_set_object_req[] = {F_U32, F_U32, F_U8, F_STR(SIGIL_OBJ_LABEL_MAX_LEN),
                                              F_BYTES(SIGIL_ID_MAX_LEN), F_BYTES(SIGIL_OBJ_ATTRS_MAX), F_END};
static const fuzz_field l_policy_set_req[] = {F_U32, F_U8, F_U32, F_U32, F_U32, F_U64, F_U64, F_END};
static const fuzz_field l_policy_get_resp[] = {F_U8, F_U8, F_U32, F_U32, F_U32, F_U64, F_U64, F_U64, F_END};
static const fuzz_field l_seal_state_req[] = {F_U32, F_U8, F_END};
static const fuzz_field l_cred_set_req[] = {F_U8, F_BYTES(SIGIL_PIN_MAX_LEN), F_END};
static const fuzz_field l_device_keys_resp[] = {F_STR(16), F_BYTES(65), F_BYTES(65), F_END};
static const fuzz_field l_audit_read_req[] = {F_U64, F_U32, F_END};
static const fuzz_field l_audit_read_resp[] = {F_U64, F_BYTES(524288), F_END};
static const fuzz_field l_u64[] = {F_U64, F_END};
static const fuzz_field l_attest_req[] = {F_U32, F_U32, F_END};
static const fuzz_field l_attest_resp[] = {F_BYTES(8192), F_BYTES(64), F_END};
static const fuzz_field l_zeroize_req[] = {F_STR(16), F_END};
static const fuzz_field l_domain_create_resp[] = {F_BYTES(32), F_BYTES(8), F_END};
static const fuzz_field l_domain_join_req[] = {F_BYTES(32), F_END};
static const fuzz_field l_domain_join_resp[] = {F_BYTES(8), F_END};
static const fuzz_field l_backup[] = {F_BYTES(SIGIL_FRAME_MAX_BODY), F_END};
static const fuzz_field l_sign_req[] = {F_U32, F_U32, F_U8, F_U8, F_U32, F_BYTES(SIGIL_SIGN_MAX_INPUT),
                                        F_END};
static const fuzz_field l_sign_resp[] = {F_BYTES(512), F_END};
static const fuzz_field l_random_resp[] = {F_BYTES(SIGIL_RANDOM_MAX), F_END};

const fuzz_command fuzz_commands[] = {
    {SIGIL_OP_HELLO, l_hello_req, l_hello_resp},
    {SIGIL_OP_INFO, l_empty, l_info_resp},
    {SIGIL_OP_APPLIANCE_INIT, l_pin, l_empty},
    {SIGIL_OP_ADMIN_LOGIN, l_pin, l_empty},
    {SIGIL_OP_ADMIN_LOGOUT, l_empty, l_empty},
    {SIGIL_OP_CRED_SET, l_cred_set_req, l_empty},
    {SIGIL_OP_AUDITOR_LOGIN, l_pin, l_empty},
    {SIGIL_OP_SLOT_LIST, l_empty, l_slot_list_resp},
    {SIGIL_OP_TOKEN_INFO, l_slot, l_token_info_resp},
    {SIGIL_OP_INIT_TOKEN, l_init_token_req, l_empty},
    {SIGIL_OP_SEAL_CREATE, l_seal_create_req, l_slot},
    {SIGIL_OP_LOGIN, l_login_req, l_empty},
    {SIGIL_OP_LOGOUT, l_slot, l_empty},
    {SIGIL_OP_INIT_PIN, l_init_pin_req, l_empty},
    {SIGIL_OP_SET_PIN, l_set_pin_req, l_empty},
    {SIGIL_OP_OBJECT_LIST, l_slot, fuzz_layout_record_list},
    {SIGIL_OP_GENERATE_KEYPAIR, l_keygen_req, l_keygen_resp},
    {SIGIL_OP_DESTROY_OBJECT, l_destroy_req, l_empty},
    {SIGIL_OP_CREATE_OBJECT, l_create_object_req, l_record},
    {SIGIL_OP_SET_OBJECT, l_set_object_req, l_record},
    {SIGIL_OP_POLICY_SET, l_policy_set_req, l_empty},
    {SIGIL_OP_POLICY_GET, l_slot, l_policy_get_resp},
    {SIGIL_OP_SEAL_STATE, l_seal_state_req, l_empty},
    {SIGIL_OP_SIGN, l_sign_req, l_sign_resp},
    {SIGIL_OP_RANDOM, l_slot, l_random_resp},
    {SIGIL_OP_DEVICE_KEYS, l_empty, l_device_keys_resp},
    {SIGIL_OP_AUDIT_READ, l_audit_read_req, l_audit_read_resp},
    {SIGIL_OP_AUDIT_CHECKPOINT, l_empty, l_u64},
    {SIGIL_OP_ATTEST, l_attest_req, l_attest_resp},
    {SIGIL_OP_ZEROIZE, l_zeroize_req, l_empty},
    {SIGIL_OP_BACKUP_DOMAIN_CREATE, l_empty, l_domain_create_resp},
    {SIGIL_OP_BACKUP_DOMAIN_JOIN, l_domain_join_req, l_domain_join_resp},
    {SIGIL_OP_BACKUP_EXPORT, l_slot, l_backup},
    {SIGIL_OP_BACKUP_RESTORE, l_backup, l_slot},
};
const size_t fuzz_command_count = sizeof(fuzz_commands) / sizeof(fuzz_commands[0]);

#undef F_U8
#undef F_U16
#undef F_U32
#undef F_U64
#undef F_BYTES
#undef F_STR
#undef F_RECORD
#undef F_LIST
#undef F_END

static const fuzz_command *find(uint16_t opcode)
{
    for (size_t i = 0; i < fuzz_command_count; i++) {
        if (fuzz_commands[i].opcode == opcode)
            return &fuzz_commands[i];
    }
    return NULL;
}

const fuzz_command *fuzz_command_find(uint16_t opcode)
{
    static bool checked;
    if (!checked) {
        /* An opcode of the protocol without a layout here is still fuzzed, with the
         * frame-level checks only: say so once, loudly. */
#define FUZZ_OPCODE_HAS_LAYOUT(name, num)                                                        \
    if (find(num) == NULL)                                                                       \
        fprintf(stderr, "fuzz: WARNING: no layout for opcode " #name " in tests/fuzz/fuzz_layout.c: " \
                        "its bodies are not checked\n");
        SIGIL_OPCODE_LIST(FUZZ_OPCODE_HAS_LAYOUT)
#undef FUZZ_OPCODE_HAS_LAYOUT
        /* ...and every layout belongs to an opcode of the protocol. */
        for (size_t i = 0; i < fuzz_command_count; i++)
            FUZZ_CHECK(strcmp(sigil_opcode_name(fuzz_commands[i].opcode), "UNKNOWN") != 0);
        checked = true;
    }
    return find(opcode);
}

/* ---- checked decoding ------------------------------------------------------ */

static void rd_sane(const sigil_rd *r)
{
    FUZZ_CHECK(r->off <= r->len);
}

/* Reads a fixed-width integer of n bytes and re-encodes it into w. */
static void check_int(sigil_rd *r, sigil_wr *w, size_t n)
{
    const bool was_failed = r->failed;
    const size_t off0 = r->off;
    uint64_t v = 0;

    switch (n) {
    case 1:
        v = sigil_rd_u8(r);
        sigil_wr_u8(w, (uint8_t)v);
        break;
    case 2:
        v = sigil_rd_u16(r);
        sigil_wr_u16(w, (uint16_t)v);
        break;
    case 4:
        v = sigil_rd_u32(r);
        sigil_wr_u32(w, (uint32_t)v);
        break;
    default:
        v = sigil_rd_u64(r);
        sigil_wr_u64(w, v);
        break;
    }
    rd_sane(r);
    if (r->failed) {
        /* A failed read yields zero and consumes nothing. */
        FUZZ_CHECK(v == 0);
        FUZZ_CHECK(r->off == off0);
        return;
    }
    FUZZ_CHECK(!was_failed);
    FUZZ_CHECK(r->off == off0 + n);
    uint64_t want = 0;
    for (size_t i = 0; i < n; i++)
        want = (want << 8) | r->buf[off0 + i];
    FUZZ_CHECK(v == want);
}

static void check_bytes(sigil_rd *r, sigil_wr *w, size_t max)
{
    const bool was_failed = r->failed;
    const size_t off0 = r->off;
    size_t n = 12345;
    const uint8_t *p = sigil_rd_bytes(r, max, &n);

    rd_sane(r);
    if (r->failed) {
        FUZZ_CHECK(p == NULL);
        FUZZ_CHECK(n == 0);
        return;
    }
    FUZZ_CHECK(!was_failed);
    FUZZ_CHECK(n <= max);
    FUZZ_CHECK(r->off == off0 + 4 + n);
    FUZZ_CHECK(n == 0 || p == r->buf + off0 + 4);
    sigil_wr_bytes(w, p, n);
}

static void check_str(sigil_rd *r, sigil_wr *w, size_t max)
{
    const bool was_failed = r->failed;
    const size_t off0 = r->off;
    /* Exactly the capacity the reader promises to need, so ASan sees an overrun. */
    char *dst = malloc(max + 1);

    FUZZ_CHECK(dst != NULL);
    memset(dst, 'x', max + 1);
    sigil_rd_str(r, dst, max);
    rd_sane(r);
    if (r->failed) {
        FUZZ_CHECK(dst[0] == '\0');
    } else {
        FUZZ_CHECK(!was_failed);
        FUZZ_CHECK(r->off >= off0 + 4);
        size_t n = r->off - off0 - 4;
        FUZZ_CHECK(n <= max);
        FUZZ_CHECK(strlen(dst) == n);
        FUZZ_CHECK(memcmp(dst, r->buf + off0 + 4, n) == 0);
        sigil_wr_str(w, dst);
    }
    free(dst);
}

bool fuzz_record_check(sigil_rd *r, sigil_obj_record *out)
{
    const bool was_failed = r->failed;
    const size_t off0 = r->off;
    sigil_obj_record *o = malloc(sizeof(*o));
    bool ok = false;

    FUZZ_CHECK(o != NULL);
    memset(o, 0xA5, sizeof(*o)); /* the reader must set every field */
    sigil_obj_record_read(r, o);
    rd_sane(r);
    /* Whatever happened, the record is within its own bounds. */
    FUZZ_CHECK(o->id_len <= sizeof(o->id));
    FUZZ_CHECK(o->pub_a_len <= sizeof(o->pub_a));
    FUZZ_CHECK(o->pub_b_len <= sizeof(o->pub_b));
    FUZZ_CHECK(memchr(o->label, '\0', sizeof(o->label)) != NULL);
    if (!r->failed) {
        FUZZ_CHECK(!was_failed);
        size_t used = r->off - off0;
        /* Re-encode into a buffer of exactly the consumed size: identical bytes. */
        uint8_t *buf = malloc(used ? used : 1);
        sigil_wr w;
        FUZZ_CHECK(buf != NULL);
        sigil_wr_init(&w, buf, used);
        sigil_obj_record_write(&w, o);
        FUZZ_CHECK(sigil_wr_ok(&w));
        FUZZ_CHECK(w.len == used);
        FUZZ_CHECK(memcmp(buf, r->buf + off0, used) == 0);
        free(buf);
        ok = true;
        if (out != NULL)
            *out = *o;
    }
    free(o);
    return ok;
}

static void check_fields(const fuzz_field *f, sigil_rd *r, sigil_wr *w, unsigned depth)
{
    FUZZ_CHECK(depth < 4);
    for (; f->type != FUZZ_FIELD_END; f++) {
        switch (f->type) {
        case FUZZ_FIELD_U8:
            check_int(r, w, 1);
            break;
        case FUZZ_FIELD_U16:
            check_int(r, w, 2);
            break;
        case FUZZ_FIELD_U32:
            check_int(r, w, 4);
            break;
        case FUZZ_FIELD_U64:
            check_int(r, w, 8);
            break;
        case FUZZ_FIELD_BYTES:
            check_bytes(r, w, f->max);
            break;
        case FUZZ_FIELD_STR:
            check_str(r, w, f->max);
            break;
        case FUZZ_FIELD_RECORD: {
            const size_t off0 = r->off;
            if (fuzz_record_check(r, NULL)) {
                uint8_t *dst = sigil_wr_reserve(w, r->off - off0);
                if (dst != NULL)
                    memcpy(dst, r->buf + off0, r->off - off0); /* checked identical above */
            }
            break;
        }
        case FUZZ_FIELD_LIST: {
            const size_t off0 = r->off;
            uint32_t n = sigil_rd_u32(r);
            sigil_wr_u32(w, n);
            FUZZ_CHECK(r->failed ? n == 0 : r->off == off0 + 4);
            /* Every element consumes bytes, so a lying count fails within len reads. */
            for (uint32_t i = 0; i < n && sigil_rd_ok(r); i++) {
                const size_t before = r->off;
                check_fields(f->elem, r, w, depth + 1);
                FUZZ_CHECK(!sigil_rd_ok(r) || r->off > before);
            }
            break;
        }
        case FUZZ_FIELD_END:
            break;
        }
    }
}

bool fuzz_layout_check(const fuzz_field *layout, const uint8_t *body, size_t len)
{
    sigil_rd r;
    sigil_wr w;
    /* Re-encoding needs exactly len bytes when the body is canonical. */
    uint8_t *out = malloc(len ? len : 1);
    bool done;

    FUZZ_CHECK(out != NULL);
    sigil_rd_init(&r, body, len);
    sigil_wr_init(&w, out, len);
    check_fields(layout, &r, &w, 0);
    rd_sane(&r);
    done = sigil_rd_done(&r);
    FUZZ_CHECK(done == (sigil_rd_ok(&r) && r.off == len));
    if (done) {
        FUZZ_CHECK(sigil_wr_ok(&w));
        FUZZ_CHECK(w.len == len);
        FUZZ_CHECK(len == 0 || memcmp(out, body, len) == 0);
    }
    FUZZ_CHECK(w.len <= w.cap);
    free(out);
    return done;
}
