/* wire.h — one round trip to the appliance, its outcome as a CK_RV. Never called with the lock held. */
#ifndef SIGIL_WIRE_H
#define SIGIL_WIRE_H

#include "module.h"

/* Sends the body in req (which must be sigil_wr_ok, else CKR_GENERAL_ERROR). On CKR_OK the
 * response body is resp[0..*resp_len). The request buffer is the caller's to wipe. */
SIGIL_P11_WUR CK_RV sigil_wire_call(sigil_module *m, uint16_t opcode, const sigil_wr *req, uint8_t *resp,
                                    size_t cap, size_t *resp_len);

/* A command whose response body is empty. */
SIGIL_P11_WUR CK_RV sigil_wire_call_empty(sigil_module *m, uint16_t opcode, const sigil_wr *req);

#endif
