/* fuzz_frame.c — the wire decoder (proto/) on arbitrary bytes.
 *
 * Input: a frame as it arrives on the socket. The first 16 bytes go to
 * sigil_frame_hdr_decode; everything after them is the body, whatever the
 * header's body_len says, and is decoded
 *   - as an object record list (OBJECT_LIST's response) and as records back to back,
 *   - as the request layout and the response layout of every command,
 * with sigil_rd. Invariants checked (FUZZ_CHECK aborts):
 *   - the header decoder's verdict follows the spec (version, kind, body length),
 *     fills the header even on failure, and re-encodes to the same 16 bytes;
 *   - a reader never reports success with off > len, a failed read yields
 *     zero/empty, byte strings point inside the body;
 *   - a record or a body that decodes re-encodes to identical bytes;
 *   - the writer never writes past its capacity, fails exactly when the data does
 *     not fit, and what it wrote reads back to the same values.
 * Inputs shorter than a header only exercise the reader and writer.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_layout.h"
#include "fuzz_target.h"
#include "sigil_proto.h"

static void check_header(const uint8_t *data, size_t size)
{
    sigil_frame_hdr h;
    uint8_t again[SIGIL_FRAME_HDR_LEN];
    const uint32_t caps[] = {SIGIL_FRAME_MAX_BODY, (uint32_t)(size - SIGIL_FRAME_HDR_LEN), 0,
                             UINT32_MAX};

    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        memset(&h, 0xEE, sizeof(h));
        sigil_status st = sigil_frame_hdr_decode(data, caps[i], &h);
        /* The header is filled in even on failure: re-encoding gives the input back. */
        sigil_frame_hdr_encode(&h, again);
        FUZZ_CHECK(memcmp(again, data, SIGIL_FRAME_HDR_LEN) == 0);

        sigil_status want = SIGIL_ST_OK;
        if (h.version != SIGIL_PROTO_VERSION)
            want = SIGIL_ST_BAD_VERSION;
        else if (h.kind != SIGIL_KIND_REQUEST && h.kind != SIGIL_KIND_RESPONSE)
            want = SIGIL_ST_BAD_FRAME;
        else if (h.body_len > caps[i] || h.body_len > SIGIL_FRAME_MAX_BODY)
            want = SIGIL_ST_FRAME_TOO_LARGE;
        FUZZ_CHECK(st == want);
    }

    const char *name = sigil_opcode_name(h.opcode);
    FUZZ_CHECK(name != NULL);
    FUZZ_CHECK(fuzz_command_find(h.opcode) == NULL || strcmp(name, "UNKNOWN") != 0);
}

static void check_bodies(const uint8_t *body, size_t len)
{
    sigil_rd r;

    (void)fuzz_layout_check(fuzz_layout_record_list, body, len);
    /* Records back to back until one fails or the body ends. */
    sigil_rd_init(&r, body, len);
    while (r.off < len && fuzz_record_check(&r, NULL))
        FUZZ_CHECK(r.off <= len);
    FUZZ_CHECK(r.off <= len);

    for (size_t i = 0; i < fuzz_command_count; i++) {
        (void)fuzz_layout_check(fuzz_commands[i].request, body, len);
        (void)fuzz_layout_check(fuzz_commands[i].response, body, len);
    }
}

/* ---- writer / reader round trip ---------------------------------------------
 * The script is a list of operations: one selector byte, then the operation's
 * argument bytes taken from the script. Run once against a writer of capacity
 * cap (a heap block of exactly cap bytes), then, if the writer succeeded, once
 * against a reader of what it wrote, which must give back the same values. */

typedef struct {
    const uint8_t *p;
    size_t n;
    size_t i;
} script;

static uint8_t sc_byte(script *s) { return s->i < s->n ? s->p[s->i++] : 0; }

static uint64_t sc_uint(script *s, size_t width)
{
    uint64_t v = 0;
    for (size_t k = 0; k < width; k++)
        v = (v << 8) | sc_byte(s);
    return v;
}

/* A run of up to 255 script bytes (length from the script). */
static const uint8_t *sc_run(script *s, size_t *n)
{
    size_t want = sc_byte(s);
    size_t left = s->n - s->i;
    const uint8_t *p = s->p + s->i;
    *n = want < left ? want : left;
    s->i += *n;
    return p;
}

