/* wire.c — round trips through the module's client, statuses mapped by rv.c. */
#include "wire.h"
#include "rv.h"

CK_RV sigil_wire_call(sigil_module *m, uint16_t opcode, const sigil_wr *req, uint8_t *resp, size_t cap,
                      size_t *resp_len)
{
    sigil_status st = SIGIL_ST_GENERAL_ERROR;
    *resp_len = 0;
    if (!sigil_wr_ok(req))
        return CKR_GENERAL_ERROR;
    sigil_client_result res =
        sigil_client_call(m->client, opcode, req->buf, req->len, &st, resp, cap, resp_len);
    if (res != SIGIL_CLIENT_OK)
        return sigil_rv_from_client(res);
    return sigil_rv_from_status(st);
}

CK_RV sigil_wire_call_empty(sigil_module *m, uint16_t opcode, const sigil_wr *req)
{
    uint8_t resp[16];
    size_t n = 0;
    CK_RV rv = sigil_wire_call(m, opcode, req, resp, sizeof(resp), &n);
    if (rv == CKR_OK && n != 0)
        rv = CKR_DEVICE_ERROR;
    return rv;
}
