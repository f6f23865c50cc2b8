/* sigil_audit.c — audit record encoding (the hash chain is computed by its users). */
#include <string.h>

#include "sigil_audit.h"
#include "sigil_proto.h"

size_t sigil_audit_encode(const sigil_audit_rec *r, uint8_t *out, size_t cap)
{
    sigil_wr w;
    if (r->data_len > SIGIL_AUDIT_DATA_MAX)
        return 0;
    sigil_wr_init(&w, out, cap);
    uint8_t *len = sigil_wr_reserve(&w, 4);
    sigil_wr_u64(&w, r->seq);
    sigil_wr_u64(&w, r->time);
    sigil_wr_u16(&w, r->event);
    sigil_wr_u16(&w, r->role);
    sigil_wr_u32(&w, r->slot);
    sigil_wr_u32(&w, r->status);
    sigil_wr_u32(&w, r->ctx);
    sigil_wr_u32(&w, r->handle);
    sigil_wr_u32(&w, r->mech);
    sigil_wr_bytes(&w, r->data, r->data_len);
    if (!sigil_wr_ok(&w))
        return 0;
    sigil_wr lw;
    sigil_wr_init(&lw, len, 4);
    sigil_wr_u32(&lw, (uint32_t)(w.len - 4));
    return w.len;
}

size_t sigil_audit_decode(const uint8_t *in, size_t len, sigil_audit_rec *r)
{
    sigil_rd hr, br;
    size_t n = 0;

    memset(r, 0, sizeof(*r));
    sigil_rd_init(&hr, in, len);
    uint32_t body_len = sigil_rd_u32(&hr);
    if (!sigil_rd_ok(&hr) || body_len > SIGIL_AUDIT_BODY_MAX || body_len > len - 4)
        return 0;
    sigil_rd_init(&br, in + 4, body_len);
    r->seq = sigil_rd_u64(&br);
    r->time = sigil_rd_u64(&br);
    r->event = sigil_rd_u16(&br);
    r->role = sigil_rd_u16(&br);
    r->slot = sigil_rd_u32(&br);
    r->status = sigil_rd_u32(&br);
    r->ctx = sigil_rd_u32(&br);
    r->handle = sigil_rd_u32(&br);
    r->mech = sigil_rd_u32(&br);
    const uint8_t *d = sigil_rd_bytes(&br, SIGIL_AUDIT_DATA_MAX, &n);
    if (!sigil_rd_done(&br))
        return 0;
    if (n > 0)
        memcpy(r->data, d, n);
    r->data_len = n;
    return 4 + body_len;
}

const char *sigil_audit_event_name(uint16_t event)
{
    switch (event) {
#define SIGIL_AUDIT_EV_NAME(name, num) \
    case num:                          \
        return #name;
        SIGIL_AUDIT_DEVICE_EVENT_LIST(SIGIL_AUDIT_EV_NAME)
#undef SIGIL_AUDIT_EV_NAME
    }
    return sigil_opcode_name(event);
}
