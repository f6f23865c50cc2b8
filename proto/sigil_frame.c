/* sigil_frame.c — frame header, opcode names and shared records. */
#include <string.h>

#include "sigil_proto.h"

void sigil_frame_hdr_encode(const sigil_frame_hdr *h, uint8_t out[SIGIL_FRAME_HDR_LEN])
{
    sigil_wr w;
    sigil_wr_init(&w, out, SIGIL_FRAME_HDR_LEN);
    sigil_wr_u32(&w, h->body_len);
    sigil_wr_u8(&w, h->version);
    sigil_wr_u8(&w, h->kind);
    sigil_wr_u16(&w, h->opcode);
    sigil_wr_u32(&w, h->request_id);
    sigil_wr_u32(&w, h->status);
}

sigil_status sigil_frame_hdr_decode(const uint8_t in[SIGIL_FRAME_HDR_LEN], uint32_t max_body,
                                    sigil_frame_hdr *h)
{
    sigil_rd r;
    sigil_rd_init(&r, in, SIGIL_FRAME_HDR_LEN);
    h->body_len = sigil_rd_u32(&r);
    h->version = sigil_rd_u8(&r);
    h->kind = sigil_rd_u8(&r);
    h->opcode = sigil_rd_u16(&r);
    h->request_id = sigil_rd_u32(&r);
    h->status = sigil_rd_u32(&r);
    if (h->version != SIGIL_PROTO_VERSION)
        return SIGIL_ST_BAD_VERSION;
    if (h->kind != SIGIL_KIND_REQUEST && h->kind != SIGIL_KIND_RESPONSE)
        return SIGIL_ST_BAD_FRAME;
    if (h->body_len > max_body || h->body_len > SIGIL_FRAME_MAX_BODY)
        return SIGIL_ST_FRAME_TOO_LARGE;
    return SIGIL_ST_OK;
}

const char *sigil_opcode_name(uint16_t op)
{
    switch (op) {
#define SIGIL_OPCODE_NAME(name, num) \
    case num:                        \
        return #name;
        SIGIL_OPCODE_LIST(SIGIL_OPCODE_NAME)
#undef SIGIL_OPCODE_NAME
    }
    return "UNKNOWN";
}

void sigil_obj_record_write(sigil_wr *w, const sigil_obj_record *o)
{
    if (o->id_len > sizeof(o->id) || o->pub_a_len > sizeof(o->pub_a) ||
        o->pub_b_len > sizeof(o->pub_b) || o->attrs_len > sizeof(o->attrs)) {
        w->failed = true; /* never read past a field, never write what readers refuse */
        return;
    }
    sigil_wr_u32(w, o->handle);
    sigil_wr_u8(w, o->obj_class);
    sigil_wr_u8(w, o->key_type);
    sigil_wr_u32(w, o->bits);
    sigil_wr_u32(w, o->flags);
    sigil_wr_bytes(w, o->id, o->id_len);
    sigil_wr_str(w, o->label);
    sigil_wr_bytes(w, o->pub_a, o->pub_a_len);
    sigil_wr_bytes(w, o->pub_b, o->pub_b_len);
    sigil_wr_bytes(w, o->attrs, o->attrs_len);
}

size_t sigil_obj_record_len(const sigil_obj_record *o)
{
    return 4 + 1 + 1 + 4 + 4 + (4 + o->id_len) + (4 + strlen(o->label)) + (4 + o->pub_a_len) +
           (4 + o->pub_b_len) + (4 + o->attrs_len);
}

static void rd_copy(sigil_rd *r, uint8_t *dst, size_t cap, size_t *len)
{
    const uint8_t *p = sigil_rd_bytes(r, cap, len);
    if (p != NULL && *len > 0)
        memcpy(dst, p, *len);
}

void sigil_obj_record_read(sigil_rd *r, sigil_obj_record *o)
{
    memset(o, 0, sizeof(*o));
    o->handle = sigil_rd_u32(r);
    o->obj_class = sigil_rd_u8(r);
    o->key_type = sigil_rd_u8(r);
    o->bits = sigil_rd_u32(r);
    o->flags = sigil_rd_u32(r);
    rd_copy(r, o->id, sizeof(o->id), &o->id_len);
    sigil_rd_str(r, o->label, SIGIL_OBJ_LABEL_MAX_LEN);
    rd_copy(r, o->pub_a, sizeof(o->pub_a), &o->pub_a_len);
    rd_copy(r, o->pub_b, sizeof(o->pub_b), &o->pub_b_len);
    rd_copy(r, o->attrs, sizeof(o->attrs), &o->attrs_len);
}