#define SCRIPT_MAX_OPS 64u

/* Writes (r == NULL) or reads back and compares (r != NULL). Returns the bytes the
 * operations need. */
static size_t run_script(const uint8_t *sp, size_t sn, sigil_wr *w, sigil_rd *r)
{
    script s = {.p = sp, .n = sn, .i = 0};
    size_t need = 0;
    char str[256];

    for (unsigned ops = 0; s.i < s.n && ops < SCRIPT_MAX_OPS; ops++) {
        uint8_t sel = sc_byte(&s) % 7u;
        switch (sel) {
        case 0: {
            uint8_t v = (uint8_t)sc_uint(&s, 1);
            need += 1;
            if (r == NULL)
                sigil_wr_u8(w, v);
            else
                FUZZ_CHECK(sigil_rd_u8(r) == v);
            break;
        }
        case 1: {
            uint16_t v = (uint16_t)sc_uint(&s, 2);
            need += 2;
            if (r == NULL)
                sigil_wr_u16(w, v);
            else
                FUZZ_CHECK(sigil_rd_u16(r) == v);
            break;
        }
        case 2: {
            uint32_t v = (uint32_t)sc_uint(&s, 4);
            need += 4;
            if (r == NULL)
                sigil_wr_u32(w, v);
            else
                FUZZ_CHECK(sigil_rd_u32(r) == v);
            break;
        }
        case 3: {
            uint64_t v = sc_uint(&s, 8);
            need += 8;
            if (r == NULL)
                sigil_wr_u64(w, v);
            else
                FUZZ_CHECK(sigil_rd_u64(r) == v);
            break;
        }
        case 4: {
            size_t n = 0, got = 0;
            const uint8_t *p = sc_run(&s, &n);
            need += 4 + n;
            if (r == NULL) {
                sigil_wr_bytes(w, p, n);
            } else {
                const uint8_t *q = sigil_rd_bytes(r, n, &got);
                FUZZ_CHECK(got == n && (n == 0 || (q != NULL && memcmp(p, q, n) == 0)));
            }
            break;
        }
        case 5: {
            size_t n = 0;
            const uint8_t *p = sc_run(&s, &n);
            const uint8_t *nul = memchr(p, '\0', n);
            if (nul != NULL)
                n = (size_t)(nul - p);
            memcpy(str, p, n);
            str[n] = '\0';
            need += 4 + n;
            if (r == NULL) {
                sigil_wr_str(w, str);
            } else {
                char back[256];
                sigil_rd_str(r, back, 255);
                FUZZ_CHECK(strcmp(back, str) == 0);
            }
            break;
        }
        default: {
            size_t n = sc_byte(&s);
            need += n;
            if (r == NULL) {
                uint8_t *dst = sigil_wr_reserve(w, n);
                if (dst != NULL)
                    memset(dst, 0xAB, n);
            } else {
                for (size_t k = 0; k < n; k++)
                    FUZZ_CHECK(sigil_rd_u8(r) == 0xAB);
            }
            break;
        }
        }
    }
    return need;
}

static void check_writer(const uint8_t *sp, size_t sn, size_t cap)
{
    uint8_t *buf = malloc(cap ? cap : 1);
    sigil_wr w;

    FUZZ_CHECK(buf != NULL);
    sigil_wr_init(&w, buf, cap);
    size_t need = run_script(sp, sn, &w, NULL);
    FUZZ_CHECK(w.len <= cap);
    FUZZ_CHECK(sigil_wr_ok(&w) == (need <= cap));
    if (sigil_wr_ok(&w)) {
        sigil_rd r;
        FUZZ_CHECK(w.len == need);
        sigil_rd_init(&r, buf, w.len);
        (void)run_script(sp, sn, NULL, &r);
        FUZZ_CHECK(sigil_rd_done(&r));
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= SIGIL_FRAME_HDR_LEN) {
        check_header(data, size);
        check_bodies(data + SIGIL_FRAME_HDR_LEN, size - SIGIL_FRAME_HDR_LEN);
    } else {
        check_bodies(data, size);
    }
    /* Writer capacity from the first two bytes; the rest is the script. */
    if (size >= 2)
        check_writer(data + 2, size - 2, ((size_t)data[0] << 8 | data[1]) & 0x7ffu);
    return 0;
}
